from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from roadie.customers.models import Tier
from roadie.customers.services import contract_create, organization_create
from roadie.sla import selectors, services
from roadie.sla.errors import (
    EmptyHours,
    InvalidCalendar,
    InvalidTarget,
    InvalidWarningPercent,
    NaiveDateTime,
    OverlappingHours,
    PolicyExists,
    SlugTaken,
)
from roadie.sla.models import Calendar, CalendarOverride, Policy

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def test_migration_creates_the_default_calendars_and_policies():
    always = Calendar.objects.get(slug="24x7")
    business = Calendar.objects.get(slug="business-cn")
    assert always.always_open and always.time_zone == "Asia/Shanghai"
    assert (business.start_time, business.end_time) == (time(9), time(18))
    assert business.weekdays == [0, 1, 2, 3, 4] and business.use_chinese_calendar
    table = {
        (p.tier.slug, p.severity): (
            p.response_minutes,
            p.resolution_minutes,
            p.response_calendar.slug,
            p.resolution_calendar.slug,
            p.warning_percent,
        )
        for p in selectors.policies()
    }
    assert table == {
        ("standard", "urgent"): (30, 60, "24x7", "24x7", 75),
        ("standard", "important"): (120, 1440, "business-cn", "business-cn", 75),
        ("standard", "general"): (120, 2700, "business-cn", "business-cn", 75),
        ("premium", "urgent"): (30, 60, "24x7", "24x7", 75),
        ("premium", "important"): (30, 480, "24x7", "24x7", 75),
        ("premium", "general"): (120, 2700, "business-cn", "business-cn", 75),
    }


def calendar(**fields: object) -> Calendar:
    values: dict[str, object] = {"slug": "test-cal", "name": "Test"}
    values.update(fields)
    return services.calendar_create(**values)  # type: ignore[arg-type]


def test_calendar_with_lunch_break():
    created = calendar(lunch_start=time(12), lunch_end=time(13), weekdays=[0, 1, 2, 3, 4, 5])
    working = created.working_calendar()
    assert [w[0].hour for w in working.windows_on(date(2026, 6, 6))] == [9, 13]  # a Saturday


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"weekdays": []}, EmptyHours, "weekdays"),
        ({"start_time": time(18), "end_time": time(9)}, EmptyHours, "end_time"),
        ({"start_time": time(9), "end_time": time(9)}, EmptyHours, "end_time"),
        ({"lunch_start": time(13), "lunch_end": time(12)}, OverlappingHours, "lunch_end"),
        ({"lunch_start": time(8), "lunch_end": time(10)}, OverlappingHours, "lunch_start"),
        ({"lunch_start": time(17), "lunch_end": time(19)}, OverlappingHours, "lunch_end"),
        ({"lunch_start": time(12)}, InvalidCalendar, "lunch_end"),
        ({"weekdays": [7]}, InvalidCalendar, "weekdays"),
        ({"time_zone": "Mars/Olympus"}, InvalidCalendar, "time_zone"),
        ({"name": "  "}, InvalidCalendar, "name"),
    ],
)
def test_bad_calendars_are_refused_naming_the_field(fields, error, field):
    with pytest.raises(error) as caught:
        calendar(**fields)
    assert caught.value.field == field
    assert not Calendar.objects.filter(slug="test-cal").exists()


def test_calendar_slug_is_unique():
    with pytest.raises(SlugTaken):
        calendar(slug="24x7")


def policy(**fields: object) -> Policy:
    values: dict[str, object] = {
        "tier": Tier.objects.create(slug="gold", name="Gold"),
        "severity": "urgent",
        "response_minutes": 15,
        "resolution_minutes": 120,
        "response_calendar": Calendar.objects.get(slug="24x7"),
        "resolution_calendar": Calendar.objects.get(slug="24x7"),
    }
    values.update(fields)
    return services.policy_create(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"response_minutes": -1}, InvalidTarget, "response_minutes"),
        ({"resolution_minutes": -30}, InvalidTarget, "resolution_minutes"),
        ({"warning_percent": 101}, InvalidWarningPercent, "warning_percent"),
        ({"warning_percent": 0}, InvalidWarningPercent, "warning_percent"),
    ],
)
def test_bad_policies_are_refused_and_nothing_is_stored(fields, error, field):
    with pytest.raises(error) as caught:
        policy(**fields)
    assert caught.value.field == field
    assert not Policy.objects.filter(tier__slug="gold").exists()


