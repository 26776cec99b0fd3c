from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
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
        for model in (Tier, Calendar, CalendarOverride, Policy, ContractTarget):
            post_save.connect(_bump, sender=model, dispatch_uid=f"sla-revision-save-{model}")
            post_delete.connect(_bump, sender=model, dispatch_uid=f"sla-revision-del-{model}")


def _bump(sender: object, **kwargs: object) -> None:
    from roadie.sla.services import revision_bump

    revision_bump()
