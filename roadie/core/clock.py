"""The injectable clock: services call now() so tests can pass their own time."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
