"""On-call errors: each has a stable `code` the API turns into a problem body."""

from roadie.core.errors import DomainError, InvalidInput


class InvalidSchedule(InvalidInput):
    code = "invalid_schedule"


class UnknownTimeZone(InvalidSchedule):
    code = "unknown_time_zone"


class NaiveDateTime(InvalidInput):
    code = "naive_datetime"


class InvalidInterval(InvalidInput):
    code = "invalid_interval"


class EmptyRotation(InvalidSchedule):
    code = "empty_rotation"


class InvalidCalendarData(InvalidSchedule):
    """The iCalendar text could not be parsed or expanded."""

    code = "invalid_ical"


class UnknownPeople(InvalidInput):
    """E-mails that name no active vendor staff member."""

    code = "unknown_email"

    def __init__(self, message: str, *, emails: list[str], field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.emails = emails


class InvalidPolicy(InvalidInput):
    code = "invalid_policy"


class EmptyLadder(InvalidPolicy):
    code = "empty_ladder"


class InvalidWait(InvalidPolicy):
    code = "invalid_wait"


class PolicyLoop(InvalidPolicy):
    """A policy step runs a policy that (directly or through others) runs the first again."""

    code = "policy_loop"


class NoPolicy(InvalidInput):
    code = "no_policy"


class NameTaken(DomainError):
    code = "name_taken"
    status = 409


class InUse(DomainError):
    code = "in_use"
    status = 409


class PageClosed(DomainError):
    code = "page_resolved"
    status = 409


class InvalidAckLink(DomainError):
    """A one-click acknowledgement link that was forged, altered or has expired."""

    code = "invalid_ack_link"
    status = 400


class AckLinkExpired(InvalidAckLink):
    code = "ack_link_expired"
