from roadie.core.errors import DomainError, InvalidInput


class SlugTaken(DomainError):
    code = "slug_taken"
    status = 409


class InvalidContract(InvalidInput):
    code = "invalid_contract"


class InvalidVersion(InvalidInput):
    code = "invalid_version"


class UnknownReference(InvalidInput):
    code = "unknown_reference"
