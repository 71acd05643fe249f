"""The registry of step types by name; the built-in ones are registered on import.

The loader asks it whether a `type:` exists (and to validate the step), the
executor asks it for the object that runs the step. Registration happens at
start-up, before any workflow is loaded, so reads need no lock.
"""

from __future__ import annotations

from openpal.steps.base import StepType
from openpal.steps.control import ApprovalStep, WaitStep
from openpal.steps.documents import PdfTextStep
from openpal.steps.extract import ExtractStep
from openpal.steps.invoke import InvokeStep
from openpal.steps.python_step import PythonStep
from openpal.steps.transform import RegexExtractStep, SetStep, TemplateStep

__all__ = ["get_step_type", "register", "step_type_names"]

_TYPES: dict[str, StepType] = {}


def register(step_type: StepType) -> None:
    """Make `step_type` available to workflows under `step_type.name` (a later one replaces)."""
    _TYPES[step_type.name] = step_type


def get_step_type(name: str) -> StepType:
    """The step type called `name`; `KeyError` when there is none."""
    return _TYPES[name]


def step_type_names() -> list[str]:
    """The names of every registered step type, sorted."""
    return sorted(_TYPES)


for _builtin in (
    SetStep(),
    TemplateStep(),
    RegexExtractStep(),
    PythonStep(),
    WaitStep(),
    ApprovalStep(),
    PdfTextStep(),
    ExtractStep(),
    InvokeStep(),
):
    register(_builtin)
