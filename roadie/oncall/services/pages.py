"""Pages: start one on a frozen ladder, acknowledge it, resolve it.

The climbing itself is roadie.oncall.escalation; the first step runs right after the
transaction that started the page commits.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.core import clock
from roadie.core.errors import InvalidInput
from roadie.oncall import selectors
from roadie.oncall.errors import NoPolicy, PageClosed
from roadie.oncall.escalation import record
from roadie.oncall.links import ack_link_read
from roadie.oncall.models import EscalationPolicy, Page, PageEvent
from roadie.oncall.services.common import check_aware
from roadie.oncall.services.policies import policy_snapshot
from roadie.oncall.tasks import advance_page


@transaction.atomic
def page_start(
    *,
    policy: EscalationPolicy | None,
    source: str,
    title: str,
    url: str = "",
    urgent: bool = True,
    at: datetime | None = None,
) -> Page:
    """Freeze the policy's ladder into a new page and run its first step after commit.

    `policy=None` uses the default policy (NoPolicy if there is none).  A page for a `source`
    that already has an open page is not started twice: the open page is returned.
    """
    now = check_aware(at, field="at") if at is not None else clock.now()
    source = (source or "").strip()[:200]
    if not source:
        raise InvalidInput(_("A page needs a source, e.g. ticket:RD-12."), field="source")
    policy = policy or selectors.default_policy()
    if policy is None:
        raise NoPolicy(_("No escalation policy is marked default."), field="policy")
    existing = selectors.open_pages().filter(source=source).first()
    if existing is not None:
        return existing
    ladder = policy_snapshot(policy=policy)
    page = Page.objects.create(
        policy=policy,
        source=source,
        title=(title or source)[:300],
        url=(url or "")[:500],
        urgent=urgent,
        ladder=ladder,
        started_at=now,
        next_step_at=now,
    )
    record(page, PageEvent.Kind.STARTED, now, data={"policy": ladder["policy"]})
    # robust: the minute sweep runs a step the broker refused (next_step_at is due).
    transaction.on_commit(lambda: advance_page(page.pk), robust=True)
    return page


@transaction.atomic
def page_acknowledge(
    *, page: Page, by: User, via: str = "console", now: datetime | None = None
) -> Page:
    """Stop the ladder; with an ack timeout, page again if still unresolved by then.

    Acknowledging an acknowledged page changes nothing; a resolved page raises PageClosed.
    """
    now = now or clock.now()
    page = Page.objects.select_for_update().get(pk=page.pk)
    if page.status == Page.Status.RESOLVED:
        raise PageClosed(_("This page is already resolved."))
    if page.status == Page.Status.ACKNOWLEDGED:
        return page
    timeout = int(page.ladder.get("ack_timeout_minutes") or 0)
    page.status = Page.Status.ACKNOWLEDGED
    page.acknowledged_at = now
    page.acknowledged_by = by
    page.next_step_at = now + timedelta(minutes=timeout) if timeout else None
    page.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "next_step_at"])
    record(page, PageEvent.Kind.ACKNOWLEDGED, now, actor=by, channel=via)
    return page


def page_acknowledge_by_link(*, token: str, now: datetime | None = None) -> Page:
    """Acknowledge as the person a signed link was sent to."""
    page, user = ack_link_read(token=token)
    return page_acknowledge(page=page, by=user, via="link", now=now)


@transaction.atomic
def page_resolve(*, page: Page, by: User | None, now: datetime | None = None) -> Page:
    """Close the page; nothing more is sent. Resolving a resolved page changes nothing."""
    now = now or clock.now()
    page = Page.objects.select_for_update().get(pk=page.pk)
    if page.status == Page.Status.RESOLVED:
        return page
    page.status = Page.Status.RESOLVED
    page.resolved_at = now
    page.resolved_by = by
    page.next_step_at = None
    page.save(update_fields=["status", "resolved_at", "resolved_by", "next_step_at"])
    record(page, PageEvent.Kind.RESOLVED, now, actor=by)
    return page


@transaction.atomic
def page_resolve_by_source(
    *, source: str, by: User | None = None, now: datetime | None = None
) -> list[Page]:
    """Resolve every open page started by `source` (e.g. when ticket RD-12 is resolved)."""
    return [
        page_resolve(page=page, by=by, now=now)
        for page in Page.objects.filter(source=source).exclude(status=Page.Status.RESOLVED)
    ]
