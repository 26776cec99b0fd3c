"""Console pages for on-call: schedules, gaps banner, feeds, pages, the one-click link."""

from datetime import date, timedelta

import icalendar
import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from roadie.core import clock
from roadie.oncall import services
from roadie.oncall.escalation import page_advance
from roadie.oncall.links import ack_token
from roadie.oncall.models import Leave, Override, Page, PageEvent
from roadie.oncall.services import StepInput
from roadie.oncall.tests.factories import make_engineer, make_policy, make_rotation, make_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(agent):
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def covered():
    alice, bob = make_engineer("alice"), make_engineer("bob")
    schedule = make_schedule(name="Primary", time_zone="Europe/Berlin")
    make_rotation(schedule, [alice, bob], kind="daily", start=date(2020, 1, 1))
    return {"alice": alice, "bob": bob, "schedule": schedule}


def test_schedules_list_shows_who_is_on_call_and_gaps(
    staff_client, covered, django_assert_max_num_queries
):
    make_schedule(name="Nights", time_zone="UTC")
    for _ in range(3):
        make_rotation(
            make_schedule(time_zone="UTC"), [covered["alice"]], kind="daily", start=date(2020, 1, 1)
        )
    with django_assert_max_num_queries(20):
        response = staff_client.get(reverse("console:oncall:schedules"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Primary" in body and "Nights" in body
    assert covered["alice"].email in body or covered["bob"].email in body
    assert 'class="oncall-banner" role="alert"' in body  # Nights has nobody: a red banner


def test_schedule_detail_has_timeline_and_no_banner_when_covered(staff_client, covered):
    response = staff_client.get(reverse("console:oncall:schedule", args=[covered["schedule"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "oncall-timeline" in body
    assert 'role="alert"' not in body
    assert "oncall-banner ok" in body


def test_gaps_page_lists_a_gap_with_a_red_banner(staff_client):
    make_schedule(name="Empty", time_zone="UTC")
    response = staff_client.get(reverse("console:oncall:gaps"), {"weeks": 2})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="oncall-banner" role="alert"' in body and "Empty" in body


def test_override_and_leave_forms_use_the_schedule_zone(staff_client, covered):
    url = reverse("console:oncall:override_add", args=[covered["schedule"].pk])
    response = staff_client.post(
        url,
        {
            "override-user": covered["bob"].pk,
            "override-start": "2030-07-01T09:00",
            "override-end": "2030-07-01T10:00",
        },
    )
    assert response.status_code == 302
    override = Override.objects.get()
    assert override.start.isoformat() == "2030-07-01T07:00:00+00:00"  # 09:00 CEST
    bad = staff_client.post(
        url,
        {
            "override-user": covered["bob"].pk,
            "override-start": "2030-07-01T10:00",
            "override-end": "2030-07-01T09:00",
        },
    )
    assert bad.status_code == 422 and Override.objects.count() == 1
    leave = staff_client.post(
        reverse("console:oncall:leave_add", args=[covered["schedule"].pk]),
        {
            "leave-user": covered["alice"].pk,
            "leave-start": "2030-08-01T00:00",
            "leave-end": "2030-08-15T00:00",
            "leave-note": "年假",
        },
    )
    assert leave.status_code == 302 and Leave.objects.get().note == "年假"


def test_schedule_feed_is_icalendar(staff_client, covered):
    response = staff_client.get(
        reverse("console:oncall:schedule_feed", args=[covered["schedule"].pk]), {"weeks": 2}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert 14 <= len(events) <= 16
    assert {str(e["DESCRIPTION"]) for e in events} == {covered["alice"].email, covered["bob"].email}


def test_person_feed_needs_the_secret(covered):
    token = services.personal_feed_reset(user=covered["alice"])
    client = Client()
    response = client.get(reverse("console:oncall:person_feed", args=[token]))
    assert response.status_code == 200
    events = list(icalendar.Calendar.from_ical(response.content).walk("VEVENT"))
    assert events and all("Primary" in str(e["SUMMARY"]) for e in events)
    assert client.get(reverse("console:oncall:person_feed", args=["forged"])).status_code == 404


def test_my_feed_shows_the_address_once(staff_client, agent):
    response = staff_client.post(reverse("console:oncall:my_feed"))
    assert "/console/oncall/feeds/" in response.content.decode()
    assert (
        "/console/oncall/feeds/"
        not in staff_client.get(reverse("console:oncall:my_feed")).content.decode()
    )


@pytest.fixture
def paging(covered):
    policy = make_policy(StepInput(kind="schedule", schedule=covered["schedule"], wait_minutes=5))
    page = services.page_start(
        policy=policy, source="ticket:RD-9", title="推流中断", url="", urgent=True
    )
    page_advance(page_id=page.pk, now=clock.now())
    return page


def test_pages_list_puts_paging_first_and_detail_shows_the_timeline(staff_client, paging, agent):
    other = make_policy(StepInput(kind="user", user=make_engineer(), wait_minutes=5))
    old = services.page_start(policy=other, source="x", title="已解决", url="", urgent=False)
    services.page_resolve(page=old, by=agent)
    body = staff_client.get(reverse("console:oncall:pages")).content.decode()
    assert body.index("推流中断") < body.index("已解决")
    detail = staff_client.get(reverse("console:oncall:page", args=[paging.pk])).content.decode()
    assert "via email" in detail or "email" in detail
    assert reverse("console:oncall:page_ack", args=[paging.pk]) in detail


def test_console_acknowledge_and_resolve(staff_client, paging, agent):
    staff_client.post(reverse("console:oncall:page_ack", args=[paging.pk]))
    paging.refresh_from_db()
    assert paging.status == Page.Status.ACKNOWLEDGED and paging.acknowledged_by == agent
    staff_client.post(reverse("console:oncall:page_resolve", args=[paging.pk]))
    paging.refresh_from_db()
    assert paging.status == Page.Status.RESOLVED


def test_one_click_link_get_asks_post_acknowledges(paging, covered):
    person = paging.events.get(kind=PageEvent.Kind.NOTIFIED).actor
    url = reverse("console:oncall:ack", args=[ack_token(page=paging, user=person)])
    client = Client()  # no session: the signature is the credential
    shown = client.get(url)
    assert shown.status_code == 200 and "<form" in shown.content.decode()
    paging.refresh_from_db()
    assert paging.status == Page.Status.TRIGGERED  # a GET (a mail scanner) changes nothing
    done = client.post(url)
    assert done.status_code == 200
    paging.refresh_from_db()
    assert paging.status == Page.Status.ACKNOWLEDGED and paging.acknowledged_by == person


def test_forged_and_expired_links_show_an_error_and_change_nothing(paging, covered, monkeypatch):
    client = Client()
    forged = reverse("console:oncall:ack", args=["eyJwIjoxfQ:forged:signature"])
    for method in ("get", "post"):
        response = getattr(client, method)(forged)
        assert response.status_code == 403
        assert "not valid" in response.content.decode() or "无效" in response.content.decode()
    real = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real() - 2 * 24 * 3600)
    token = ack_token(page=paging, user=covered["alice"])
    monkeypatch.setattr(signing.time, "time", real)
    response = client.post(reverse("console:oncall:ack", args=[token]))
    assert response.status_code == 403
    paging.refresh_from_db()
    assert paging.status == Page.Status.TRIGGERED
    assert not paging.events.filter(kind=PageEvent.Kind.ACKNOWLEDGED).exists()


def test_customers_get_404(customer_a, covered, paging):
    client = Client()
    client.force_login(customer_a)
    for name, args in [
        ("console:oncall:schedules", []),
        ("console:oncall:schedule", [covered["schedule"].pk]),
        ("console:oncall:schedule_feed", [covered["schedule"].pk]),
        ("console:oncall:gaps", []),
        ("console:oncall:pages", []),
        ("console:oncall:page", [paging.pk]),
        ("console:oncall:policies", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    assert client.post(reverse("console:oncall:page_ack", args=[paging.pk])).status_code == 404


def test_policy_pages_render(staff_client, paging):
    assert staff_client.get(reverse("console:oncall:policies")).status_code == 200
    response = staff_client.get(reverse("console:oncall:policy", args=[paging.policy_id]))
    assert response.status_code == 200


def test_timeline_says_when_nobody_was_on_call(staff_client, agent):
    policy = make_policy(
        StepInput(kind="schedule", schedule=make_schedule(name="Hole"), wait_minutes=5)
    )
    page = services.page_start(policy=policy, source="s", title="t", url="", urgent=True)
    page_advance(page_id=page.pk, now=clock.now() + timedelta(seconds=1))
    staff_client.cookies.load({"django_language": "en"})
    body = staff_client.get(
        reverse("console:oncall:page", args=[page.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "nobody is on call on schedule Hole" in body
