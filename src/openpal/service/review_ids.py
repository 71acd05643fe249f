"""Ids of the /v1 views of things openpal keeps inside a run: human-review tasks (a run
waiting at a `control.approval` step) and step executions (one step of one run).

Both are derived from the run id and the step's index, so they are stable, need no
table of their own, and lead back to the run without a lookup.
"""

from __future__ import annotations

_RUN_PREFIX = "exec_"


def task_id(run_id: str, step_index: int) -> str:
    """The review task of the approval step at `step_index` of a run."""
    return f"hrt_{run_id.removeprefix(_RUN_PREFIX)}_{step_index}"


def step_execution_id(run_id: str, step_index: int) -> str:
    """The execution of the step at `step_index` of a run."""
    return f"stx_{run_id.removeprefix(_RUN_PREFIX)}_{step_index}"


def _parse(value: str, prefix: str) -> tuple[str, int] | None:
    if not value.startswith(prefix):
        return None
    body, sep, index = value[len(prefix) :].rpartition("_")
    if not sep or not body or not index.isdigit() or len(index) > 6 or "_" in body:
        return None
    return _RUN_PREFIX + body, int(index)


def parse_task_id(value: str) -> tuple[str, int] | None:
    """(run id, step index) of a task id, or None when it is not one."""
    return _parse(value, "hrt_")


def parse_step_execution_id(value: str) -> tuple[str, int] | None:
    """(run id, step index) of a step execution id, or None when it is not one."""
    return _parse(value, "stx_")
