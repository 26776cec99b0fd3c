"""Typed errors of releases, entitlements and advisories; each names the field at fault."""

from roadie.core.errors import DomainError, InvalidInput


class NotAllowed(DomainError):
    code = "not_allowed"
    status = 403


class InvalidVersion(InvalidInput):
    code = "invalid_version"


class InvalidRange(InvalidInput):
    code = "invalid_range"


class InvalidCvss(InvalidInput):
    code = "invalid_cvss"


class InvalidRelease(InvalidInput):
    code = "invalid_release"


class InvalidAdvisory(InvalidInput):
    code = "invalid_advisory"


class InvalidEntitlement(InvalidInput):
    code = "invalid_entitlement"


class InvalidOsv(InvalidInput):
    code = "invalid_osv"


class UnknownProduct(InvalidInput):
    code = "unknown_product"


class DuplicateRelease(DomainError):
    code = "duplicate_release"
    status = 409


class ChecksumMismatch(InvalidInput):
    code = "checksum_mismatch"


class ArtifactTooLarge(DomainError):
    code = "artifact_too_large"
    status = 413


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409


class AlreadyRequested(DomainError):
    code = "already_requested"
    status = 409


class NotEntitled(DomainError):
    """A refused download or update request; `reason` is a stable code the UI explains."""

    code = "not_entitled"
    status = 403

    def __init__(self, message: str, *, reason: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.reason = reason
