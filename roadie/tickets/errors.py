from roadie.core.errors import DomainError, InvalidInput, PermissionDenied


class TicketClosed(DomainError):
    code = "ticket_closed"
    status = 409


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409


class InvalidTicket(InvalidInput):
    code = "invalid_ticket"


class NotAllowed(PermissionDenied):
    code = "not_allowed"


class AttachmentRejected(InvalidInput):
    code = "attachment_rejected"


class AttachmentTooLarge(AttachmentRejected):
    code = "attachment_too_large"
    status = 413


class InvalidMail(InvalidInput):
    code = "invalid_mail"
