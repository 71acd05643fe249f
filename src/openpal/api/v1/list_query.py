"""`GET /v1/runs` query parameters: the 0.20.93 names, repeated or comma-joined values,
`tag`, `sort`/`order`, and a 400 naming any filter openpal does not support (a filter
that were silently ignored would answer with runs the caller did not ask for)."""

from __future__ import annotations

from dataclasses import replace

from starlette.datastructures import QueryParams

from openpal.api.declare import Param
from openpal.errors import InvalidInput, Issue
from openpal.service.queries import MAX_OFFSET, parse_run_filter
from openpal.store.history_records import RunFilter

# parameters whose repeats add values (status=a&status=b is status=a,b)
MULTI = ("status", "source", "ids", "tag")
SINGLE = (
    "type",
    "trigger",
    "triggeredBy",
    "batchId",
    "from",
    "to",
    "createdAfter",
    "createdBefore",
    "completedAfter",
    "completedBefore",
    "cursor",
    "offset",
    "limit",
    "sort",
    "order",
    "q",
    "hasExample",
)
# in the 0.20.93 spec, without meaning in openpal (no reviews, evals, datasets, git sources)
UNSUPPORTED = frozenset(
    {
        "experiments",
        "reviewStatus",
        "reviewVerdict",
        "hasReview",
        "noReview",
        "hasCorrections",
        "reviewNoteContains",
        "reviewCreatedAfter",
        "reviewCreatedBefore",
        "reviewUpdatedAfter",
        "reviewUpdatedBefore",
        "reviewClosedAfter",
        "reviewClosedBefore",
        "sinceLastClosed",
        "sampleRate",
        "exampleId",
        "exampleIdContains",
        "sourceRef",
    }
)
SORTS = ("createdAt",)

LIST_PARAMS = (
    Param("status", "Statuses, comma-joined or repeated"),
    Param("tag", "Runs carrying this tag (repeat for any of several)"),
    Param("type", "workflow (agent: none)", enum=("workflow", "agent")),
    Param("source", "Workflow ids or slugs, comma-joined or repeated"),
    Param("trigger", "api, cli, ui, manual or rerun"),
    Param("triggeredBy", "A user id; openpal runs record none, so nothing matches"),
    Param("batchId", "Runs of one batch"),
    Param("from", "Created at or after: ISO-8601, now(), now()-7d, now()-36h"),
    Param("to", "Created at or before"),
    Param("createdAfter", "Same as from"),
    Param("createdBefore", "Same as to"),
    Param("completedAfter", "Completed at or after"),
    Param("completedBefore", "Completed at or before"),
    Param("ids", "Run ids, comma-joined or repeated"),
    Param("hasExample", "false matches every run; true none (openpal has no datasets)"),
    Param("sort", "createdAt", enum=SORTS),
    Param("order", "desc (default) or asc", enum=("desc", "asc")),
    Param("limit", "Page size, 1 to 100 (default 50)", "integer", minimum=1, maximum=100),
    Param("offset", "Rows to skip", "integer", minimum=0, maximum=MAX_OFFSET),
    Param("cursor", "nextCursor of the previous page"),
)


def parse_v1_filter(tenant_id: str, params: QueryParams) -> tuple[RunFilter, list[str], str | None]:
    """(filter, sources to resolve, cursor), or a 400 naming every bad parameter."""
    issues: list[Issue] = []
    flat: dict[str, str] = {}
    for name in dict.fromkeys(params.keys()):
        values = params.getlist(name)
        if name in UNSUPPORTED:
            issues.append(
                Issue(
                    f"query.{name}",
                    f"filter {name!r} is not supported by openpal (it has no reviews, "
                    "evaluations, datasets or git sources)",
                    "unsupported_filter",
                )
            )
        elif name in MULTI:
            flat[name] = ",".join(values) if name != "tag" else "\x1f".join(values)
        elif name in SINGLE:
            if len(values) > 1:
                issues.append(Issue(f"query.{name}", "given more than once"))
            flat[name] = values[-1]
        else:
            issues.append(
                Issue(
                    f"query.{name}",
                    f"unknown filter {name!r}; supported: "
                    + ", ".join(p.name for p in LIST_PARAMS),
                    "unknown_filter",
                )
            )
    sort, order = flat.pop("sort", "createdAt") or "createdAt", flat.pop("order", "desc") or "desc"
    if sort not in SORTS:
        issues.append(Issue("query.sort", f"must be one of {', '.join(SORTS)}, got {sort!r}"))
    if order not in ("asc", "desc"):
        issues.append(Issue("query.order", f"must be asc or desc, got {order!r}"))
    has_example = flat.pop("hasExample", None)
    if has_example not in (None, "", "true", "false"):
        issues.append(Issue("query.hasExample", f"must be true or false, got {has_example!r}"))
    triggered_by = flat.pop("triggeredBy", None)
    tags = [t for t in flat.pop("tag", "").split("\x1f") if t] if "tag" in flat else None
    if issues:
        raise InvalidInput(issues)
    flt, sources, cursor = parse_run_filter(tenant_id, flat)
    flt = replace(flt, ascending=order == "asc")
    if tags is not None:
        flt = replace(flt, tags=tuple(tags))
    if has_example == "true" or triggered_by:
        flt = replace(flt, ids=())  # no run has an example or a recorded user
    return flt, sources, cursor
