from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "roadie.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from roadie.customers.models import Tier
        from roadie.sla.models import Calendar, CalendarOverride, ContractTarget, Policy

        # Cache invalidation, not business logic: every path that changes what a snapshot
        # reads (services, the API, the admin, a shell) must move the token, so it hangs on
        # the models' own signals rather than on each writer remembering to call it.
        # Before the write as well as after it: in a transaction the revision row is then
        # locked before any SLA row, in the same order by every writer (no deadlock between two
        # multi-row changes); in autocommit the bump after the write is the one that counts.
        for model in (Tier, Calendar, CalendarOverride, Policy, ContractTarget):
            for signal, name in (
                (pre_save, "pre-save"),
                (post_save, "save"),
                (pre_delete, "pre-delete"),
                (post_delete, "delete"),
            ):
                signal.connect(_bump, sender=model, dispatch_uid=f"sla-revision-{name}-{model}")


def _bump(sender: object, **kwargs: object) -> None:
    from roadie.sla.services import revision_bump

    revision_bump()
