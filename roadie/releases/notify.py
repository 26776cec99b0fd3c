"""E-mails about releases and advisories, queued in the outbox inside the caller's transaction."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from roadie.accounts.models import Role, User
from roadie.notifications.services import outbox_enqueue_emails
from roadie.releases.models import Advisory, AdvisoryNotice, Cost, Release, UpdateRequest

HEADERS = {"Auto-Submitted": "auto-generated"}
CHUNK = 500
Recipient = tuple[str, str]  # (e-mail, language)
StrOrPromise = str | Promise


def _url(name: str, *args: object) -> str:
    return settings.ROADIE_BASE_URL + reverse(name, args=args)


def organization_recipients(organization_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """Each organization's active customer admins; its other users when it has no admin."""
    ids = sorted(set(organization_ids))
    admins: dict[int, list[Recipient]] = defaultdict(list)
    others: dict[int, list[Recipient]] = defaultdict(list)
    for start in range(0, len(ids), CHUNK):
        rows = User.objects.filter(
            organization_id__in=ids[start : start + CHUNK],
            is_active=True,
            role__in=[Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER],
        ).values_list("organization_id", "email", "language", "role")
        for organization_id, email, language, role in rows:
            target = admins if role == Role.CUSTOMER_ADMIN else others
            target[organization_id].append((email, language or settings.LANGUAGE_CODE))
    return {org: admins.get(org) or others.get(org, []) for org in ids}


def staff_recipients(roles: Sequence[str]) -> list[Recipient]:
    rows = User.objects.filter(is_active=True, role__in=roles).values_list("email", "language")
    return [(email, language or settings.LANGUAGE_CODE) for email, language in rows]


def _send(
    *,
    recipients: Iterable[Recipient],
    subject: StrOrPromise,
    template: str,
    context: dict[str, object],
    key: str,
) -> None:
    """One message per language; subject and body rendered in the reader's language."""
    by_language: dict[str, list[str]] = defaultdict(list)
    for email, language in recipients:
        by_language[language].append(email)
    for language, emails in by_language.items():
        with translation.override(language):
            body = render_to_string(f"releases/emails/{template}.txt", context)
            outbox_enqueue_emails(
                recipients=emails,
                subject=str(subject) % context.get("subject_args", {}),
                body=body,
                headers=HEADERS,
                idempotency_key=key,
            )


def _subject_notice(advisory: Advisory, reminder: bool) -> StrOrPromise:
    if reminder:
        return _("[%(id)s] Reminder: security advisory for your deployments: %(title)s")
    return _("[%(id)s] Security advisory for your deployments: %(title)s")


def _ranges(advisory: Advisory) -> list[str]:
    out = []
    for r in advisory.ranges.select_related("product").order_by("product__slug", "pk"):
        low = "" if r.introduced == "0" else f">= {r.introduced}, "
        high = f"< {r.fixed}" if r.fixed else f"<= {r.last_affected}" if r.last_affected else ""
        out.append(f"{r.product.name} ({r.product.slug}): {low}{high}".rstrip(", "))
    return out


def advisory_notices(
    *,
    advisory: Advisory,
    notices: Sequence[AdvisoryNotice],
    recipients: dict[int, list[Recipient]],
    fixed: Sequence[str],
    key: str = "",
) -> None:
    """Tell the admins of every affected organization, before the advisory is public.

    One message per language for everyone: the ranges and fixed versions, not the organization's
    deployment names (which stay behind the portal login), so thousands of organizations cost
    one bulk insert per language."""
    people = [r for notice in notices for r in recipients.get(notice.organization_id, [])]
    _send(
        recipients=people,
        subject=_subject_notice(advisory, reminder=False),
        template="advisory_notice",
        context={
            "advisory": advisory,
            "ranges": _ranges(advisory),
            "fixed": fixed,
            "url": _url("portal:advisory", advisory.identifier),
            "reminder": False,
            "subject_args": {"id": advisory.identifier, "title": advisory.title},
        },
        key=f"advisory:{advisory.identifier}:notice{key}",
    )


def advisory_reminder(*, notice: AdvisoryNotice, fixed: Sequence[str]) -> None:
    advisory = notice.advisory
    _send(
        recipients=organization_recipients([notice.organization_id]).get(
            notice.organization_id, []
        ),
        subject=_subject_notice(advisory, reminder=True),
        template="advisory_notice",
        context={
            "advisory": advisory,
            "ranges": _ranges(advisory),
            "fixed": fixed,
            "url": _url("portal:advisory", advisory.identifier),
            "reminder": True,
            "subject_args": {"id": advisory.identifier, "title": advisory.title},
        },
        key=f"advisory:{advisory.identifier}:reminder:{notice.pk}:{notice.reminders}",
    )


def advisory_escalation(*, notice: AdvisoryNotice, days: int) -> None:
    advisory = notice.advisory
    _send(
        recipients=staff_recipients([Role.MANAGER]),
        subject=_("[%(id)s] Critical advisory left unpatched: %(organization)s"),
        template="advisory_escalation",
        context={
            "advisory": advisory,
            "notice": notice,
            "days": days,
            "url": _url("console:advisory", advisory.identifier),
            "subject_args": {"id": advisory.identifier, "organization": notice.organization.name},
        },
        key=f"advisory:{advisory.identifier}:escalation:{notice.pk}",
    )


def release_available(
    *, release: Release, organization_id: int, recipients: list[Recipient], cost: str
) -> None:
    _send(
        recipients=recipients,
        subject=_("%(product)s %(version)s is available"),
        template="release_available",
        context={
            "release": release,
            "cost": Cost(cost).label,
            "url": _url("portal:release", release.pk),
            "subject_args": {"product": release.product.name, "version": release.version},
        },
        key=f"release:{release.pk}:push:{organization_id}",
    )


def update_requested(*, request: UpdateRequest, at: datetime) -> None:
    _send(
        recipients=staff_recipients([Role.MANAGER, Role.ENGINEER]),
        subject=_("Update request: %(organization)s → %(product)s %(version)s"),
        template="update_requested",
        context={
            "request": request,
            "url": _url("console:update_requests"),
            "subject_args": {
                "organization": request.organization.name,
                "product": request.release.product.name,
                "version": request.release.version,
            },
        },
        key=f"update-request:{request.pk}:created:{at.timestamp()}",
    )


def update_decided(*, request: UpdateRequest) -> None:
    requester = request.requested_by
    if requester is None or not requester.is_active:
        return
    _send(
        recipients=[(requester.email, requester.language or settings.LANGUAGE_CODE)],
        subject=_("Your update request for %(product)s %(version)s"),
        template="update_decided",
        context={
            "request": request,
            "url": _url("portal:release", request.release_id),
            "subject_args": {
                "product": request.release.product.name,
                "version": request.release.version,
            },
        },
        key=f"update-request:{request.pk}:{request.status}",
    )
