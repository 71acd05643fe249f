"""openpal: a self-hosted workflow-run engine behind the EigenPal v1 runs API."""

__version__ = "0.1.0"

__all__ = ["__version__"]
