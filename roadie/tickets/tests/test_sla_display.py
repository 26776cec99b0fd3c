"""What people see of the SLA: badges with countdowns, the "due first" queue, the portal's
commitments and the intake preview."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from roadie.core import clock
from roadie.core.tests import factories
from roadie.sla.selectors import due_times_preview
from roadie.tickets import selectors, services
from roadie.tickets.models import Status, Ticket
from roadie.tickets.templatetags.sla_badges import duration_text, sla_badge_for

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
# Monday 2026-06-01, an ordinary working day: business hours 09:00–18:00.
OPENED = datetime(2026, 6, 1, 10, tzinfo=SH)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def important(customer, at: datetime = OPENED) -> Ticket:
    return services.ticket_create(
        by=customer, title="连麦失败", description="", severity="important", at=at
    )


def badge_html(ticket: Ticket, audience: str, now: datetime, language: str, monkeypatch) -> str:
    monkeypatch.setattr(clock, "now", lambda: now)
    template = Template("{% load sla_badges %}{% sla_badge ticket audience %}")
    with translation.override(language):
        return template.render(Context({"ticket": ticket, "audience": audience}))


def badge_text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).strip()


# -- badges -----------------------------------------------------------------------------------


def test_running_badge_counts_down_to_the_response(customer_a, monkeypatch):
    ticket = fresh(important(customer_a))  # response due 12:00
    html = badge_html(ticket, "staff", sh(2026, 6, 1, 10, 48), "en", monkeypatch)
    assert badge_text(html) == "response due in 1 h 12 min"
    assert 'data-due="2026-06-01T12:00:00+08:00"' in html
    assert 'data-future="response due in {t}"' in html
    assert 'data-past="response breached {t} ago"' in html
    assert "sla-running" in html
    zh = badge_html(ticket, "staff", sh(2026, 6, 1, 10, 48), "zh-hans", monkeypatch)
    assert badge_text(zh) == "响应剩余 1 小时 12 分钟"


def test_breached_badge_counts_up_since_the_due_time(customer_a, monkeypatch):
    ticket = fresh(important(customer_a))
    html = badge_html(ticket, "customer", sh(2026, 6, 1, 15), "en", monkeypatch)
    assert badge_text(html) == "response breached 3 h ago"
    assert "sla-breached" in html
    zh = badge_html(ticket, "customer", sh(2026, 6, 1, 15), "zh-hans", monkeypatch)
    assert badge_text(zh) == "响应已超时 3 小时"


def test_after_the_first_response_the_resolution_clock_shows(customer_a, agent, monkeypatch):
    ticket = important(customer_a)
    services.ticket_comment(ticket=ticket, by=agent, body="在看了", at=sh(2026, 6, 1, 11))
    ticket = fresh(ticket)  # resolution due Wed 16:00 (24 business hours)
    html = badge_html(ticket, "staff", sh(2026, 6, 1, 15), "en", monkeypatch)
    assert badge_text(html) == "resolution due in 2 d 1 h"


def test_paused_badge_names_who_is_waiting(customer_a, agent, monkeypatch):
    ticket = important(customer_a)
    services.ticket_change_status(
        ticket=ticket, status=Status.WAITING, by=agent, at=sh(2026, 6, 1, 11)
    )
    ticket = fresh(ticket)
    now = sh(2026, 6, 2, 11)
    assert badge_text(badge_html(ticket, "customer", now, "en", monkeypatch)) == (
        "paused: waiting on you"
    )
    assert badge_text(badge_html(ticket, "staff", now, "en", monkeypatch)) == (
        "paused: waiting on customer"
    )
    assert "data-due" not in badge_html(ticket, "staff", now, "en", monkeypatch)
    assert badge_text(badge_html(ticket, "customer", now, "zh-hans", monkeypatch)) == (
        "已暂停：等待您回复"
    )


def test_met_and_missed_badges_after_resolution(customer_a, agent, monkeypatch):
    on_time = important(customer_a)
    services.ticket_comment(ticket=on_time, by=agent, body="好了", at=sh(2026, 6, 1, 11))
    services.ticket_change_status(
        ticket=on_time, status=Status.RESOLVED, by=agent, at=sh(2026, 6, 1, 12)
    )
    late = important(customer_a)
    services.ticket_comment(ticket=late, by=agent, body="抱歉", at=sh(2026, 6, 1, 13))
    now = sh(2026, 6, 3, 9)
    met = badge_html(fresh(on_time), "customer", now, "en", monkeypatch)
    assert badge_text(met) == "SLA met"
    assert badge_text(badge_html(fresh(on_time), "customer", now, "zh-hans", monkeypatch)) == (
        "SLA 达标"
    )
    services.ticket_change_status(
        ticket=late, status=Status.RESOLVED, by=agent, at=sh(2026, 6, 1, 14)
    )
    assert badge_text(badge_html(fresh(late), "staff", now, "en", monkeypatch)) == (
        "response target missed"
    )


def test_ticket_without_sla_has_no_badge(customer_a):
    ticket = fresh(important(customer_a))
    ticket.sla_snapshot = {}
    assert sla_badge_for(ticket, now=OPENED) is None


def test_duration_text_keeps_the_two_largest_units():
    with translation.override("en"):
        assert duration_text(30) == "less than a minute"
        assert duration_text(59 * 60 + 59) == "59 min"
        assert duration_text(3600) == "1 h"
        assert duration_text(3 * 86400 + 5 * 60) == "3 d"
        assert duration_text(86400 + 7200 + 60) == "1 d 2 h"


def test_badges_in_queue_and_pages(customer_a, agent):
    ticket = factories.make_ticket(customer_a, severity="urgent")
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(agent)
    customer = Client(HTTP_ACCEPT_LANGUAGE="en")
    customer.force_login(customer_a)
    pages = [
        staff.get(reverse("console:queue")),
        staff.get(reverse("console:ticket", args=[ticket.number])),
        customer.get(reverse("portal:tickets")),
        customer.get(reverse("portal:ticket", args=[ticket.number])),
    ]
    for page in pages:
        assert page.status_code == 200
        assert re.search(r'class="badge sla sla-running[^"]*" data-due="', page.content.decode())
        assert "response due in" in page.content.decode()


def test_countdown_script_is_served():
    from pathlib import Path

    script = (Path(__file__).resolve().parents[3] / "static/roadie/app.js").read_text()
    assert "// sla countdowns" in script
    assert "setInterval(tick, 30000)" in script


# -- the "due first" queue --------------------------------------------------------------------


def test_due_sort_orders_by_the_earliest_pending_due_time(customer_a, agent):
    general = services.ticket_create(
        by=customer_a, title="g", description="", severity="general", at=sh(2026, 6, 1, 9)
    )  # response due 11:00
    urgent = services.ticket_create(
        by=customer_a, title="u", description="", severity="urgent", at=sh(2026, 6, 1, 10)
    )  # response due 10:30
    answered = services.ticket_create(
        by=customer_a, title="a", description="", severity="urgent", at=sh(2026, 6, 1, 9, 50)
    )  # answered: resolution due 10:50
    services.ticket_comment(ticket=answered, by=agent, body="x", at=sh(2026, 6, 1, 9, 55))
    waiting = important(customer_a, at=sh(2026, 6, 1, 8))  # paused: nothing pending
    services.ticket_change_status(
        ticket=waiting, status=Status.WAITING, by=agent, at=sh(2026, 6, 1, 9)
    )
    closed = important(customer_a, at=sh(2026, 6, 1, 7))
    services.ticket_close(ticket=closed, by=customer_a, at=sh(2026, 6, 1, 8))

    page = selectors.ticket_queue(
        viewer=agent, filters=selectors.QueueFilters(queue="all"), sort="due"
    )

    assert [t.pk for t in page.items] == [urgent.pk, answered.pk, general.pk, waiting.pk, closed.pk]
    assert page.sort == "due"


def test_due_sort_pages_through_running_then_still_tickets(customer_a, agent):
    running = [
        services.ticket_create(
            by=customer_a,
            title=f"r{n}",
            description="",
            severity="urgent",
            at=sh(2026, 6, 1, 10) + timedelta(minutes=n % 3),
        )
        for n in range(7)
    ]
    still = []
    for n in range(4):
        ticket = important(customer_a, at=sh(2026, 6, 1, 8, n))
        services.ticket_change_status(
            ticket=ticket, status=Status.WAITING, by=agent, at=sh(2026, 6, 1, 9)
        )
        still.append(ticket)
    expected = [t.pk for t in sorted(running, key=lambda t: (t.created_at, t.pk))]
    expected += [t.pk for t in still]

    seen: list[int] = []
    cursor = ""
    pages = 0
    while True:
        page = selectors.ticket_queue(
            viewer=agent, filters=selectors.QueueFilters(), sort="due", cursor=cursor, limit=3
        )
        seen.extend(t.pk for t in page.items)
        pages += 1
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected
    assert pages == 4


def test_due_sort_rejects_hand_made_cursors(agent):
    for values in ('["x", 1]', '[null, "1"]', '["2026-06-01T10:00:00", 1]', "[1, 2, 3]"):
        cursor = selectors._encode_cursor(__import__("json").loads(values))
        with pytest.raises(selectors.InvalidCursor):
            selectors.ticket_queue(
                viewer=agent, filters=selectors.QueueFilters(), sort="due", cursor=cursor
            )


def test_due_sort_walks_an_index_on_sqlite(customer_a, agent):
    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    factories.make_ticket(customer_a)
    with CaptureQueriesContext(connection) as queries:
        selectors.ticket_queue(viewer=agent, filters=selectors.QueueFilters(), sort="due")
    sql = next(q["sql"] for q in queries.captured_queries if "CASE WHEN" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "USING INDEX ticket_due_queue" in plan
    assert "TEMP B-TREE" not in plan


def test_console_queue_offers_due_first(customer_a, agent):
    later = factories.make_ticket(customer_a, severity="general")
    sooner = factories.make_ticket(customer_a, severity="urgent")
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(agent)
    response = staff.get(reverse("console:queue"), {"sort": "due"})
    html = response.content.decode()
    assert '<option value="due" selected>Due first</option>' in html
    numbers = re.findall(r'aria-label="Select (RD-\d+)"', html)
    assert numbers == [sooner.number, later.number]


def test_escalated_tickets_rise_within_their_severity_for_staff(customer_a, agent):
    first, second, third = (factories.make_ticket(customer_a) for _ in range(3))
    Ticket.objects.filter(pk=first.pk).update(escalated=True)
    urgent = factories.make_ticket(customer_a, severity="urgent")
    staff_page = selectors.ticket_queue(viewer=agent, filters=selectors.QueueFilters())
    assert [t.pk for t in staff_page.items] == [urgent.pk, first.pk, third.pk, second.pk]
    customer_page = selectors.ticket_queue(
        viewer=customer_a, filters=selectors.QueueFilters(), sort="severity"
    )
    assert [t.pk for t in customer_page.items] == [urgent.pk, third.pk, second.pk, first.pk]


def test_severity_cursor_pages_through_escalated_tickets(customer_a, agent):
    tickets = [factories.make_ticket(customer_a) for _ in range(5)]
    Ticket.objects.filter(pk__in=[tickets[1].pk, tickets[3].pk]).update(escalated=True)
    seen: list[int] = []
    cursor = ""
    while True:
        page = selectors.ticket_queue(
            viewer=agent, filters=selectors.QueueFilters(), cursor=cursor, limit=2
        )
        seen.extend(t.pk for t in page.items)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == [tickets[3].pk, tickets[1].pk, tickets[4].pk, tickets[2].pk, tickets[0].pk]


# -- the portal: commitments and intake preview -----------------------------------------------


def customer_client(customer) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(customer)
    return client


def test_portal_ticket_page_shows_the_commitments_it_was_opened_under(customer_a):
    ticket = factories.make_ticket(customer_a, severity="important")
    html = (
        customer_client(customer_a)
        .get(reverse("portal:ticket", args=[ticket.number]))
        .content.decode()
    )
    assert "Our commitments for this ticket" in html
    assert "30 minutes, 7×24" in html  # urgent response
    assert "2 business hours" in html and "24 business hours" in html
    assert "Business hours: 09:00–18:00, Mon–Fri" in html
    assert 'class="current" aria-current="true"' in html


def test_portal_intake_shows_the_commitments_and_previews_due_times(customer_a, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: sh(2026, 9, 30, 17))  # eve of National Day
    client = customer_client(customer_a)
    page = client.get(reverse("portal:ticket_new")).content.decode()
    assert "Our commitments under your contract" in page
    assert 'hx-get="/portal/tickets/new/"' in page and 'id="sla-preview"' in page

    fragment = client.get(
        reverse("portal:ticket_new"), {"severity": "important"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    response, resolution = due_times_preview(
        contract=customer_a.organization.contracts.get(),
        severity="important",
        opened_at=sh(2026, 9, 30, 17),
    )
    assert response == sh(2026, 10, 8, 10)  # the same computation as POST /api/v1/sla/preview
    assert fragment.lstrip().startswith('<p id="sla-preview"')
    assert (
        "If you file now: response due by 2026-10-08 10:00, resolution due by 2026-10-10 14:00."
        in fragment
    )
    assert resolution == sh(2026, 10, 10, 14)
    empty = client.get(
        reverse("portal:ticket_new"), {"severity": "bogus"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "If you file now" not in empty


def test_intake_preview_matches_the_api(customer_a, api_as, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: sh(2026, 6, 1, 17))
    contract = customer_a.organization.contracts.get()
    api = (
        api_as(customer_a)
        .post(
            "/api/v1/sla/preview",
            {
                "contract": contract.pk,
                "severity": "general",
                "opened_at": "2026-06-01T17:00:00+08:00",
            },
            content_type="application/json",
        )
        .json()
    )
    fragment = (
        customer_client(customer_a)
        .get(reverse("portal:ticket_new"), {"severity": "general"}, HTTP_HX_REQUEST="true")
        .content.decode()
    )
    due = datetime.fromisoformat(api["response_due_at"]).astimezone(SH)
    assert f"response due by {due:%Y-%m-%d %H:%M}" in fragment
