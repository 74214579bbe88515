"""The three kinds of error the app distinguishes, and the officer-facing validation error."""

from __future__ import annotations

from collections.abc import Mapping


class ModelWardError(Exception):
    """Base class for errors raised on purpose by the app."""


class UserFacingError(ModelWardError):
    """A problem the officer can act on; the message is already translated."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class ValidationError(UserFacingError):
    """Input that breaks one or more field rules; ``field_errors`` maps field name to message."""

    def __init__(self, field_errors: Mapping[str, str], message: str = "") -> None:
        self.field_errors = dict(field_errors)
        text = message or "; ".join(self.field_errors.values())
        super().__init__(text)


class NotFound(UserFacingError):
    """The record asked for does not exist (or no longer does)."""


class EnvironmentProblem(ModelWardError):
    """Disk full, database locked, read-only folder, USB removed, corrupt file: not a bug."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class Cancelled(ModelWardError):
    """The officer cancelled a long operation; never shown as an error."""
