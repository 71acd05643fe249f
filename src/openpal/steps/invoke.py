"""`workflow.invoke`: start another workflow as its own run (a child run) and wait for it.

    - name: enrich
      type: workflow.invoke
      with: {workflow: enrich-invoice, input: {number: "{{ steps.read.output.number }}"}}

The step's output is the child's output. The child is a run like any other (its own id,
steps, retries and deadline), carrying `parentExecutionId`; the parent parks `waiting`
(for "children") and holds no worker slot until the child ends. The executor runs this
step itself (`worker/invoke.py`: it starts the child through the run service); this
class only checks the step when the workflow loads.
"""

from __future__ import annotations

from typing import Any

from openpal.steps.base import Problem, StepContext
from openpal.workflows.model import StepSpec

__all__ = ["INVOKE", "MAX_CHILD_DEPTH", "InvokeStep", "child_target"]

INVOKE = "workflow.invoke"
MAX_CHILD_DEPTH = 10  # a chain of child runs deeper than this fails the step that starts it
_KEYS = ("workflow", "input")


def child_target(workflow: Any) -> str:
    """`workflows.<slug>` for `<slug>` or `workflows.<slug>`; ValueError when not a name."""
    if not isinstance(workflow, str) or not workflow.strip():
        raise ValueError("workflow must be a workflow slug, e.g. enrich or workflows.enrich")
    name = workflow.strip()
    return name if name.startswith("workflows.") else f"workflows.{name}"


class InvokeStep:
    """Load-time checks of `workflow.invoke`; see the module docstring."""

    name = INVOKE

    def validate(self, step: StepSpec) -> list[Problem]:
        cfg = step.with_
        problems: list[Problem] = [
            (str(k), "unknown key (workflow.invoke takes workflow and input)")
            for k in sorted(str(k) for k in cfg if k not in _KEYS)
        ]
        workflow = cfg.get("workflow")
        if workflow is None:
            problems.insert(0, ("workflow", "required: the slug of the workflow to start"))
        else:
            try:
                child_target(workflow)
            except ValueError as exc:
                problems.append(("workflow", str(exc)))
        inp = cfg.get("input")
        if inp is not None and not isinstance(inp, dict | str):
            problems.append(("input", "must be a mapping of the child's inputs"))
        return problems

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        raise RuntimeError("workflow.invoke is executed by the run executor")
