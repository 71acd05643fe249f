"""The SDK's one exception tree (mirrors the official eigenpal SDK's names).

    EigenpalError                 any failed call; .status, .request_id, .envelope
    ├── EigenpalValidationError   400; .issues lists every bad field
    ├── EigenpalAuthError         401
    ├── EigenpalForbiddenError    403
    ├── EigenpalNotFoundError     404
    ├── EigenpalConflictError     409
    ├── EigenpalRateLimitError    429; .retry_after (seconds or None)
    ├── EigenpalServerError       ≥ 500
    └── EigenpalTimeoutError      run_and_wait gave up waiting (status 0)

A run that *ran* and failed is not an exception: it is a result with
`status == "failed"` and `error` set.
"""

from __future__ import annotations

from typing import Any


class EigenpalError(Exception):
    """Root of every error the SDK raises."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        request_id: str | None = None,
        envelope: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.envelope = envelope

    @property
    def issues(self) -> list[dict[str, Any]]:
        """The envelope's issues (`field`, `message`, `code`, `severity`)."""
        issues = (self.envelope or {}).get("issues")
        return list(issues) if isinstance(issues, list) else []


class EigenpalValidationError(EigenpalError):
    """400: the request was invalid; `.issues` says which fields and why."""


class EigenpalAuthError(EigenpalError):
    """401: missing or wrong API key."""


class EigenpalForbiddenError(EigenpalError):
    """403: the key may not do this."""


class EigenpalNotFoundError(EigenpalError):
    """404: no such run, workflow or route."""


class EigenpalConflictError(EigenpalError):
    """409: the request clashes with the current state (e.g. resume of a run not waiting)."""


class EigenpalRateLimitError(EigenpalError):
    """429: slow down; `.retry_after` is the server's hint in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class EigenpalServerError(EigenpalError):
    """5xx: the server failed; quote `.request_id` when reporting it."""


class EigenpalTimeoutError(EigenpalError):
    """The client stopped waiting for a run (the run itself goes on)."""


_BY_STATUS: dict[int, type[EigenpalError]] = {
    400: EigenpalValidationError,
    401: EigenpalAuthError,
    403: EigenpalForbiddenError,
    404: EigenpalNotFoundError,
    409: EigenpalConflictError,
}


def error_for(
    status: int, envelope: dict[str, Any] | None, retry_after: float | None
) -> EigenpalError:
    """The exception for a non-2xx answer."""
    issues = (envelope or {}).get("issues") or []
    first = issues[0] if issues and isinstance(issues[0], dict) else {}
    message = str(first.get("message") or f"HTTP {status}")
    if first.get("field") and status == 400:
        message = f"{first['field']}: {message}"
    request_id = (envelope or {}).get("requestId")
    kw: dict[str, Any] = {"status": status, "request_id": request_id, "envelope": envelope}
    if status == 429:
        return EigenpalRateLimitError("rate limit exceeded", retry_after=retry_after, **kw)
    if status >= 500:
        return EigenpalServerError(message, **kw)
    return _BY_STATUS.get(status, EigenpalError)(message, **kw)
