"""Parsing of query strings into filters, with one issue per bad parameter."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from openpal.engine.dates import parse_when, to_micros
from openpal.engine.states import RunStatus
from openpal.errors import InvalidInput, Issue
from openpal.store.history_records import RunFilter

_STATUSES = {s.value for s in RunStatus}
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000_000  # far past any real page; keeps the value inside a 64-bit integer


def parse_int(
    params: Mapping[str, str],
    name: str,
    default: int,
    lo: int,
    hi: int | None,
    issues: list[Issue],
) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        issues.append(Issue(f"query.{name}", f"must be an integer, got {raw!r}"))
        return default
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        issues.append(Issue(f"query.{name}", f"must be {bound}, got {value}"))
        return default
    return value


def _split(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def parse_run_filter(
    tenant_id: str, params: Mapping[str, str], now: datetime | None = None
) -> tuple[RunFilter, list[str], str | None]:
    """(filter, sources to resolve, cursor) from `GET /runs` query parameters."""
    now = now or datetime.now(UTC)
    issues: list[Issue] = []
    typ = params.get("type") or None
    if typ is not None and typ not in ("workflow", "agent"):
        issues.append(Issue("query.type", f"must be workflow or agent, got {typ!r}"))
    statuses = _split(params.get("status"))
    bad = [s for s in statuses if s not in _STATUSES]
    if bad:
        issues.append(
            Issue(
                "query.status",
                f"unknown status {', '.join(bad)}; use one of "
                + ", ".join(s.value for s in RunStatus),
            )
        )
    times: dict[str, int | None] = {}
    for name, aliases in (
        ("from", ("from", "createdAfter")),
        ("to", ("to", "createdBefore")),
        ("completedAfter", ("completedAfter",)),
        ("completedBefore", ("completedBefore",)),
    ):
        raw = next((params[a] for a in aliases if params.get(a)), None)
        times[name] = None
        if raw is not None:
            try:
                times[name] = to_micros(parse_when(raw, now))
            except ValueError as exc:
                field = next(a for a in aliases if params.get(a))
                issues.append(Issue(f"query.{field}", str(exc)))
    limit = parse_int(params, "limit", 50, 1, MAX_LIMIT, issues)
    offset = parse_int(params, "offset", 0, 0, MAX_OFFSET, issues)
    ids = _split(params.get("ids"))
    if issues:
        raise InvalidInput(issues)
    flt = RunFilter(
        tenant_id=tenant_id,
        type=typ,
        statuses=tuple(RunStatus(s) for s in statuses) if statuses else None,
        created_from=times["from"],
        created_to=times["to"],
        completed_from=times["completedAfter"],
        completed_to=times["completedBefore"],
        batch_id=params.get("batchId") or None,
        trigger_type=params.get("trigger") or None,
        ids=tuple(ids) if ids else None,
        id_contains=params.get("q") or None,
        limit=limit,
        offset=offset,
    )
    return flt, _split(params.get("source")), params.get("cursor") or None
