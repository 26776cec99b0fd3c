"""Monitoring errors: each has a stable `code` the API turns into a problem body."""

from roadie.core.errors import DomainError, InvalidInput


class NotAllowed(DomainError):
    code = "not_allowed"
    status = 403


class PayloadTooLarge(DomainError):
    code = "too_large"
    status = 413


class MalformedJson(DomainError):
    code = "malformed_json"
    status = 400


class InvalidPayload(InvalidInput):
    code = "invalid_payload"


class SampleOutsideWindow(InvalidInput):
    """A sample older than the agent's buffer or ahead of the server's clock; names its index."""

    code = "sample_outside_window"

    def __init__(self, message: str, *, index: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.index = index


class InvalidRuleSetting(InvalidInput):
    code = "invalid_rule_setting"


class InvalidWindow(InvalidInput):
    code = "invalid_window"


class IncidentClosed(DomainError):
    code = "incident_resolved"
    status = 409


class Busy(DomainError):
    """The database stayed locked by other writers (SQLite): the sender should retry."""

    code = "busy"
    status = 503
