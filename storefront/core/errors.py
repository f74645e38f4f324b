"""Domain errors raised by services; each surface turns them into a page message or an API error."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class DomainError(Exception):
    """Base class: ``code`` is machine-readable, ``http_status`` the API status it maps to."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, details: list[FieldError] | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        if code:
            self.code = code


class ValidationError(DomainError):
    code = "validation_error"
    http_status = 422

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationError:
        return cls(message, details=[FieldError(field, message)])


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class PermissionDenied(DomainError):
    code = "forbidden"
    http_status = 403


class Unauthorized(DomainError):
    code = "unauthorized"
    http_status = 401


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    http_status = 503
