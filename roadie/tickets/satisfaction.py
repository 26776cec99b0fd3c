"""The satisfaction survey: one question (1–5 and a comment) once a ticket is resolved.

A survey is e-mailed once per ticket (``survey_send``, from the periodic
``surveys_send_due``) with a signed link that needs no login; the portal's ticket page shows the
same question.  The link carries the ticket and the person it was made for, signed with
django.core.signing (salted, timestamped): it expires after ``LINK_MAX_AGE`` and cannot be
forged or moved to another ticket.  A survey is answered once; a second answer is refused.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.core import clock
from roadie.core.errors import DomainError, InvalidInput
from roadie.tickets import notify
from roadie.tickets.models import SatisfactionSurvey, Status, Ticket, TicketEvent

LINK_SALT = "roadie.tickets.satisfaction"
LINK_MAX_AGE = timedelta(days=30)
# A survey goes out this long after the resolution, so a ticket reopened at once is not surveyed.
SEND_DELAY = timedelta(hours=1)
# Resolutions older than this are never surveyed (e.g. when the feature is switched on).
SEND_WINDOW = timedelta(days=7)
SEND_BATCH = 200
MAX_COMMENT = 5000
SCORES = (1, 2, 3, 4, 5)


class SurveyLinkInvalid(DomainError):
    code = "survey_link_invalid"
    status = 404


class SurveyLinkExpired(DomainError):
    code = "survey_link_expired"
    status = 410


class SurveyAlreadyAnswered(DomainError):
    code = "survey_already_answered"
    status = 409


class SurveyNotOpen(DomainError):
    code = "survey_not_open"
    status = 409


def _resolved(ticket: Ticket) -> bool:
    return ticket.resolved_at is not None and ticket.status in (Status.RESOLVED, Status.CLOSED)


# -- links ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyLink:
    ticket: Ticket
    user: User


def survey_token(*, ticket: Ticket, user: User) -> str:
    """The signed, expiring token of ``user``'s survey link for ``ticket``."""
    return signing.dumps({"t": ticket.pk, "u": user.pk}, salt=LINK_SALT, compress=False)


def survey_link_open(*, token: str, now: datetime | None = None) -> SurveyLink:
    """The ticket and person a link was made for.

    Raises SurveyLinkInvalid (forged, altered, unknown ticket or person, or a person who may no
    longer see the ticket) or SurveyLinkExpired (older than LINK_MAX_AGE).
    """
    try:
        # The signature only: the age is checked against the injectable clock below.
        data = signing.loads(token, salt=LINK_SALT)
        issued = datetime.fromtimestamp(signing.b62_decode(token.rsplit(":", 2)[-2]), tz=UTC)
    except (signing.BadSignature, ValueError, IndexError):
        raise SurveyLinkInvalid(_("This survey link is not valid."))
    if (now or clock.now()) - issued > LINK_MAX_AGE:
        raise SurveyLinkExpired(_("This survey link has expired."))
    try:
        ticket = Ticket.objects.select_related("organization").get(pk=int(data["t"]))
        user = User.objects.get(pk=int(data["u"]), is_active=True)
    except (ValueError, TypeError, KeyError, Ticket.DoesNotExist, User.DoesNotExist):
        raise SurveyLinkInvalid(_("This survey link is not valid."))
    if not user.is_customer or user.organization_id != ticket.organization_id:
        raise SurveyLinkInvalid(_("This survey link is not valid."))
    return SurveyLink(ticket=ticket, user=user)


# -- sending --------------------------------------------------------------------------------


def survey_get(*, ticket: Ticket) -> SatisfactionSurvey | None:
    return SatisfactionSurvey.objects.filter(ticket=ticket).first()


@transaction.atomic
def survey_send(*, ticket: Ticket, at: datetime | None = None) -> SatisfactionSurvey | None:
    """E-mail the survey of a resolved ticket to its requester, once per ticket.

    Returns the new survey, or None when the ticket is not resolved or already has a survey
    (sent, or answered in the portal).  The e-mail goes through the outbox in this transaction.
    """
    now = at or clock.now()
    ticket = Ticket.objects.select_for_update().select_related("requester").get(pk=ticket.pk)
    if not _resolved(ticket) or SatisfactionSurvey.objects.filter(ticket=ticket).exists():
        return None
    requester = ticket.requester
    # Staff may file for a customer: then there is nobody to ask, but the survey row still
    # records that the ticket was dealt with (sent_at stays empty).
    mailed = requester.is_active and requester.is_customer
    try:
        with transaction.atomic():
            survey = SatisfactionSurvey.objects.create(
                ticket=ticket, created_at=now, sent_at=now if mailed else None
            )
    except IntegrityError:
        return None  # another worker sent it first
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.SATISFACTION_SENT,
        actor=None,
        data={"to": requester.email if mailed else None},
        public=False,
        created_at=now,
    )
    if mailed:
        notify.satisfaction_survey(
            ticket=ticket, recipient=requester, token=survey_token(ticket=ticket, user=requester)
        )
    return survey


def surveys_send_due(*, now: datetime, limit: int = SEND_BATCH) -> int:
    """Send the surveys of tickets resolved between SEND_WINDOW and SEND_DELAY ago.

    Reads an index range on resolved_at; returns how many surveys were sent.
    """
    candidates = list(
        Ticket.objects.filter(
            resolved_at__lte=now - SEND_DELAY,
            resolved_at__gte=now - SEND_WINDOW,
            status__in=(Status.RESOLVED, Status.CLOSED),
            satisfaction__isnull=True,
        )
        .order_by("resolved_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in candidates:
        if survey_send(ticket=Ticket(pk=pk), at=now) is not None:
            sent += 1
    return sent


# -- answering ------------------------------------------------------------------------------


def _clean(score: object, comment: str) -> tuple[int, str]:
    try:
        value = int(score)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        value = 0
    if value not in SCORES:
        raise InvalidInput(_("Choose a score from 1 to 5."), field="score")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(
            _("The comment is longer than %(max)s characters.") % {"max": MAX_COMMENT},
            field="comment",
        )
    return value, comment


@transaction.atomic
def survey_answer(
    *, ticket: Ticket, by: User, score: int, comment: str = "", at: datetime | None = None
) -> SatisfactionSurvey:
    """Record the answer of a customer of the ticket's organization; once per ticket.

    Works with or without a prior e-mail (the portal asks too).  Raises InvalidInput for a
    score outside 1–5, SurveyNotOpen before the ticket is resolved, SurveyAlreadyAnswered when
    someone answered already.  Writes an internal satisfaction_answered event.
    """
    if not by.is_customer or by.organization_id != ticket.organization_id:
        raise Ticket.DoesNotExist
    value, comment = _clean(score, comment)
    now = at or clock.now()
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not _resolved(ticket):
        raise SurveyNotOpen(_("You can rate a ticket once it is resolved."))
    survey, _created = SatisfactionSurvey.objects.get_or_create(
        ticket=ticket, defaults={"created_at": now}
    )
    # A conditional update: of two answers racing, exactly one finds the survey unanswered.
    updated = SatisfactionSurvey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
        score=value, comment=comment, answered_by=by, answered_at=now
    )
    if not updated:
        raise SurveyAlreadyAnswered(_("This ticket has already been rated. Thank you!"))
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.SATISFACTION_ANSWERED,
        actor=by,
        data={"score": value},
        public=False,
        created_at=now,
    )
    survey.refresh_from_db()
    return survey
