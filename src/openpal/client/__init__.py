"""openpal's Python SDK: the seed's surface (`EigenpalClient`), sync and async, plus
`automations`, `files` and `human_reviews` of the current API generation (`/v1`).

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
from openpal.client._models_v1 import (
    Automation,
    AutomationVersion,
    File,
    ReviewTask,
    ReviewTaskPage,
)
from openpal.client._sync import EigenpalClient

__all__ = [
    "TERMINAL",
    "AsyncEigenpalClient",
    "Automation",
    "AutomationVersion",
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
    "File",
    "Page",
    "ReviewTask",
    "ReviewTaskPage",
    "Run",
    "RunEnvelope",
    "RunPage",
    "StepExecution",
    "Workflow",
    "WorkflowVersion",
]
