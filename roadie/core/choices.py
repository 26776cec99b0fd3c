"""Choices shared by several domains (tickets and SLA policies both speak of severity)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    # Stored as text; alphabetical order is general < important < urgent, so ordering by
    # "-severity" puts urgent first and an index on it serves the queue.
    URGENT = "urgent", _("Urgent")
    IMPORTANT = "important", _("Important")
    GENERAL = "general", _("General")


SEVERITY_DEFINITIONS = {
    Severity.URGENT: _("The system is fully unavailable."),
    Severity.IMPORTANT: _("A core function is broken, but the system still runs."),
    Severity.GENERAL: _("A minor bug or a usability issue."),
}
