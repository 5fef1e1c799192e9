"""The errors services raise, mapped once to HTML pages and to the JSON error shape
``{"code", "status", "message", "errors"}`` of interfaces.md."""
from __future__ import annotations

from http import HTTPStatus


class LimsError(Exception):
    """Base of the hierarchy. ``message`` is already translated (or lazily translatable)."""

    status = 400

    def __init__(self, message=None, errors: dict | None = None):
        super().__init__(str(message) if message is not None else self.__class__.__name__)
        self.message = message
        self.errors = errors or {}

    def to_dict(self) -> dict:
        return {
            "code": self.status,
            "status": HTTPStatus(self.status).phrase,
            "message": str(self.message) if self.message is not None else HTTPStatus(self.status).phrase,
            "errors": {k: [str(m) for m in v] if isinstance(v, (list, tuple)) else str(v)
                       for k, v in self.errors.items()},
        }


class BadRequest(LimsError):
    """Input no field may carry (a control character, an id that is not a number): 400."""

    status = 400


class InvalidInput(LimsError):
    """Bad input: 422, with per-field messages in ``errors``."""

    status = 422


class NotFound(LimsError):
    """Unknown — also for objects of a market the user may not see."""

    status = 404


class Forbidden(LimsError):
    status = 403


class Conflict(LimsError):
    """Conflicts with the current state: a passed deadline, a stale version, a duplicate."""

    status = 409


class Unauthenticated(LimsError):
    """No or a bad API token: 401."""

    status = 401
