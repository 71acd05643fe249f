"""openpal: a self-hosted workflow-run engine behind the EigenPal v1 runs API."""

__version__ = "0.1.0"

from openpal.client import (
    AsyncEigenpalClient,
    EigenpalAuthError,
    EigenpalClient,
    EigenpalError,
    EigenpalNotFoundError,
    EigenpalTimeoutError,
    EigenpalValidationError,
)

__all__ = [
    "AsyncEigenpalClient",
    "EigenpalAuthError",
    "EigenpalClient",
    "EigenpalError",
    "EigenpalNotFoundError",
    "EigenpalTimeoutError",
    "EigenpalValidationError",
    "__version__",
]
