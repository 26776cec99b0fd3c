"""The satisfaction survey: once per ticket, a signed link that expires and cannot be forged."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import translation

from roadie.core import clock
from roadie.core.errors import InvalidInput
from roadie.core.tests import factories
from roadie.notifications.models import OutboxMessage
from roadie.tickets import satisfaction, services
from roadie.tickets.models import SatisfactionSurvey, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 1, 10, tzinfo=SH)


def resolved_ticket(customer, agent, at: datetime = T0) -> Ticket:
    ticket = services.ticket_create(
        by=customer, title="礼物特效不显示", description="", severity="general", at=at
    )
    services.ticket_comment(ticket=ticket, by=agent, body="已修复", at=at + timedelta(minutes=30))
    services.ticket_change_status(
        ticket=ticket, status=Status.RESOLVED, by=agent, at=at + timedelta(hours=1)
    )
    return Ticket.objects.get(pk=ticket.pk)


def survey_mails() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(idempotency_key__contains=":satisfaction:"))


def link_in(body: str) -> str:
    match = re.search(r"https?://\S+/portal/survey/([^/\s]+)/(?=\s)", body)
    assert match, body
    return match.group(1)


# -- sending ----------------------------------------------------------------------------------


def test_survey_is_sent_once_per_ticket_with_a_link(customer_a, agent):
    ticket = resolved_ticket(customer_a, agent)
    survey = satisfaction.survey_send(ticket=ticket, at=T0 + timedelta(hours=2))
    assert survey is not None and survey.sent_at == T0 + timedelta(hours=2)
    assert satisfaction.survey_send(ticket=ticket) is None
    mails = survey_mails()
    assert len(mails) == 1
    assert mails[0].recipient == customer_a.email
    token = link_in(mails[0].body)
    assert satisfaction.survey_link_open(token=token, now=T0).ticket == ticket
    assert TicketEvent.objects.filter(
        ticket=ticket, kind=TicketEvent.Kind.SATISFACTION_SENT, public=False
    ).exists()


def test_no_survey_for_a_ticket_that_is_not_resolved(customer_a, agent):
    ticket = factories.make_ticket(customer_a)
    assert satisfaction.survey_send(ticket=ticket) is None
    services.ticket_close(ticket=ticket, by=customer_a)  # closed by the customer, never resolved
    assert satisfaction.survey_send(ticket=ticket) is None
    assert not SatisfactionSurvey.objects.exists()


def test_periodic_send_waits_an_hour_and_skips_old_and_reopened_tickets(customer_a, agent):
    recent = resolved_ticket(customer_a, agent, at=T0)  # resolved at T0 + 1 h
    old = resolved_ticket(customer_a, agent, at=T0 - timedelta(days=10))
    reopened = resolved_ticket(customer_a, agent, at=T0)
    services.ticket_reopen(ticket=reopened, by=customer_a, at=T0 + timedelta(hours=1, minutes=5))

    assert satisfaction.surveys_send_due(now=T0 + timedelta(hours=1, minutes=30)) == 0
    assert satisfaction.surveys_send_due(now=T0 + timedelta(hours=2)) == 1
    assert satisfaction.surveys_send_due(now=T0 + timedelta(hours=3)) == 0
    assert list(SatisfactionSurvey.objects.values_list("ticket_id", flat=True)) == [recent.pk]
    assert not SatisfactionSurvey.objects.filter(ticket__in=[old, reopened]).exists()


# -- the link ---------------------------------------------------------------------------------


def test_link_expires_after_30_days(customer_a, agent):
    ticket = resolved_ticket(customer_a, agent)
    token = satisfaction.survey_token(ticket=ticket, user=customer_a)
    now = clock.now()
    assert (
        satisfaction.survey_link_open(token=token, now=now + timedelta(days=29)).user == customer_a
    )
    with pytest.raises(satisfaction.SurveyLinkExpired):
        satisfaction.survey_link_open(token=token, now=now + timedelta(days=31))


def test_forged_or_altered_links_are_refused(customer_a, customer_b, agent):
    ticket = resolved_ticket(customer_a, agent)
    token = satisfaction.survey_token(ticket=ticket, user=customer_a)
    other = resolved_ticket(customer_b, agent)
    payload, stamp, signature = token.split(":")
    forged = [
        "garbage",
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        # Another ticket's payload with this ticket's signature.
        satisfaction.survey_token(ticket=other, user=customer_b).split(":")[0]
        + f":{stamp}:{signature}",
        # Signed with the right key but another salt (e.g. another feature's token).
        signing.dumps({"t": ticket.pk, "u": customer_a.pk}, salt="something.else"),
        # Well signed, but for a person of another organization.
        satisfaction.survey_token(ticket=ticket, user=customer_b),
        satisfaction.survey_token(ticket=ticket, user=agent),
    ]
    for token_ in forged:
        with pytest.raises(satisfaction.SurveyLinkInvalid):
            satisfaction.survey_link_open(token=token_)
    assert payload


def test_survey_page_answers_once_without_login(customer_a, agent):
    ticket = resolved_ticket(customer_a, agent)
    token = satisfaction.survey_token(ticket=ticket, user=customer_a)
    url = reverse("portal:survey", args=[token])
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")

    page = browser.get(url, {"score": "4"})
    assert page.status_code == 200
    assert 'value="4" id="id_score_3" required checked' in page.content.decode()
    answered = browser.post(url, {"score": "4", "comment": "响应很快"})
    assert answered.status_code == 302
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert (survey.score, survey.comment, survey.answered_by) == (4, "响应很快", customer_a)
    assert "You rated this ticket 4/5" in browser.get(url).content.decode()

    again = browser.post(url, {"score": "1"})
    assert again.status_code == 409
    assert "This ticket has already been rated." in again.content.decode()
    survey.refresh_from_db()
    assert survey.score == 4
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.SATISFACTION_ANSWERED).count() == 1


def test_survey_page_refuses_bad_links(customer_a, agent, monkeypatch):
    ticket = resolved_ticket(customer_a, agent)
    token = satisfaction.survey_token(ticket=ticket, user=customer_a)
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert browser.get(reverse("portal:survey", args=["forged:token:x"])).status_code == 404
    assert (
        browser.post(reverse("portal:survey", args=[token + "x"]), {"score": 5}).status_code == 404
    )
    later = clock.now() + timedelta(days=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    expired = browser.post(reverse("portal:survey", args=[token]), {"score": 5})
    assert expired.status_code == 410
    assert "This survey link has expired." in expired.content.decode()
    assert not SatisfactionSurvey.objects.filter(answered_at__isnull=False).exists()


def test_scores_outside_1_to_5_are_refused(customer_a, agent):
    ticket = resolved_ticket(customer_a, agent)
    for score in (0, 6, "x", None):
        with translation.override("en"), pytest.raises(InvalidInput, match="1 to 5"):
            satisfaction.survey_answer(ticket=ticket, by=customer_a, score=score)  # type: ignore[arg-type]
    url = reverse("portal:survey", args=[satisfaction.survey_token(ticket=ticket, user=customer_a)])
    assert Client().post(url, {"score": "9"}).status_code == 400
    assert not SatisfactionSurvey.objects.filter(answered_at__isnull=False).exists()


def test_only_customers_of_the_organization_answer(customer_a, customer_b, agent):
    ticket = resolved_ticket(customer_a, agent)
    for person in (customer_b, agent):
        with pytest.raises(Ticket.DoesNotExist):
            satisfaction.survey_answer(ticket=ticket, by=person, score=5)


def test_answer_before_resolution_is_refused(customer_a):
    ticket = factories.make_ticket(customer_a)
    with pytest.raises(satisfaction.SurveyNotOpen):
        satisfaction.survey_answer(ticket=ticket, by=customer_a, score=5)


# -- the portal prompt ------------------------------------------------------------------------


def test_portal_ticket_page_asks_once_resolved_and_thanks_after(customer_a, agent):
    ticket = factories.make_ticket(customer_a)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(customer_a)
    page = reverse("portal:ticket", args=[ticket.number])
    assert "How did we do?" not in client.get(page).content.decode()

    ticket = resolved_ticket(customer_a, agent)
    page = reverse("portal:ticket", args=[ticket.number])
    html = client.get(page).content.decode()
    assert "How did we do?" in html
    action = re.search(r'action="(/portal/survey/[^"]+/)"', html)
    assert action
    response = client.post(action.group(1), {"score": "5"})
    assert response.status_code == 302 and response["Location"] == page
    assert "You rated this ticket 5/5" in client.get(page).content.decode()
    # Answered in the portal before any e-mail: the periodic send stays silent.
    assert satisfaction.surveys_send_due(now=clock.now() + timedelta(hours=2)) == 0
    assert survey_mails() == []


def test_staff_see_the_rating_on_the_ticket(customer_a, agent):
    ticket = resolved_ticket(customer_a, agent)
    satisfaction.survey_answer(ticket=ticket, by=customer_a, score=2, comment="太慢了")
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(agent)
    html = staff.get(reverse("console:ticket", args=[ticket.number])).content.decode()
    assert "2/5" in html and "太慢了" in html


def test_a_ticket_filed_by_staff_gets_no_e_mail(org_a, agent):
    ticket = services.ticket_create(
        by=agent, organization=org_a, title="电话报障", description="", severity="general"
    )
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, by=agent)
    survey = satisfaction.survey_send(ticket=ticket)
    assert survey is not None and survey.sent_at is None
    assert survey_mails() == []
    assert satisfaction.survey_send(ticket=ticket) is None
