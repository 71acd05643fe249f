"""Workflow definitions: the model, the YAML loader, and the Python API."""

from openpal.workflows.python_api import Retry, Workflow

__all__ = ["Retry", "Workflow"]
