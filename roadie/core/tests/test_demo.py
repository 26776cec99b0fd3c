import pytest
from django.db import connection

from roadie.accounts.models import Role, User
from roadie.core import clock
from roadie.customers.models import Contract, Deployment, Module, Organization
from roadie.demo import PASSWORD, load_demo
from roadie.notifications.models import OutboxMessage
from roadie.oncall.models import EscalationPolicy
from roadie.oncall.selectors import oncall_users
from roadie.tickets.models import Comment, Kind, Severity, Status, Tag, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

COUNTED = [Organization, Contract, Deployment, Module, User, Ticket, Comment, TicketEvent, Tag]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_demo_loads_a_realistic_desk_once_and_a_second_load_adds_nothing():
    # Slow-ish (200 tickets through the services): run it in the SQLite pass of the suite only.
    if connection.vendor != "sqlite":
        pytest.skip("the demo load is checked once, on SQLite")
    logins = load_demo()
    first = counts()
    assert load_demo() == logins
    assert counts() == first

    assert first["Organization"] >= 5
    assert first["Ticket"] >= 195
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(Ticket.objects.values_list("severity", flat=True)) == set(Severity.values)
    assert set(Ticket.objects.values_list("kind", flat=True)) == set(Kind.values)
    assert Comment.objects.filter(public=False).exists()
    assert Comment.objects.filter(author__role=Role.CUSTOMER_ADMIN).exists()
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert not Ticket.objects.exclude(status=Status.NEW).filter(first_response_at=None).exists()
    assert not OutboxMessage.objects.exists()

    assert "admin@roadie.demo" in logins
    assert "zhang.wei@galaxy-live.demo" in logins
    assert PASSWORD in logins
    assert User.objects.get(email="admin@roadie.demo").check_password(PASSWORD)

    # Urgent tickets page someone: a default policy whose first step is a 7×24 schedule that
    # has a person on call right now.
    policy = EscalationPolicy.objects.get(is_default=True)
    first = policy.steps.order_by("position").first()
    assert first.kind == "schedule"
    on_call = oncall_users(schedule=first.schedule, at=clock.now())
    assert len(on_call) == 1 and on_call[0].is_vendor_staff
