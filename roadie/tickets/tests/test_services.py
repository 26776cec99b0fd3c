from datetime import timedelta

import pytest
from django.utils import timezone

from roadie.accounts.models import Role
from roadie.core.tests import factories
from roadie.tickets import services
from roadie.tickets.errors import InvalidTicket, InvalidTransition, NotAllowed, TicketClosed
from roadie.tickets.models import Status, TicketEvent

pytestmark = pytest.mark.django_db


def kinds(ticket):
    return list(ticket.events.values_list("kind", flat=True))


def test_staff_public_reply_is_the_first_response_and_opens_the_ticket(customer_a, agent):
    ticket = factories.make_ticket(requester=customer_a)
    services.ticket_comment(ticket=ticket, by=agent, body="内部记录", public=False)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and ticket.status == Status.NEW
    services.ticket_comment(ticket=ticket, by=agent, body="您好，我们正在处理")
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None and ticket.status == Status.OPEN


def test_auto_acknowledgement_and_customer_follow_up_are_not_responses(customer_a, agent):
    ticket = factories.make_ticket(requester=customer_a)
    services.ticket_comment(ticket=ticket, by=agent, body="已收到", is_auto=True)
    services.ticket_comment(ticket=ticket, by=customer_a, body="补充信息")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_customer_reply_while_waiting_reopens_the_conversation(customer_a, agent):
    ticket = factories.make_ticket(requester=customer_a)
    services.ticket_change_status(ticket=ticket, status=Status.WAITING, by=agent)
    services.ticket_comment(ticket=ticket, by=customer_a, body="日志已上传")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_customer_cannot_write_internal_notes_or_change_status(customer_a):
    ticket = factories.make_ticket(requester=customer_a)
    with pytest.raises(NotAllowed):
        services.ticket_comment(ticket=ticket, by=customer_a, body="x", public=False)
    with pytest.raises(NotAllowed):
        services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, by=customer_a)


def test_closed_ticket_cannot_go_back_to_waiting(customer_a, agent):
    ticket = factories.make_ticket(requester=customer_a)
    services.ticket_change_status(ticket=ticket, status=Status.CLOSED, by=agent)
    with pytest.raises(InvalidTransition):
        services.ticket_change_status(ticket=ticket, status=Status.WAITING, by=agent)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and not ticket.is_open


def test_customer_reopens_within_the_window_but_not_after(customer_a, agent, settings):
    settings.ROADIE_REOPEN_WINDOW_DAYS = 7
    ticket = factories.make_ticket(requester=customer_a)
    resolved_at = timezone.now() - timedelta(days=3)
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, by=agent, at=resolved_at)
    services.ticket_reopen(ticket=ticket, by=customer_a)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and TicketEvent.Kind.REOPENED in kinds(ticket)

    services.ticket_change_status(
        ticket=ticket, status=Status.RESOLVED, by=agent, at=timezone.now() - timedelta(days=8)
    )
    with pytest.raises(TicketClosed):
        services.ticket_reopen(ticket=ticket, by=customer_a)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_customer_reply_on_closed_ticket_is_refused(customer_a, agent):
    ticket = factories.make_ticket(requester=customer_a)
    services.ticket_close(ticket=ticket, by=customer_a)
    with pytest.raises(TicketClosed):
        services.ticket_comment(ticket=ticket, by=customer_a, body="还在吗")
    assert ticket.comments.count() == 0


def test_every_change_is_in_the_history_with_its_actor(customer_a, agent):
    ticket = factories.make_ticket(requester=customer_a)
    services.ticket_assign(ticket=ticket, assignee=agent, by=agent)
    services.ticket_change_severity(ticket=ticket, severity="urgent", by=agent)
    services.ticket_set_tags(ticket=ticket, names=["CDN", "推流"], by=agent)
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, by=agent)
    events = list(ticket.events.order_by("id"))
    assert [e.kind for e in events] == [
        "created", "assigned", "severity_changed", "tags_changed", "status_changed",
    ]
    assert events[2].data == {"old": "important", "new": "urgent"}
    assert all(e.actor == agent for e in events[1:])


def test_tickets_are_assigned_to_staff_only(customer_a, customer_b, agent):
    ticket = factories.make_ticket(requester=customer_a)
    with pytest.raises(InvalidTicket):
        services.ticket_assign(ticket=ticket, assignee=customer_b, by=agent)


def test_a_deployment_of_another_organization_is_refused(customer_a, org_b, agent):
    deployment = factories.make_deployment(org_b)
    with pytest.raises(InvalidTicket) as error:
        factories.make_ticket(requester=customer_a, deployment=deployment)
    assert error.value.field == "deployment"


def test_customer_files_for_own_organization_whatever_it_names(customer_a, org_b):
    ticket = services.ticket_create(
        by=customer_a, title="x", description="", severity="general", organization=org_b
    )
    assert ticket.organization == customer_a.organization


def test_staff_must_choose_an_organization(db):
    staff = factories.make_user(Role.ENGINEER)
    with pytest.raises(InvalidTicket):
        services.ticket_create(by=staff, title="x", description="", severity="general")


def test_customer_reply_reopens_only_within_the_window(customer_a, agent, settings):
    settings.ROADIE_REOPEN_WINDOW_DAYS = 7
    ticket = factories.make_ticket(requester=customer_a)
    services.ticket_change_status(
        ticket=ticket, status=Status.RESOLVED, by=agent, at=timezone.now() - timedelta(days=8)
    )
    with pytest.raises(TicketClosed):
        services.ticket_comment(ticket=ticket, by=customer_a, body="又出现了")
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.comments.count() == 0

    services.ticket_change_status(ticket=ticket, status=Status.OPEN, by=agent)
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, by=agent)
    services.ticket_comment(ticket=ticket, by=customer_a, body="又出现了")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
