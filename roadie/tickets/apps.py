from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "roadie.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        # Imported here: both modules need the app registry (models) to be ready.
        from roadie.oncall.handoff import register_summary_provider
        from roadie.tickets.paging import handoff_section

        register_summary_provider(handoff_section)
