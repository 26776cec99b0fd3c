"""Following each affected customer after publication: notified → acknowledged → upgraded.

A notice becomes "upgraded" when none of the organization's deployments is in a range any more;
this is checked whenever a version is reported through Roadie (deployment_report_version) and by a
periodic re-check, which also catches versions changed elsewhere. An organization that becomes
affected later (a new deployment, a downgrade) is told then; a regression reopens its notice.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.core import clock
from roadie.customers.models import Deployment
from roadie.customers.services import deployment_set_version
from roadie.releases import notify, selectors
from roadie.releases.access import may_act_for_organization
from roadie.releases.errors import InvalidTransition, NotAllowed
from roadie.releases.models import Advisory, AdvisoryNotice, Event, Severity
from roadie.releases.services._common import event
from roadie.releases.services.advisories import _deployment_entry, fixed_versions

REMIND_AFTER = timedelta(days=3)
ESCALATE_AFTER = timedelta(days=7)
OPEN = [AdvisoryNotice.Status.NOTIFIED, AdvisoryNotice.Status.ACKNOWLEDGED]


def advisory_notice_acknowledge(
    *, notice: AdvisoryNotice, by: User, at: datetime | None = None
) -> AdvisoryNotice:
    """A customer admin confirms the organization has read the advisory."""
    if not may_act_for_organization(by) or by.organization_id != notice.organization_id:
        raise NotAllowed(_("Only your organization's customer admins can acknowledge."))
    now = at or clock.now()
    with transaction.atomic():
        notice = AdvisoryNotice.objects.select_for_update().get(pk=notice.pk)
        if notice.status != AdvisoryNotice.Status.NOTIFIED:
            raise InvalidTransition(
                _("This advisory has already been %(status)s.")
                % {"status": notice.get_status_display().lower()},
                field="status",
            )
        notice.status = AdvisoryNotice.Status.ACKNOWLEDGED
        notice.acknowledged_at = now
        notice.acknowledged_by = by
        notice.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        event(
            Event.Kind.NOTICE_ACKNOWLEDGED,
            at=now,
            actor=by,
            advisory=notice.advisory,
            organization_id=notice.organization_id,
        )
    return notice


def _reconcile(
    advisory: Advisory,
    affected: dict[int, list[dict[str, object]]],
    notices: dict[int, AdvisoryNotice],
    now: datetime,
) -> int:
    """Bring notices in line with what is affected now; returns how many changed."""
    changed = 0
    told: list[AdvisoryNotice] = []
    for organization_id, notice in notices.items():
        entries = affected.get(organization_id, [])
        if notice.is_open and not entries:
            notice.status = AdvisoryNotice.Status.UPGRADED
            notice.upgraded_at = now
            notice.save(update_fields=["status", "upgraded_at"])
            event(
                Event.Kind.NOTICE_UPGRADED,
                at=now,
                advisory=advisory,
                organization_id=organization_id,
            )
            changed += 1
        elif not notice.is_open and entries:
            notice.status = AdvisoryNotice.Status.NOTIFIED
            notice.upgraded_at = None
            notice.acknowledged_at = None
            notice.acknowledged_by = None
            notice.notified_at = now
            notice.deployments = entries
            notice.save()
            event(
                Event.Kind.NOTICE_REOPENED,
                at=now,
                advisory=advisory,
                organization_id=organization_id,
                deployments=entries,
            )
            told.append(notice)
            changed += 1
        elif entries and entries != notice.deployments:
            notice.deployments = entries
            notice.save(update_fields=["deployments"])
    new = [
        AdvisoryNotice(
            advisory=advisory, organization_id=organization_id, deployments=entries, notified_at=now
        )
        for organization_id, entries in affected.items()
        if organization_id not in notices
    ]
    if new:
        new = AdvisoryNotice.objects.bulk_create(new)
        for notice in new:
            event(
                Event.Kind.NOTICE_SENT,
                at=now,
                advisory=advisory,
                organization_id=notice.organization_id,
                late=True,
            )
        told.extend(new)
        changed += len(new)
    if told:
        notify.advisory_notices(
            advisory=advisory,
            notices=told,
            recipients=notify.organization_recipients(n.organization_id for n in told),
            fixed=fixed_versions(advisory),
            key=f":{now.timestamp()}",
        )
    return changed


def _affected_by_organization(
    advisory: Advisory, organization_id: int | None = None
) -> dict[int, list[dict[str, object]]]:
    grouped: dict[int, list[dict[str, object]]] = defaultdict(list)
    for item in selectors.affected_deployments(advisory=advisory, organization_id=organization_id):
        grouped[item.organization_id].append(_deployment_entry(item))
    return grouped


def advisory_deployment_version_changed(
    *, deployment: Deployment, at: datetime | None = None
) -> int:
    """Re-check the published advisories of the deployment's product for its organization."""
    now = at or clock.now()
    organization_id = deployment.organization_id
    advisories = Advisory.objects.filter(
        status=Advisory.Status.PUBLISHED, ranges__product_id=deployment.product_id
    ).distinct()
    changed = 0
    with transaction.atomic():
        for advisory in advisories:
            notices = {
                n.organization_id: n
                for n in AdvisoryNotice.objects.select_for_update().filter(
                    advisory=advisory, organization_id=organization_id
                )
            }
            changed += _reconcile(
                advisory, _affected_by_organization(advisory, organization_id), notices, now
            )
    return changed


