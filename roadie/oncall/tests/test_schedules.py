"""Schedules against the database: rotations, overrides, leave, iCalendar import, coverage."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from roadie.accounts.models import Role
from roadie.core.tests.factories import make_user
from roadie.oncall import selectors, services
from roadie.oncall.errors import (
    EmptyRotation,
    InvalidCalendarData,
    InvalidInterval,
    NaiveDateTime,
    UnknownPeople,
    UnknownTimeZone,
)
from roadie.oncall.models import ImportedCalendar, Rotation, Schedule
from roadie.oncall.tests.factories import make_engineer, make_rotation, make_schedule

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")

WEEKLY_ICAL = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Team//Rota//EN
BEGIN:VEVENT
UID:alice-week@team
DTSTART;TZID=Europe/Berlin:20260302T090000
DTEND;TZID=Europe/Berlin:20260309T090000
RRULE:FREQ=WEEKLY;INTERVAL=2
EXDATE;TZID=Europe/Berlin:20260330T090000
SUMMARY:{alice}
END:VEVENT
BEGIN:VEVENT
UID:bob-week@team
DTSTART;TZID=Europe/Berlin:20260309T090000
DTEND;TZID=Europe/Berlin:20260316T090000
RRULE:FREQ=WEEKLY;INTERVAL=2
SUMMARY:Primary on call
ATTENDEE;CN=Bob:mailto:{bob}
END:VEVENT
END:VCALENDAR
"""


def test_rotation_needs_members_and_nothing_is_stored():
    schedule = make_schedule()
    with pytest.raises(EmptyRotation):
        make_rotation(schedule, [])
    assert not Rotation.objects.exists()


def test_schedule_refuses_unknown_time_zone():
    with pytest.raises(UnknownTimeZone):
        services.schedule_create(name="x", time_zone="Mars/Olympus")
    assert not Schedule.objects.exists()


def test_rotation_members_must_be_staff(customer_a):
    with pytest.raises(UnknownPeople):
        make_rotation(make_schedule(), [customer_a])


def test_oncall_users_follow_a_berlin_rotation_over_dst():
    alice, bob = make_engineer("alice"), make_engineer("bob")
    schedule = make_schedule(time_zone="Europe/Berlin")
    make_rotation(schedule, [alice, bob], kind="daily", start=date(2026, 3, 28))
    at = datetime(2026, 3, 29, 9, tzinfo=BERLIN)
    assert selectors.oncall_users(schedule=schedule, at=at - timedelta(minutes=1)) == [alice]
    assert selectors.oncall_users(schedule=schedule, at=at) == [bob]


def test_override_and_leave_through_services(agent):
    alice, bob, carol = make_engineer(), make_engineer(), make_engineer()
    schedule = make_schedule(time_zone="UTC")
    make_rotation(schedule, [alice, bob], kind="daily", start=date(2026, 3, 1))
    day2 = datetime(2026, 3, 2, 12, tzinfo=UTC)
    services.leave_create(
        user=bob, start=day2 - timedelta(hours=6), end=day2 + timedelta(hours=6), by=agent
    )
    assert selectors.oncall_users(schedule=schedule, at=day2) == [alice]
    services.override_create(
        schedule=schedule, user=carol, start=day2, end=day2 + timedelta(hours=1), by=agent
    )
    assert selectors.oncall_users(schedule=schedule, at=day2) == [carol]
    assert selectors.oncall_users(schedule=schedule, at=day2 + timedelta(hours=1)) == [alice]


def test_swap_trades_two_shifts(agent):
    alice, bob = make_engineer(), make_engineer()
    schedule = make_schedule(time_zone="UTC")
    make_rotation(schedule, [alice, bob], kind="daily", start=date(2026, 3, 1))
    d1 = datetime(2026, 3, 1, 9, tzinfo=UTC)
    d2 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    d3 = datetime(2026, 3, 3, 9, tzinfo=UTC)
    services.swap_create(
        schedule=schedule,
        first=alice,
        first_start=d1,
        first_end=d2,
        second=bob,
        second_start=d2,
        second_end=d3,
        by=agent,
    )
    assert selectors.oncall_users(schedule=schedule, at=d1) == [bob]
    assert selectors.oncall_users(schedule=schedule, at=d2) == [alice]


def test_inactive_member_is_skipped():
    alice, bob = make_engineer(), make_engineer()
    schedule = make_schedule(time_zone="UTC")
    make_rotation(schedule, [alice, bob], kind="daily", start=date(2026, 3, 1))
    alice.is_active = False
    alice.save()
    assert selectors.oncall_users(schedule=schedule, at=datetime(2026, 3, 1, 10, tzinfo=UTC)) == [
        bob
    ]


