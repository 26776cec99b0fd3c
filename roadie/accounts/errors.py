from roadie.core.errors import DomainError, InvalidInput, PermissionDenied


class EmailTaken(DomainError):
    code = "email_taken"
    status = 409


class InvalidRole(InvalidInput):
    code = "invalid_role"


class InvalidPassword(InvalidInput):
    code = "invalid_password"


class InvitationInvalid(DomainError):
    code = "invitation_invalid"
    status = 404


class NotAllowed(PermissionDenied):
    code = "not_allowed"
