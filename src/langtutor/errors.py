"""Errors that services raise; the app turns each into a JSON `{"detail": ...}` answer.

Services know nothing of HTTP, but every error a client can cause has a status of its own,
so the status lives on the error class rather than in a mapping table somewhere else.
"""

from __future__ import annotations


class AppError(Exception):
    status_code = 400

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class BadRequest(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401

    def __init__(self, detail: str = "not authenticated") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class PayloadTooLarge(AppError):
    status_code = 413


class Unprocessable(AppError):
    """Shaped like FastAPI's own validation errors, so that every 422 reads the same."""

    status_code = 422

    def __init__(self, detail: str, *, loc: list[str | int] | None = None) -> None:
        super().__init__(detail)
        self.problems = [{"loc": loc or ["body"], "msg": detail, "type": "value_error"}]


class TooManyRequests(AppError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


class ServiceUnavailable(AppError):
    status_code = 503
