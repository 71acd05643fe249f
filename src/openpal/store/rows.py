"""Row <-> record mapping and SQL text shared by the SQLite and PostgreSQL stores.

Both backends keep the same columns with the same meaning (times are integer
microseconds, JSON is stored as text), so a row decodes the same way whichever
database it came from. Only placeholders differ: `?` for SQLite, `$n` for
PostgreSQL; `Marks` hands out the right one.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Callable
from typing import Any

from openpal.engine.states import RunStatus
from openpal.store.catalog_records import VersionRecord, WorkflowRecord
from openpal.store.history_records import RunFilter
from openpal.store.records import NewRun, RunRecord, dumps

Marks = Callable[[], str]


def qmarks() -> Marks:
    """SQLite placeholders: always `?`."""
    return lambda: "?"


@functools.lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """SQL written once with `?` marks, for PostgreSQL: `$1`, `$2`, … in order (no statement
    of ours has a `?` literal). Statements are constants, so each is rewritten once."""
    count = itertools.count(1)
    return re.sub(r"\?", lambda _: f"${next(count)}", sql)


def dollar_marks() -> Marks:
    """PostgreSQL placeholders: `$1`, `$2`, … in order of use."""
    n = 0

    def nxt() -> str:
        nonlocal n
        n += 1
        return f"${n}"

    return nxt


SUMMARY_COLS = (
    "id, tenant_id, type, workflow_id, workflow_slug, workflow_name, version_id, version_label,"
    " status, trigger_type, error, schema_valid, previous_execution_id, retry_number, batch_id,"
    " created_at, started_at, completed_at, updated_at, cancel_requested_at, next_step,"
    " step_started_at, attempt, fencing_token, lease_owner, lease_expires_at, takeovers,"
    " concurrency_key, deadline_seconds, waiting_for, wait_until, decision, resume_payload, tags,"
    " parent_id"
)
FULL_COLS = SUMMARY_COLS + ", input, output, overrides, metadata, trace_parent, parent_step"
WF_COLS = (
    "w.id, w.slug, w.name, w.description, w.kind, w.created_at, w.updated_at,"
    " w.current_version_id, v.version_label, w.deleted_at"
)
V_COLS = "id, workflow_id, seq, version_label, content_hash, yaml_content, source_path, created_at"


def run_from_row(row: tuple[Any, ...]) -> RunRecord:
    (
        rid,
        tenant,
        typ,
        wf_id,
        slug,
        wf_name,
        ver_id,
        ver_label,
        status,
        trigger,
        error,
        schema_valid,
        prev,
        retry,
        batch,
        created,
        started,
        completed,
        updated,
        cancel_req,
        next_step,
        step_started,
        attempt,
        token,
        owner,
        expires,
        takeovers,
        concurrency_key,
        deadline_seconds,
        waiting_for,
        wait_until,
        decision,
        resume_payload,
        tags,
        parent_id,
        *json_cols,
    ) = row
    inp, out, ovr, meta, trace_parent, parent_step = json_cols if json_cols else (None,) * 6
    return RunRecord(
        id=rid,
        tenant_id=tenant,
        type=typ,
        workflow_id=wf_id,
        workflow_slug=slug,
        workflow_name=wf_name,
        version_id=ver_id,
        version_label=ver_label,
        status=RunStatus(status),
        trigger_type=trigger,
        error=error,
        schema_valid=None if schema_valid is None else bool(schema_valid),
        previous_execution_id=prev,
        retry_number=retry,
        batch_id=batch,
        created_at=created,
        started_at=started,
        completed_at=completed,
        updated_at=updated,
        cancel_requested_at=cancel_req,
        next_step=next_step,
        step_started_at=step_started,
        attempt=attempt,
        fencing_token=token,
        lease_owner=owner,
        lease_expires_at=expires,
        takeovers=takeovers,
        concurrency_key=concurrency_key,
        deadline_seconds=deadline_seconds,
        waiting_for=waiting_for,
        wait_until=wait_until,
        decision=decision,
        resume_payload_json=resume_payload,
        input_json=inp,
        output_json=out,
        overrides_json=ovr,
        tags_json=tags,
        metadata_json=meta,
        trace_parent=trace_parent,
        parent_id=parent_id,
        parent_step=parent_step,
    )


def wf_from_row(row: tuple[Any, ...]) -> WorkflowRecord:
    return WorkflowRecord(*row)


def ver_from_row(row: tuple[Any, ...]) -> VersionRecord:
    return VersionRecord(*row)


def status_list(values: frozenset[RunStatus] | tuple[RunStatus, ...]) -> str:
    return ",".join(f"'{s.value}'" for s in sorted(values))


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Statuses that count against a concurrency limit: for `reject`, every run not yet
# finished (so a burst cannot slip in while it is still pending); for `queue`, the
# runs a worker is executing.
ACTIVE = "'created','pending','running','waiting','finalizing'"
EXECUTING = "'running','finalizing'"


def admissible_query(limit_mark: str) -> str:
    """Pending runs of limited groups that may start now, oldest first: within each group,
    as many of the oldest as its limit leaves room for next to its executing runs.

    Callers must serialise claims of limited runs (SQLite's single writer; an advisory
    lock on PostgreSQL), or two claimers could both fill the last slot of a group.
    """
    return (
        "SELECT c.id FROM (SELECT id, created_at, concurrency_key, concurrency_limit,"
        " row_number() OVER (PARTITION BY concurrency_key ORDER BY created_at, id) AS rn"
        " FROM runs WHERE status = 'pending' AND concurrency_key IS NOT NULL) c"
        " LEFT JOIN (SELECT concurrency_key, COUNT(*) AS n FROM runs"
        f" WHERE status IN ({EXECUTING}) AND concurrency_key IS NOT NULL"
        " GROUP BY concurrency_key) a ON a.concurrency_key = c.concurrency_key"
        " WHERE c.rn <= c.concurrency_limit - COALESCE(a.n, 0)"
        f" ORDER BY c.created_at, c.id LIMIT {limit_mark}"
    )


HAS_LIMITED_PENDING = (
    "SELECT EXISTS (SELECT 1 FROM runs WHERE status = 'pending' AND concurrency_key IS NOT NULL)"
)


def rejection_message(limit: int, group: str) -> str:
    """The error of a run refused by admission control."""
    key = group.partition("/")[2]
    scope = f" for key {key!r}" if key else ""
    return (
        f"concurrency limit reached: at most {limit} unfinished run(s) of this workflow"
        f"{scope} at once (strategy: reject)"
    )


def list_runs_query(flt: RunFilter, mark: Marks) -> tuple[str, list[Any]]:
    """`SELECT` of one page of runs for `flt`, newest first, and its arguments."""
    where: list[str] = []
    args: list[Any] = []

    def cond(template: str, *values: Any) -> None:
        where.append(template.format(*(mark() for _ in values)))
        args.extend(values)

    def one_of(column: str, values: tuple[str, ...]) -> None:
        if not values:
            where.append("1 = 0")
            return
        where.append(f"{column} IN ({', '.join(mark() for _ in values)})")
        args.extend(values)

    cond("tenant_id = {}", flt.tenant_id)
    if flt.type:
        cond("type = {}", flt.type)
    if flt.workflow_ids is not None:
        one_of("workflow_id", tuple(flt.workflow_ids))
    if flt.statuses is not None:
        where.append(f"status IN ({status_list(flt.statuses)})" if flt.statuses else "1 = 0")
    for column, op, value in (
        ("created_at", ">=", flt.created_from),
        ("created_at", "<=", flt.created_to),
        ("completed_at", ">=", flt.completed_from),
        ("completed_at", "<=", flt.completed_to),
    ):
        if value is not None:
            cond(f"{column} {op} {{}}", value)
    if flt.batch_id:
        cond("batch_id = {}", flt.batch_id)
    if flt.trigger_type:
        cond("trigger_type = {}", flt.trigger_type)
    if flt.waiting_for:
        cond("waiting_for = {}", flt.waiting_for)
    if flt.waiting_since_to is not None:  # a waiting run's current step began when it paused
        cond("step_started_at <= {}", flt.waiting_since_to)
    if flt.ids is not None:
        one_of("id", tuple(flt.ids))
    if flt.id_contains:
        cond("id LIKE {} ESCAPE '\\'", "%" + escape_like(flt.id_contains) + "%")
    if flt.tags is not None:
        if not flt.tags:
            where.append("1 = 0")
        else:
            tenant = mark()
            marks = ", ".join(mark() for _ in flt.tags)
            where.append(
                "id IN (SELECT run_id FROM run_tags"
                f" WHERE tenant_id = {tenant} AND tag IN ({marks}))"
            )
            args.extend([flt.tenant_id, *flt.tags])
    if flt.after is not None:
        at, last_id = flt.after
        past = ">" if flt.ascending else "<"
        cond(f"(created_at {past} {{}} OR (created_at = {{}} AND id {past} {{}}))", at, at, last_id)
    limit, offset = mark(), mark()
    order = "ASC" if flt.ascending else "DESC"
    sql = (
        f"SELECT {SUMMARY_COLS} FROM runs WHERE {' AND '.join(where)}"
        f" ORDER BY created_at {order}, id {order} LIMIT {limit} OFFSET {offset}"
    )
    return sql, [*args, flt.limit, flt.offset]


def tags_json(run: NewRun) -> str | None:
    """The `tags` column of a new run (None when it has none)."""
    return dumps(list(run.tags)) if run.tags else None


def metadata_json(run: NewRun) -> str | None:
    """The `metadata` column of a new run."""
    return None if run.metadata is None else dumps(run.metadata)


FULL_NAMES = tuple(c.strip() for c in FULL_COLS.split(","))


def run_from_json(text: str) -> RunRecord:
    """A run from the JSON of its whole row (`row_to_json`, as a NOTIFY carries it)."""
    row = json.loads(text)
    return run_from_row(tuple(row[name] for name in FULL_NAMES))


def run_row(run: NewRun, *, held_by: str | None = None) -> dict[str, Any]:
    """The `runs` row a start writes, column → value (`reject` adds admission's verdict).
    One mapping for both stores and every way of inserting: a new column is one line."""
    return {
        "id": run.id,
        "tenant_id": run.tenant_id,
        "workflow_id": run.workflow_id,
        "workflow_slug": run.workflow_slug,
        "workflow_name": run.workflow_name,
        "version_id": run.version_id,
        "version_label": run.version_label,
        "status": run.status.value,
        "trigger_type": run.trigger_type,
        "input": dumps(run.input),
        "overrides": None if run.overrides is None else dumps(run.overrides),
        "previous_execution_id": run.previous_execution_id,
        "retry_number": run.retry_number,
        "batch_id": run.batch_id,
        "created_at": run.created_at,
        "updated_at": run.created_at,
        "concurrency_key": run.concurrency_key,
        "concurrency_limit": run.concurrency_limit,
        "deadline_seconds": run.deadline_seconds,
        "tags": tags_json(run),
        "metadata": metadata_json(run),
        "trace_parent": run.trace_parent,
        "parent_id": run.parent_id,
        "parent_step": run.parent_step,
        "held_by": held_by,
    }


def reject(row: dict[str, Any], message: str) -> None:
    """Admission control refused the run of `row`: it is inserted already rejected."""
    row.update(status=RunStatus.REJECTED.value, error=message, completed_at=row["created_at"])


def insert_sql(table: str, row: dict[str, Any], marks: Marks) -> str:
    """`INSERT INTO table (its columns) VALUES (marks)` for a row built as a mapping."""
    return f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(marks() for _ in row)})"


def record_of(run: NewRun, row: dict[str, Any]) -> RunRecord:
    """The record of a run as it was just inserted from `row`."""
    rejected = row["error"] if row["status"] == RunStatus.REJECTED.value else None
    return new_run_record(run, row["input"], row["overrides"], rejected=rejected)


def new_run_record(
    run: NewRun, input_json: str, overrides_json: str | None, *, rejected: str | None = None
) -> RunRecord:
    """The record of a run as `create_run` just inserted it (`rejected`: the error of a
    run that admission control refused, inserted as rejected)."""
    return RunRecord(
        id=run.id,
        tenant_id=run.tenant_id,
        type="workflow",
        workflow_id=run.workflow_id,
        workflow_slug=run.workflow_slug,
        workflow_name=run.workflow_name,
        version_id=run.version_id,
        version_label=run.version_label,
        status=RunStatus.REJECTED if rejected else run.status,
        trigger_type=run.trigger_type,
        error=rejected,
        schema_valid=None,
        previous_execution_id=run.previous_execution_id,
        retry_number=run.retry_number,
        batch_id=run.batch_id,
        created_at=run.created_at,
        started_at=None,
        completed_at=run.created_at if rejected else None,
        updated_at=run.created_at,
        cancel_requested_at=None,
        next_step=0,
        step_started_at=None,
        attempt=0,
        fencing_token=0,
        lease_owner=None,
        lease_expires_at=None,
        input_json=input_json,
        output_json=None,
        overrides_json=overrides_json,
        tags_json=tags_json(run),
        metadata_json=metadata_json(run),
        concurrency_key=run.concurrency_key,
        deadline_seconds=run.deadline_seconds,
        trace_parent=run.trace_parent,
        parent_id=run.parent_id,
        parent_step=run.parent_step,
    )
