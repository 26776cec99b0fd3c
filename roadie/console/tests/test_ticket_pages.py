"""The paging timeline on a ticket page, and acknowledging a page from there."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roadie.oncall import services as oncall
from roadie.oncall.models import Page, PageEvent
from roadie.oncall.services import StepInput
from roadie.oncall.tests.factories import make_engineer, make_policy
from roadie.tickets import paging
from roadie.tickets.models import Ticket
from roadie.tickets.services import ticket_create

HTMX = {"HTTP_HX_REQUEST": "true"}

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def duty():
    return make_engineer("duty")


@pytest.fixture
def policy(duty):
    return make_policy(StepInput(kind="user", user=duty, wait_minutes=5), is_default=True)


@pytest.fixture
def urgent(customer_a, policy, django_capture_on_commit_callbacks) -> Ticket:
    with django_capture_on_commit_callbacks(execute=True):
        return ticket_create(by=customer_a, title="直播间黑屏", description="", severity="urgent")


def opening_tag(body: str) -> str:
    match = re.search(r'<section id="ticket-pages"[^>]*>', body)
    assert match is not None
    return match.group(0)


def pages_url(ticket: Ticket) -> str:
    return reverse("console:ticket_pages", args=[ticket.number])


def test_ticket_page_loads_the_paging_fragment(agent, urgent):
    response = client_for(agent).get(reverse("console:ticket", args=[urgent.number]))
    assert response.status_code == 200
    assert f'hx-get="{pages_url(urgent)}"' in response.text


def test_fragment_shows_who_was_notified_when_and_how(agent, urgent, duty):
    response = client_for(agent).get(pages_url(urgent), **HTMX)
    assert response.status_code == 200
    body = response.text
    assert " hidden" not in opening_tag(body)
    assert f"ticket:{urgent.number}" in body
    assert "Paging started on policy" in body
    assert f"notified {duty.display_name} via email" in body
    assert 'name="page"' in body and "Acknowledge" in body
    # While the page climbs its ladder, the fragment reloads itself.
    assert 'hx-trigger="every 30s"' in body


def test_acknowledging_from_the_ticket_stops_the_page(agent, urgent):
    page = Page.objects.get(source=f"ticket:{urgent.number}")
    response = client_for(agent).post(pages_url(urgent), {"page": page.pk}, **HTMX)
    assert response.status_code == 200
    page.refresh_from_db()
    assert page.status == Page.Status.ACKNOWLEDGED and page.acknowledged_by == agent
    event = page.events.get(kind=PageEvent.Kind.ACKNOWLEDGED)
    assert event.actor == agent and event.channel == "console"
    assert f"Acknowledged by {agent.display_name} (console)" in response.text
    assert 'name="page"' not in response.text  # no button any more


def test_acknowledging_without_htmx_returns_to_the_ticket(agent, urgent):
    page = Page.objects.get(source=f"ticket:{urgent.number}")
    response = client_for(agent).post(pages_url(urgent), {"page": page.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("console:ticket", args=[urgent.number])
    page.refresh_from_db()
    assert page.status == Page.Status.ACKNOWLEDGED


def test_acknowledging_a_resolved_page_says_so(agent, urgent):
    page = Page.objects.get(source=f"ticket:{urgent.number}")
    oncall.page_resolve(page=page, by=agent)
    response = client_for(agent).post(pages_url(urgent), {"page": page.pk}, **HTMX)
    assert response.status_code == 200
    assert "already resolved" in response.text
    page.refresh_from_db()
    assert page.status == Page.Status.RESOLVED


def test_a_page_of_another_ticket_cannot_be_acknowledged_here(agent, urgent, customer_a):
    other = ticket_create(by=customer_a, title="other", description="", severity="general")
    foreign = oncall.page_start(policy=None, source="incident:7", title="incident")
    for value in (foreign.pk, "x", ""):
        response = client_for(agent).post(pages_url(other), {"page": value}, **HTMX)
        assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Page.Status.TRIGGERED


def test_customers_get_404(customer_a, urgent):
    page = Page.objects.get(source=f"ticket:{urgent.number}")
    client = client_for(customer_a)
    assert client.get(pages_url(urgent)).status_code == 404
    assert client.post(pages_url(urgent), {"page": page.pk}).status_code == 404
    page.refresh_from_db()
    assert page.status == Page.Status.TRIGGERED


def test_unknown_ticket_is_404(agent):
    assert client_for(agent).get("/console/tickets/RD-999999/pages/").status_code == 404


def test_a_ticket_without_pages_shows_nothing(agent, customer_a):
    ticket = ticket_create(by=customer_a, title="小问题", description="", severity="general")
    body = client_for(agent).get(pages_url(ticket), **HTMX).text
    assert " hidden" in opening_tag(body)
    assert "hx-trigger" not in body  # nothing will change by itself: no polling


def test_fragment_says_why_nobody_was_paged(agent, customer_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(by=customer_a, title="黑屏", description="", severity="urgent")
    body = client_for(agent).get(pages_url(ticket), **HTMX).text
    assert (
        f"Nobody was paged for ticket:{ticket.number}: no escalation policy is marked default."
        in body
    )


def test_fragment_shows_sla_pages_too(agent, urgent):
    oncall.page_start(
        policy=None,
        source=paging.sla_source(urgent, "response", "breach"),
        title=f"{urgent.number}: the response target was missed",
    )
    body = client_for(agent).get(pages_url(urgent), **HTMX).text
    assert f"sla:{urgent.number}:response:breach" in body
    assert f"ticket:{urgent.number}" in body


def test_fragment_queries_do_not_grow_with_pages(agent, urgent, duty):
    client = client_for(agent)
    client.get(pages_url(urgent), **HTMX)  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get(pages_url(urgent), **HTMX)
    for threshold in ("warning", "breach"):
        page = oncall.page_start(
            policy=None, source=paging.sla_source(urgent, "response", threshold), title="x"
        )
        oncall.page_acknowledge(page=page, by=duty)
    with CaptureQueriesContext(connection) as three:
        client.get(pages_url(urgent), **HTMX)
    assert len(three) == len(one)


def test_resolving_the_ticket_shows_who_resolved_its_page(agent, urgent):
    client = client_for(agent)
    client.post(reverse("console:ticket_status", args=[urgent.number]), {"status": "resolved"})
    body = client.get(pages_url(urgent), **HTMX).text
    assert f"resolved by {agent.display_name}" in body
    assert 'name="page"' not in body
    assert "hx-trigger" not in body  # nothing left to watch
