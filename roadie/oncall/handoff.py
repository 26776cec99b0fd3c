"""Hand-off summary providers: other domains add sections to the summary sent at a hand-off.

On-call knows no tickets.  The tickets app registers a provider when it is ready:

    from roadie.oncall.handoff import SummarySection, register_summary_provider

    def open_urgent_tickets(user, at):
        ...
        return SummarySection(title=_("Open urgent tickets"), body="RD-12 …")

    register_summary_provider(open_urgent_tickets)
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from roadie.accounts.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SummarySection:
    title: str
    body: str


SummaryProvider = Callable[[User, datetime], SummarySection | None]

_providers: list[SummaryProvider] = []


def register_summary_provider(provider: SummaryProvider) -> None:
    """Add a provider (once); call it from an AppConfig.ready()."""
    if provider not in _providers:
        _providers.append(provider)


def unregister_summary_provider(provider: SummaryProvider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def summary_sections(*, user: User, at: datetime) -> list[SummarySection]:
    """Every provider's section for the person coming on call; a failing provider is skipped."""
    sections = []
    for provider in list(_providers):
        try:
            section = provider(user, at)
        except Exception:  # noqa: BLE001 — one broken provider must not stop the hand-off
            log.exception("hand-off summary provider %r failed", provider)
            continue
        if section is not None:
            sections.append(section)
    return sections
