"""The step types a workflow may use, by name."""

from __future__ import annotations

from openpal.steps.base import StepType
from openpal.steps.python_step import PythonStep
from openpal.steps.transform import RegexExtractStep, SetStep, TemplateStep

_TYPES: dict[str, StepType] = {}


def register(step_type: StepType) -> None:
    """Make a step type available to workflows (later registrations win)."""
    _TYPES[step_type.name] = step_type


def get_step_type(name: str) -> StepType:
    """The step type called `name`; KeyError when there is none."""
    return _TYPES[name]


def step_type_names() -> list[str]:
    return sorted(_TYPES)


for _t in (SetStep(), TemplateStep(), RegexExtractStep(), PythonStep()):
    register(_t)
