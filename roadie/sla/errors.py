from roadie.core.errors import DomainError, InvalidInput


class InvalidCalendar(InvalidInput):
    code = "invalid_calendar"


class OverlappingHours(InvalidCalendar):
    code = "overlapping_hours"


class EmptyHours(InvalidCalendar):
    code = "empty_hours"


class InvalidPolicy(InvalidInput):
    code = "invalid_policy"


class InvalidTarget(InvalidPolicy):
    code = "invalid_target"


class InvalidWarningPercent(InvalidPolicy):
    code = "invalid_warning_percent"


class NaiveDateTime(InvalidInput):
    code = "naive_datetime"


class NoPolicy(InvalidInput):
    code = "no_policy"


class SlugTaken(DomainError):
    code = "slug_taken"
    status = 409


class PolicyExists(DomainError):
    code = "policy_exists"
    status = 409
