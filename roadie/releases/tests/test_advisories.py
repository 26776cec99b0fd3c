"""Advisories: identifiers, scores, bad input, publication with notices told first, visibility,
the notified → acknowledged → upgraded follow-up, reminders and escalation."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from roadie.accounts.models import Role
from roadie.core.tests import factories
from roadie.customers.services import deployment_set_version
from roadie.notifications.models import OutboxMessage
from roadie.releases import selectors, services, tasks
from roadie.releases.errors import (
    InvalidAdvisory,
    InvalidCvss,
    InvalidRange,
    InvalidTransition,
    InvalidVersion,
    NotAllowed,
    UnknownProduct,
)
from roadie.releases.models import Advisory, AdvisoryNotice, Event
from roadie.releases.services import RangeSpec
from roadie.releases.tests.factories import (
    CRITICAL_V31,
    HIGH_V40,
    MEDIUM_V31,
    make_advisory,
    make_deployment,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def world(product, org_a, org_b, customer_a, customer_b):
    """alpha runs an affected 2.4.1 and a fixed 2.4.3; beta a fixed 2.5.0; gamma a 2.4.3-rc.1."""
    gamma = factories.make_organization("丙 Gamma", "gamma")
    gamma_admin = factories.make_user(Role.CUSTOMER_ADMIN, gamma, email="admin@gamma.example")
    factories.make_user(Role.CUSTOMER_MEMBER, org_a, email="member@alpha.example")
    return {
        "alpha_old": make_deployment(org_a, product, "2.4.1"),
        "alpha_new": make_deployment(org_a, product, "2.4.3"),
        "beta": make_deployment(org_b, product, "2.5.0"),
        "gamma": make_deployment(gamma, product, "2.4.3-rc.1"),
        "gamma_org": gamma,
        "gamma_admin": gamma_admin,
    }


def test_create_assigns_a_yearly_sequence_and_scores_the_vector(product, engineer):
    first = make_advisory(product, "0", "2.4.3", by=engineer, at=T0)
    second = make_advisory(product, "0", "2.4.3", by=engineer, at=T0, vector=MEDIUM_V31)
    next_year = make_advisory(
        product, "0", "2.4.3", by=engineer, at=datetime(2027, 1, 2, tzinfo=UTC), vector=HIGH_V40
    )
    assert [a.identifier for a in (first, second, next_year)] == [
        "RDSA-2026-0001",
        "RDSA-2026-0002",
        "RDSA-2027-0001",
    ]
    assert (first.cvss_score, first.severity, first.status) == (Decimal("9.8"), "critical", "draft")
    assert (second.cvss_score, second.severity) == (Decimal("4.6"), "medium")
    assert (next_year.cvss_score, next_year.severity) == (Decimal("9.3"), "critical")
    assert Event.objects.filter(kind=Event.Kind.ADVISORY_CREATED).count() == 3


@pytest.mark.parametrize(
    ("affected", "vector", "error", "field"),
    [
        (
            [RangeSpec("live-pro", "2.4", "2.4.3")],
            CRITICAL_V31,
            InvalidVersion,
            "affected.0.introduced",
        ),
        ([RangeSpec("live-pro", "0", "v2.4.3")], CRITICAL_V31, InvalidVersion, "affected.0.fixed"),
        ([RangeSpec("live-pro", "2.4.3", "2.4.1")], CRITICAL_V31, InvalidRange, "affected.0.fixed"),
        ([RangeSpec("nope", "0", "2.4.3")], CRITICAL_V31, UnknownProduct, "affected.0.product"),
        ([], CRITICAL_V31, InvalidAdvisory, "affected"),
        ([RangeSpec("live-pro")], "CVSS:3.1/AV:N/AC:L", InvalidCvss, "cvss_vector"),
        (
            [RangeSpec("live-pro")],
            "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            InvalidCvss,
            "cvss_vector",
        ),
        (
            [RangeSpec("live-pro")],
            "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            InvalidCvss,
            "cvss_vector",
        ),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    product, engineer, affected, vector, error, field
):
    with pytest.raises(error) as raised:
        services.advisory_create(by=engineer, title="x", cvss_vector=vector, affected=affected)
    assert raised.value.field == field
    assert not Advisory.objects.exists()


def test_only_release_managers_write_advisories(product, agent, customer_a):
    for user in (agent, customer_a):
        with pytest.raises(NotAllowed):
            make_advisory(product, by=user)


def test_affected_set_is_exact_with_semver_precedence(world, product, engineer):
    advisory = make_advisory(product, "0", "2.4.3", by=engineer)
    affected = selectors.affected_deployments(advisory=advisory)
    assert {a.deployment for a in affected} == {world["alpha_old"].pk, world["gamma"].pk}


def test_publish_tells_exactly_the_affected_admins_in_the_same_transaction(
    world, product, engineer, customer_a, customer_b
):
    advisory = make_advisory(product, "0", "2.4.3", by=engineer)
    OutboxMessage.objects.all().delete()
    published = services.advisory_publish(advisory=advisory, by=engineer, at=T0)
    assert (published.status, published.published_at) == ("published", T0)
    notices = {
        n.organization.slug: n for n in AdvisoryNotice.objects.select_related("organization")
    }
    assert set(notices) == {"alpha", "gamma"}
    assert all(n.notified_at <= published.published_at for n in notices.values())
    assert notices["alpha"].deployments == [
        {
            "deployment": world["alpha_old"].pk,
            "product": "live-pro",
            "version": "2.4.1",
            "name": "",
            "environment": "production",
        }
    ]
    # Customer admins only (not the alpha member), never the unaffected beta.
    recipients = set(OutboxMessage.objects.values_list("recipient", flat=True))
    assert recipients == {customer_a.email, "admin@gamma.example"}
    message = OutboxMessage.objects.get(recipient=customer_a.email)
    assert advisory.identifier in message.subject and "< 2.4.3" in message.body
    assert Event.objects.filter(kind=Event.Kind.ADVISORY_PUBLISHED, advisory=advisory).exists()
    with pytest.raises(InvalidTransition):
        services.advisory_publish(advisory=advisory, by=engineer)


def test_drafts_and_embargoed_are_never_visible_to_customers(world, product, engineer, customer_a):
    draft = make_advisory(product, "0", "2.4.3", by=engineer)
    embargoed = make_advisory(product, "0", "2.4.3", by=engineer)
    services.advisory_embargo(advisory=embargoed, by=engineer, embargo_until=T0 + timedelta(days=7))
    assert embargoed.__class__.objects.get(pk=embargoed.pk).status == "embargoed"
    visible = selectors.advisories_visible(viewer=customer_a)
    assert not visible.exists()
    for advisory in (draft, embargoed):
        with pytest.raises(Advisory.DoesNotExist):
            selectors.advisory_get(viewer=customer_a, identifier=advisory.identifier)
    assert selectors.advisories_visible(viewer=engineer).count() == 2
    assert not selectors.advisories_public().exists()


def test_affected_customers_see_it_first_others_after_the_embargo(
    world, product, engineer, customer_a, customer_b
):
    advisory = make_advisory(product, "0", "2.4.3", by=engineer)
    lift = T0 + timedelta(days=3)
    services.advisory_publish(advisory=advisory, by=engineer, embargo_until=lift, at=T0)
    before, after = T0 + timedelta(hours=1), lift + timedelta(minutes=1)
    assert selectors.advisory_get(viewer=customer_a, identifier=advisory.identifier, now=before)
    with pytest.raises(Advisory.DoesNotExist):
        selectors.advisory_get(viewer=customer_b, identifier=advisory.identifier, now=before)
    assert not selectors.advisories_public(now=before).exists()
    assert selectors.advisory_get(viewer=customer_b, identifier=advisory.identifier, now=after)
    assert list(selectors.advisories_public(now=after)) == [advisory]


def test_a_customer_sees_only_its_own_affected_deployments(world, product, engineer, customer_a):
    advisory = make_advisory(product, "0", "2.4.3", by=engineer)
    services.advisory_publish(advisory=advisory, by=engineer)
    mine = selectors.affected_for_viewer(viewer=customer_a, advisory=advisory)
    assert [a.deployment for a in mine] == [world["alpha_old"].pk]


def test_acknowledge_then_upgrade_closes_the_notice(world, product, engineer, customer_a, org_a):
    advisory = make_advisory(product, "0", "2.4.3", by=engineer)
    services.advisory_publish(advisory=advisory, by=engineer, at=T0)
    notice = AdvisoryNotice.objects.get(organization=org_a)
    member = factories.make_user(Role.CUSTOMER_MEMBER, org_a)
    with pytest.raises(NotAllowed):
        services.advisory_notice_acknowledge(notice=notice, by=member)
    notice = services.advisory_notice_acknowledge(notice=notice, by=customer_a, at=T0)
    assert (notice.status, notice.acknowledged_by) == ("acknowledged", customer_a)
    with pytest.raises(InvalidTransition):
        services.advisory_notice_acknowledge(notice=notice, by=customer_a)
    services.deployment_report_version(
        deployment=world["alpha_old"], version="2.4.3", by=customer_a
    )
    notice.refresh_from_db()
    assert notice.status == "upgraded" and notice.upgraded_at is not None
    assert Event.objects.filter(kind=Event.Kind.NOTICE_UPGRADED, organization=org_a).exists()


def test_a_pre_release_of_the_fix_does_not_close_the_notice(world, product, engineer, org_a):
    advisory = make_advisory(product, "0", "2.4.3", by=engineer)
    services.advisory_publish(advisory=advisory, by=engineer)
    deployment_set_version(deployment=world["alpha_old"], version="2.4.3-rc.2")
    services.advisory_deployment_version_changed(deployment=world["alpha_old"])
    assert AdvisoryNotice.objects.get(organization=org_a).status == "notified"


def test_periodic_recheck_catches_versions_changed_elsewhere(world, product, engineer, org_b):
    advisory = make_advisory(product, "0", "2.4.3", by=engineer)
    services.advisory_publish(advisory=advisory, by=engineer)
    deployment_set_version(deployment=world["gamma"], version="2.4.3")  # fixed
    deployment_set_version(deployment=world["beta"], version="2.4.0")  # downgraded: now affected
    OutboxMessage.objects.all().delete()
    tasks.recheck_advisory_notices.call_local()
    statuses = dict(AdvisoryNotice.objects.values_list("organization__slug", "status"))
    assert statuses == {"alpha": "notified", "gamma": "upgraded", "beta": "notified"}
    assert set(OutboxMessage.objects.values_list("recipient", flat=True)) == {"admin@beta.example"}
    # A regression reopens an upgraded notice.
    deployment_set_version(deployment=world["gamma"], version="2.4.2")
    services.advisory_notices_recheck()
    assert AdvisoryNotice.objects.get(organization=world["gamma_org"]).status == "notified"


def test_reminders_after_three_days_and_escalation_after_seven(
    world, product, engineer, manager, customer_a, org_a
):
    advisory = make_advisory(product, "0", "2.4.3", by=engineer)  # critical
    services.advisory_publish(advisory=advisory, by=engineer, at=T0)
    gamma_notice = AdvisoryNotice.objects.get(organization=world["gamma_org"])
    services.advisory_notice_acknowledge(
        notice=gamma_notice, by=world["gamma_admin"], at=T0 + timedelta(hours=2)
    )
    OutboxMessage.objects.all().delete()
    assert services.advisory_notices_remind(now=T0 + timedelta(days=2)) == (0, 0)
    assert services.advisory_notices_remind(now=T0 + timedelta(days=3, minutes=1)) == (1, 0)
    reminder = OutboxMessage.objects.get()
    assert reminder.recipient == customer_a.email
    # Not again within three days; again after.
    assert services.advisory_notices_remind(now=T0 + timedelta(days=4)) == (0, 0)
    reminded, escalated = services.advisory_notices_remind(now=T0 + timedelta(days=7, minutes=5))
    # Alpha is reminded a second time; both unpatched organizations escalate, once.
    assert (reminded, escalated) == (1, 2)
    assert OutboxMessage.objects.filter(recipient=manager.email).count() == 2
    assert services.advisory_notices_remind(now=T0 + timedelta(days=8)) == (0, 0)
    notice = AdvisoryNotice.objects.get(organization=org_a)
    assert notice.reminders == 2 and notice.escalated_at is not None


def test_non_critical_advisories_do_not_escalate(world, product, engineer):
    advisory = make_advisory(product, "0", "2.4.3", by=engineer, vector=MEDIUM_V31)
    services.advisory_publish(advisory=advisory, by=engineer, at=T0)
    _reminded, escalated = services.advisory_notices_remind(now=T0 + timedelta(days=30))
    assert escalated == 0


def test_published_ranges_are_frozen_but_text_can_change(world, product, engineer):
    advisory = make_advisory(product, "0", "2.4.3", by=engineer)
    services.advisory_publish(advisory=advisory, by=engineer)
    with pytest.raises(InvalidTransition) as error:
        services.advisory_update(
            advisory=advisory,
            by=engineer,
            title="x",
            cvss_vector=CRITICAL_V31,
            affected=[RangeSpec("live-pro", "0", "2.4.4")],
        )
    assert error.value.field == "affected"
    updated = services.advisory_update(
        advisory=advisory,
        by=engineer,
        title="推流鉴权绕过（已更新）",
        cvss_vector=CRITICAL_V31,
        affected=[RangeSpec("live-pro", "0", "2.4.3")],
        workarounds="关闭匿名推流。",
    )
    assert updated.workarounds == "关闭匿名推流。"