def test_policy_is_unique_per_tier_and_severity():
    with pytest.raises(PolicyExists):
        policy(tier=Tier.objects.get(slug="standard"))


def test_policy_update_checks_before_storing():
    standard = Policy.objects.get(tier__slug="standard", severity="urgent")
    with pytest.raises(InvalidWarningPercent):
        services.policy_update(policy=standard, response_minutes=10, warning_percent=150)
    standard.refresh_from_db()
    assert (standard.response_minutes, standard.warning_percent) == (30, 75)
    services.policy_update(policy=standard, response_minutes=10)
    standard.refresh_from_db()
    assert (standard.response_minutes, standard.resolution_minutes) == (10, 60)


def org_with_contract(tier: str = "standard", time_zone: str = "Asia/Shanghai"):
    organization = organization_create(name="Gamma", slug="gamma")
    contract = contract_create(
        organization=organization,
        tier_slug=tier,
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 1, 1),
        time_zone=time_zone,
    )
    return organization, contract


def test_snapshot_holds_every_severity_with_the_contract_time_zone_and_targets():
    _org, contract = org_with_contract("premium", "Europe/Berlin")
    services.contract_target_set(
        contract=contract, severity="general", response_minutes=60, resolution_minutes=None
    )
    snap = selectors.sla_snapshot(contract=contract)
    assert snap["tier"] == "premium" and snap["contract"] == contract.pk
    assert {c["tz"] for c in snap["calendars"].values()} == {"Europe/Berlin"}
    assert snap["severities"]["important"]["resolution_minutes"] == 480
    assert snap["severities"]["general"]["response_minutes"] == 60  # the contract's own
    assert snap["severities"]["general"]["resolution_minutes"] == 2700  # the tier's


def test_snapshot_without_a_contract_uses_the_standard_tier():
    snap = selectors.sla_snapshot(contract=None)
    assert snap["tier"] == "standard" and snap["contract"] is None
    assert snap["calendars"]["business-cn"]["tz"] == "Asia/Shanghai"


def test_preview_uses_the_contract_and_wants_an_offset():
    _org, contract = org_with_contract()
    response, resolution = selectors.due_times_preview(
        contract=contract, severity="important", opened_at=datetime(2026, 9, 30, 17, tzinfo=SH)
    )
    assert response == datetime(2026, 10, 8, 10, tzinfo=SH)
    assert resolution == datetime(2026, 10, 10, 14, tzinfo=SH)
    with pytest.raises(NaiveDateTime) as caught:
        selectors.due_times_preview(
            contract=contract,
            severity="important",
            opened_at=datetime(2026, 9, 30, 17),  # noqa: DTZ001
        )
    assert caught.value.field == "opened_at"


def test_unknown_dates_and_overrides():
    business = Calendar.objects.get(slug="business-cn")
    unknown = selectors.calendar_unknown_dates(
        calendar=business, start=date(2026, 12, 30), end=date(2027, 1, 3)
    )
    assert unknown == [date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)]
    CalendarOverride.objects.create(date=date(2027, 1, 1), is_working=False, note="元旦")
    unknown = selectors.calendar_unknown_dates(
        calendar=business, start=date(2026, 12, 30), end=date(2027, 1, 3)
    )
    assert unknown == [date(2027, 1, 2), date(2027, 1, 3)]
    always = Calendar.objects.get(slug="24x7")
    assert (
        selectors.calendar_unknown_dates(
            calendar=always, start=date(2027, 1, 1), end=date(2027, 12, 31)
        )
        == []
    )
