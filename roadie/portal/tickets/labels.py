"""Words the portal uses for tickets: statuses as a customer reads them."""

from django.utils.translation import gettext_lazy as _

from roadie.tickets.models import Status

# Staff say "waiting on customer"; the customer reading it is the one being waited on.
CUSTOMER_STATUS_LABELS = {
    Status.NEW: _("Received"),
    Status.OPEN: _("In progress"),
    Status.WAITING: _("Waiting on you"),
    Status.RESOLVED: _("Resolved"),
    Status.CLOSED: _("Closed"),
}


def customer_status_label(status: str) -> str:
    try:
        return str(CUSTOMER_STATUS_LABELS[Status(status)])
    except ValueError:
        return status