def test_override_refuses_naive_times_and_reversed_intervals(agent):
    schedule = make_schedule()
    engineer = make_engineer()
    with pytest.raises(NaiveDateTime):
        services.override_create(
            schedule=schedule,
            user=engineer,
            start=datetime(2026, 1, 1),  # noqa: DTZ001
            end=datetime(2026, 1, 2, tzinfo=UTC),
            by=agent,
        )
    with pytest.raises(InvalidInterval):
        services.override_create(
            schedule=schedule,
            user=engineer,
            start=datetime(2026, 1, 2, tzinfo=UTC),
            end=datetime(2026, 1, 1, tzinfo=UTC),
            by=agent,
        )


def test_planted_one_hour_hole_in_a_rota_is_found_exactly():
    """Day shifts 08:00–20:00 and night shifts 20:00–07:00 (Shanghai), kept in a shared
    calendar: the hour 07:00–08:00 is uncovered, and the coverage check finds exactly it."""
    day_people = [make_engineer()]
    night = make_engineer()
    schedule = make_schedule(time_zone="Asia/Shanghai")
    ical = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n"
    ical += (
        "BEGIN:VEVENT\nUID:day@t\nDTSTART;TZID=Asia/Shanghai:20260601T080000\n"
        "DTEND;TZID=Asia/Shanghai:20260601T200000\nRRULE:FREQ=DAILY\n"
        f"SUMMARY:{day_people[0].email}\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:night@t\nDTSTART;TZID=Asia/Shanghai:20260601T200000\n"
        "DTEND;TZID=Asia/Shanghai:20260602T070000\nRRULE:FREQ=DAILY\n"
        f"SUMMARY:{night.email}\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    services.schedule_import_ical(schedule=schedule, source=ical)
    start = datetime(2026, 6, 10, 8, tzinfo=SHANGHAI)
    found = selectors.coverage_gaps(schedule, start, start + timedelta(days=1))
    assert found == [(datetime(2026, 6, 10, 23, tzinfo=UTC), datetime(2026, 6, 11, 0, tzinfo=UTC))]
    assert found[0][1] - found[0][0] == timedelta(hours=1)


def test_planted_hole_in_a_rotation_made_by_a_leave_with_no_one_to_fall_to():
    only = make_engineer()
    schedule = make_schedule(time_zone="UTC")
    make_rotation(schedule, [only], kind="weekly", start=date(2026, 1, 5))
    hole = datetime(2026, 3, 4, 3, tzinfo=UTC)
    services.leave_create(user=only, start=hole, end=hole + timedelta(hours=1), by=None)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    assert selectors.coverage_gaps(schedule, start, start + timedelta(weeks=2)) == [
        (hole, hole + timedelta(hours=1))
    ]


def test_coverage_summary_totals_gap_seconds():
    schedule = make_schedule(time_zone="UTC")
    make_rotation(schedule, [make_engineer()], kind="daily", start=date(2026, 3, 2))
    make_schedule(name="Empty", time_zone="UTC")
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    summary = selectors.coverage_summary(start=start, end=start + timedelta(days=3))
    by_name = {row["name"]: row for row in summary["schedules"]}
    assert by_name[schedule.name]["gap_seconds"] == 24 * 3600
    assert by_name["Empty"]["gap_seconds"] == 3 * 24 * 3600
    assert summary["total_gap_seconds"] == 4 * 24 * 3600
    assert len(summary["gaps"]) == 2


def test_ical_import_expands_weekly_rrule_with_exdate():
    alice, bob = make_engineer("alice"), make_engineer("bob")
    schedule = services.schedule_create(
        name="Imported",
        time_zone="Europe/Berlin",
        ical_source=WEEKLY_ICAL.format(alice=alice.email.upper(), bob=bob.email),
    )

    def who(*args):
        return selectors.oncall_users(schedule=schedule, at=datetime(*args, tzinfo=BERLIN))

    assert who(2026, 3, 2, 9) == [alice]
    assert who(2026, 3, 9, 8, 59) == [alice]
    assert who(2026, 3, 9, 9) == [bob]  # the ATTENDEE names bob
    assert who(2026, 3, 16, 9) == [alice]
    # After the DST change (2026-03-29) the shift still starts at 09:00 Berlin.
    assert who(2026, 3, 23, 9) == [bob]
    # 2026-03-30 is excluded (EXDATE): a week-long gap.
    assert who(2026, 3, 30, 10) == []
    assert who(2026, 4, 13, 9) == [alice]
    start = datetime(2026, 3, 30, 9, tzinfo=BERLIN)
    assert selectors.coverage_gaps(schedule, start, start + timedelta(weeks=1)) == [
        (start.astimezone(UTC), (start + timedelta(weeks=1)).astimezone(UTC))
    ]


def test_ical_import_names_unknown_emails_and_stores_nothing():
    alice = make_engineer("alice")
    with pytest.raises(UnknownPeople) as caught:
        services.schedule_create(
            name="Bad",
            time_zone="Europe/Berlin",
            ical_source=WEEKLY_ICAL.format(alice=alice.email, bob="ghost@nowhere.example"),
        )
    assert "ghost@nowhere.example" in caught.value.message
    assert caught.value.emails == ["ghost@nowhere.example"]
    assert not Schedule.objects.exists() and not ImportedCalendar.objects.exists()


def test_ical_import_refuses_a_customer_email(customer_a):
    alice = make_engineer()
    with pytest.raises(UnknownPeople):
        services.schedule_create(
            name="Bad",
            time_zone="UTC",
            ical_source=WEEKLY_ICAL.format(alice=alice.email, bob=customer_a.email),
        )


@pytest.mark.parametrize(
    "text",
    [
        "not a calendar",
        "BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026XX\nSUMMARY:a@b.example\nEND:VEVENT\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART:20260101T000000Z\nSUMMARY:nobody\nEND:VEVENT\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART:20260101T000000Z\nDTEND:20260101T010000Z\n"
        "RRULE:FREQ=MINUTELY\nSUMMARY:a@b.example\nEND:VEVENT\nEND:VCALENDAR\n",
    ],
)
def test_malformed_ical_is_refused(text):
    with pytest.raises(InvalidCalendarData):
        services.schedule_create(name="Bad", time_zone="UTC", ical_source=text)
    assert not Schedule.objects.exists()


def test_all_day_and_floating_events_are_read_in_the_schedule_zone():
    person = make_engineer()
    text = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n"
        f"BEGIN:VEVENT\nUID:d@t\nDTSTART;VALUE=DATE:20260601\nSUMMARY:{person.email}\nEND:VEVENT\n"
        f"BEGIN:VEVENT\nUID:f@t\nDTSTART:20260603T080000\nDTEND:20260603T090000\n"
        f"SUMMARY:{person.email}\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    schedule = services.schedule_create(name="Days", time_zone="Asia/Shanghai", ical_source=text)
    start = datetime(2026, 6, 1, tzinfo=SHANGHAI)
    shifts = selectors.schedule_shifts(
        schedule=schedule, start=start, end=start + timedelta(days=3)
    )
    mine = [(s, e) for user, s, e in shifts if user == person]
    assert mine == [
        (start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)),
        (datetime(2026, 6, 3, 0, tzinfo=UTC), datetime(2026, 6, 3, 1, tzinfo=UTC)),
    ]


