"""A step's input as it ran: its `with:` rendered again from what the run stored.

openpal does not store the rendered configuration of every step (that would be a
second copy of every step's input on the hot path). It does not need to: a step's
`with:` is a pure function of the run's input, the outputs of the steps before it
and the run's id, workflow and attempt, and all of those are stored. So the input
is rendered again, on demand, from the same templates (the pinned workflow version)
over the same values. Two things can differ, and the note says so: `run.attempt`
is the run's current claim count, and a file prints as its name (no content).
"""

from __future__ import annotations

from typing import Any

from openpal.files import FILE_MARKER, FileRef
from openpal.service.run_views import StepView
from openpal.store.records import RunRecord, to_plain
from openpal.workflows.model import WorkflowDef
from openpal.workflows.templates import render_value

RENDERED = "rendered again from the run's stored input and the outputs of the steps before it"


def _offline(value: Any) -> Any:
    """Stored file references as `FileRef`s without content (templates read their
    name, mimeType and size, and print them by name, as when the step ran)."""
    if FileRef.is_ref(value):
        size = value.get("size")
        return FileRef(
            str(value[FILE_MARKER]),
            str(value.get("name") or ""),
            str(value.get("mimeType") or "application/octet-stream"),
            size if isinstance(size, int) else 0,
        )
    if isinstance(value, dict):
        return {k: _offline(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_offline(v) for v in value]
    return value


def template_scope(run: RunRecord, input: Any, outputs: dict[str, Any]) -> dict[str, Any]:
    """What a step's templates see: the run's `input`, `steps.<name>.output` of the steps
    before it (`outputs`, by name) and the run itself. The worker renders with it as
    the run goes, and the API again from what the run stored."""
    return {
        "input": input,
        "steps": {name: {"output": out} for name, out in outputs.items()},
        "run": {"id": run.id, "workflow": run.workflow_slug, "attempt": run.attempt},
    }


def rendered_input(
    run: RunRecord, wf: WorkflowDef, views: list[StepView], index: int
) -> tuple[Any, str]:
    """(the input of step `index`, how it was obtained) — or (None, why there is none)."""
    spec = wf.steps[index]
    view = views[index]
    if view.status in ("pending", "not_run"):
        return None, "the step has not run"
    if view.status == "skipped":
        return None, "the step was skipped (its condition was false)"
    if spec.name in (run.overrides or {}):
        return None, "the step did not run: the run's overrides gave its output"
    outputs = {v.name: _offline(v.output) for v in views[:index]}
    scope = template_scope(run, _offline(run.input or {}), outputs)
    try:
        return to_plain(render_value(spec.with_, scope)), RENDERED
    except Exception as exc:  # the same templates failed when the step ran, too
        return None, f"the step's configuration does not render: {exc}"
