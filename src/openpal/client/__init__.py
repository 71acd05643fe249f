"""openpal's Python SDK: the seed's surface (`EigenpalClient`), sync and async.

Imports nothing from the server side: it speaks HTTP only.
"""

from openpal.client._async import AsyncEigenpalClient
from openpal.client._errors import (
    EigenpalAuthError,
    EigenpalConflictError,
    EigenpalError,
    EigenpalForbiddenError,
    EigenpalNotFoundError,
    EigenpalRateLimitError,
    EigenpalServerError,
    EigenpalTimeoutError,
    EigenpalValidationError,
)
from openpal.client._models import (
    TERMINAL,
    Page,
    Run,
    RunEnvelope,
    RunPage,
    StepExecution,
    Workflow,
    WorkflowVersion,
)
from openpal.client._sync import EigenpalClient

__all__ = [
    "TERMINAL",
    "AsyncEigenpalClient",
    "EigenpalAuthError",
    "EigenpalClient",
    "EigenpalConflictError",
    "EigenpalError",
    "EigenpalForbiddenError",
    "EigenpalNotFoundError",
    "EigenpalRateLimitError",
    "EigenpalServerError",
    "EigenpalTimeoutError",
    "EigenpalValidationError",
    "Page",
    "Run",
    "RunEnvelope",
    "RunPage",
    "StepExecution",
    "Workflow",
    "WorkflowVersion",
]
