"""The server side's one exception tree (the SDK has its own, in `openpal.client`).

    OpenpalError
    ├── NotFound            the thing asked for does not exist (or is not yours)  → 404
    ├── InvalidInput        bad request data, with one Issue per field            → 400
    ├── Unauthorized        missing or wrong API key                              → 401
    ├── Conflict            the request clashes with the current state            → 409
    ├── PayloadTooLarge     an upload over the size limit                         → 413
    ├── WorkflowLoadError   a workflow file that cannot be loaded (file, field, line)
    ├── InvalidTransition   the state machine refused a status change
    ├── LeaseLost           a worker lost its claim on a run; it must drop the run
    ├── RunCancelled        raised inside a step when a cancel was requested
    └── StepError           a step failed; the message becomes the run's error

The HTTP layer maps these to status codes in one table (`openpal.api.errors`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem with one field of a request (`field` is a JSON path or `<root>`)."""

    field: str
    message: str
    code: str = "invalid_value"


class OpenpalError(Exception):
    """Root of every error openpal raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, issues: list[Issue] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.issues = issues or [Issue("<root>", message, self.code)]


class NotFound(OpenpalError):
    code = "not_found"


class InvalidInput(OpenpalError):
    code = "invalid_value"

    def __init__(self, issues: list[Issue]) -> None:
        first = issues[0] if issues else Issue("<root>", "invalid")
        super().__init__(f"{first.field}: {first.message}", issues=issues or [first])


class Unauthorized(OpenpalError):
    code = "unauthorized"


class Conflict(OpenpalError):
    code = "conflict"


class PayloadTooLarge(OpenpalError):
    code = "payload_too_large"


class Unavailable(OpenpalError):
    """The database cannot be reached right now; the request may be retried."""

    code = "unavailable"


class RateLimited(OpenpalError):
    """Too much of one kind of work is waiting in this process; retry in a second."""

    code = "rate_limited"


class WorkflowLoadError(OpenpalError):
    """A workflow definition that cannot be loaded; says where and what."""

    code = "invalid_workflow"

    def __init__(self, file: str, field: str, message: str, *, line: int | None = None) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {field}: {message}")
        self.file = file
        self.field = field
        self.line = line
        self.detail = message


class InvalidTransition(OpenpalError):
    code = "invalid_transition"


class LeaseLost(OpenpalError):
    code = "lease_lost"


class RunCancelled(OpenpalError):
    code = "cancelled"


class StepError(OpenpalError):
    code = "step_failed"
