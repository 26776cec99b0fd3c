"""Typed notification errors, each with a stable code."""

from roadie.core.errors import DomainError


class InvalidChannel(DomainError):
    code = "invalid_channel"
    status = 422


class InvalidPreference(DomainError):
    code = "invalid_preference"
    status = 422


class NotDeadLetter(DomainError):
    code = "not_dead_letter"
    status = 409