def test_schedule_list_queries_do_not_grow_with_schedules(django_assert_max_num_queries):
    people = [make_engineer() for _ in range(3)]
    for _n in range(5):
        schedule = make_schedule(time_zone="UTC")
        make_rotation(schedule, people, kind="daily", start=date(2026, 1, 1))
        services.override_create(
            schedule=schedule,
            user=people[0],
            start=datetime(2026, 3, 1, tzinfo=UTC),
            end=datetime(2026, 3, 2, tzinfo=UTC),
            by=None,
        )
    items = list(selectors.schedules())
    with django_assert_max_num_queries(6):
        result = selectors.oncall_now(items=items, at=datetime(2026, 3, 1, 12, tzinfo=UTC))
    assert all(result[s.pk] == [people[0]] for s in items)


def test_personal_feed_token_finds_its_owner_only():
    person = make_engineer()
    token = services.personal_feed_reset(user=person)
    assert selectors.feed_user(token=token) == person
    assert selectors.feed_user(token="forged") is None
    newer = services.personal_feed_reset(user=person)
    assert selectors.feed_user(token=token) is None
    assert selectors.feed_user(token=newer) == person


def test_roles_other_than_engineer_can_be_on_call():
    manager = make_user(Role.MANAGER)
    schedule = make_schedule(time_zone="UTC")
    make_rotation(schedule, [manager], kind="daily", start=date(2026, 1, 1))
    assert selectors.oncall_users(schedule=schedule, at=datetime(2026, 2, 1, tzinfo=UTC)) == [
        manager
    ]
