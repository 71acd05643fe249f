"""Admission control at run start: which concurrency group a new run joins.

A workflow's `concurrency: {limit, key, strategy}` puts each run in a group of its
tenant, `<workflow id>@<tenant>` or `<workflow id>@<tenant>/<rendered key>`: another
tenant's runs never count against a tenant's limit (nor show in its rejections, which
name only the rendered key). The store enforces the limit (`queue`: claims skip a
full group; `reject`: a full group refuses the run at insert, atomically with counting
it).
"""

from __future__ import annotations

from typing import Any

from liquid.exceptions import LiquidError

from openpal.errors import InvalidInput, Issue
from openpal.workflows.model import WorkflowDef
from openpal.workflows.templates import render_string, to_text

MAX_KEY_CHARS = 200


def admission_fields(
    wf: WorkflowDef, workflow_id: str, tenant_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """`NewRun` fields for the run's concurrency group (none without `concurrency:`)."""
    spec = wf.concurrency
    if spec is None:
        return {}
    group = f"{workflow_id}@{tenant_id}"  # tenant ids have no `/` (nor `@`)
    if spec.key:
        try:
            rendered = to_text(render_string(spec.key, {"input": data}))
        except LiquidError as exc:
            raise InvalidInput(
                [Issue("input", f"the concurrency key {spec.key!r} cannot be computed: {exc}")]
            ) from exc
        if len(rendered) > MAX_KEY_CHARS:
            rendered = rendered[:MAX_KEY_CHARS]
        group = f"{group}/{rendered}"
    return {
        "concurrency_key": group,
        "concurrency_limit": spec.limit,
        "admission": spec.strategy,
    }