def deployment_report_version(
    *, deployment: Deployment, version: str, by: User, at: datetime | None = None
) -> Deployment:
    """Staff or the customer's admin record the installed version; notices follow at once."""
    if not (
        by.is_vendor_staff
        or (may_act_for_organization(by) and by.organization_id == deployment.organization_id)
    ):
        raise NotAllowed(_("Only staff and the organization's admins can change versions."))
    with transaction.atomic():
        deployment_set_version(deployment=deployment, version=version)
        advisory_deployment_version_changed(deployment=deployment, at=at)
    return deployment


def advisory_notices_recheck(*, now: datetime | None = None) -> int:
    """Re-check every published advisory against the installed versions (periodic)."""
    now = now or clock.now()
    changed = 0
    for advisory in Advisory.objects.filter(status=Advisory.Status.PUBLISHED):
        with transaction.atomic():
            notices = {
                n.organization_id: n
                for n in AdvisoryNotice.objects.select_for_update().filter(advisory=advisory)
            }
            changed += _reconcile(advisory, _affected_by_organization(advisory), notices, now)
    return changed


def advisory_notices_remind(*, now: datetime | None = None) -> tuple[int, int]:
    """Remind notices unacknowledged for 3 days (again every 3 days); escalate critical ones
    still unpatched after 7 days to the managers, once. Returns (reminded, escalated)."""
    now = now or clock.now()
    reminded = escalated = 0
    due = (
        AdvisoryNotice.objects.filter(
            status=AdvisoryNotice.Status.NOTIFIED,
            advisory__status=Advisory.Status.PUBLISHED,
            notified_at__lte=now - REMIND_AFTER,
        )
        .exclude(reminded_at__gt=now - REMIND_AFTER)
        .select_related("advisory", "organization")
    )
    for notice in due:
        with transaction.atomic():
            notice.reminders += 1
            notice.reminded_at = now
            notice.save(update_fields=["reminders", "reminded_at"])
            event(
                Event.Kind.NOTICE_REMINDED,
                at=now,
                advisory=notice.advisory,
                organization_id=notice.organization_id,
                reminder=notice.reminders,
            )
            notify.advisory_reminder(notice=notice, fixed=fixed_versions(notice.advisory))
        reminded += 1
    unpatched = AdvisoryNotice.objects.filter(
        status__in=OPEN,
        advisory__status=Advisory.Status.PUBLISHED,
        advisory__severity=Severity.CRITICAL,
        notified_at__lte=now - ESCALATE_AFTER,
        escalated_at__isnull=True,
    ).select_related("advisory", "organization")
    for notice in unpatched:
        with transaction.atomic():
            notice.escalated_at = now
            notice.save(update_fields=["escalated_at"])
            event(
                Event.Kind.NOTICE_ESCALATED,
                at=now,
                advisory=notice.advisory,
                organization_id=notice.organization_id,
            )
            notify.advisory_escalation(notice=notice, days=(now - notice.notified_at).days)
        escalated += 1
    return reminded, escalated
