"""A run's values on its dashboard page: shown whole while small, else their first part
(pretty-printed, "… N more characters") with a link that downloads the whole value.

A run's input, each step's output and the run's output may each be up to
`OPENPAL_MAX_OUTPUT_CHARS` (16 M) characters of JSON; rendered whole, one run made a page
no browser could open. Each value here is shown with at most `PREVIEW_CHARS` characters,
and a page with many large values at most `PAGE_CHARS` in all (the values past that get
`MIN_PREVIEW_CHARS` each). Only the part shown is pretty-printed (the pure-Python
encoder would take seconds over 16 M characters); the whole value is measured, and
downloaded, as compact JSON from the C encoder.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from openpal import jsontext
from openpal.errors import NotFound
from openpal.service.run_views import StepView
from openpal.store.catalog_records import ApiKeyRecord
from openpal.store.records import RunRecord
from openpal.ui.render import page, render, svc

# characters of pretty JSON; HTML-escaped quotes make a page about 1.5 times that
PREVIEW_CHARS = 32 * 1024  # of one value shown on a page
PAGE_CHARS = 128 * 1024  # of all the values of one page together
MIN_PREVIEW_CHARS = 2 * 1024  # of a value once a page has shown PAGE_CHARS

# a JSON string (possibly cut off at the end of a part shown), or whitespace between tokens
_STRING_OR_SPACE = re.compile(r'("(?:[^"\\]|\\.)*"?)|\s+', re.S)


def compact(value: Any) -> str:
    """`value` as compact JSON, as the API writes it: what a download holds, and what
    sizes count."""
    return jsontext.dumps(value, default=str)


def pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


@dataclass(frozen=True)
class Shown:
    """One value as a page shows it."""

    text: str  # pretty-printed JSON: the whole value, or its first part
    more: int  # characters of (compact) JSON left out; 0 when shown whole
    total: int  # characters of the whole value as compact JSON
    url: str  # where the whole value downloads as a JSON file


def _head(value: Any, limit: int) -> str:
    """The first `limit` characters of `value` pretty-printed, without printing the rest."""
    parts: list[str] = []
    size = 0
    encoder = json.JSONEncoder(ensure_ascii=False, indent=2, default=str)
    for chunk in encoder.iterencode(value):
        parts.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    head = "".join(parts)[:limit]
    line_end = head.rfind("\n", limit // 2)
    return head[:line_end] if line_end > 0 else head  # end on a whole line when one is near


def _compact_size(pretty_text: str) -> int:
    """How many characters of compact JSON `pretty_text` (a part of a value printed with
    `pretty`) stands for: the same without the whitespace between tokens."""
    return len(_STRING_OR_SPACE.sub(lambda m: m.group(1) or "", pretty_text))


def show(value: Any, url: str, limit: int = PREVIEW_CHARS) -> Shown:
    """`value` whole if its pretty text fits in `limit` characters, else its first part."""
    whole = compact(value)
    if len(whole) <= limit:
        text = pretty(value)
        if len(text) <= limit:
            return Shown(text, 0, len(whole), url)
    head = _head(value, limit)
    return Shown(head, max(1, len(whole) - _compact_size(head)), len(whole), url)


@dataclass(frozen=True)
class RunValues:
    """The values of one run's page: input, output (None before it ends) and each step's
    output (by step index; steps without one are left out)."""

    input: Shown
    output: Shown | None
    steps: dict[int, Shown]


def step_url(run_id: str, name: str) -> str:
    return f"/runs/{quote(run_id)}/steps/{quote(name, safe='')}/output"


def for_run(run: RunRecord, steps: list[StepView]) -> RunValues:
    """What a run's page shows of its values, within `PAGE_CHARS` in all."""
    left = PAGE_CHARS

    def within(value: Any, url: str) -> Shown:
        nonlocal left
        shown = show(value, url, max(MIN_PREVIEW_CHARS, min(PREVIEW_CHARS, left)))
        left -= len(shown.text)
        return shown

    base = f"/runs/{quote(run.id)}/values"
    found = within(run.input, f"{base}/input")
    output = within(run.output, f"{base}/output") if run.status.terminal else None
    outputs = {s.index: within(s.output, step_url(run.id, s.name)) for s in steps if _has_output(s)}
    return RunValues(found, output, outputs)


def _has_output(step: StepView) -> bool:
    return step.output is not None or step.status == "completed"


# -- downloads -----------------------------------------------------------------------
def _download(value: Any, filename: str) -> Response:
    return Response(
        compact(value).encode("utf-8"),
        media_type="application/json",
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
        },
    )


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:100]


@page
async def run_value(request: Request, key: ApiKeyRecord, _secret: str) -> Response:
    """`/runs/{id}/values/input` or `…/output`: the whole value as a JSON file."""
    run_id, which = request.path_params["run_id"], request.path_params["which"]
    try:
        run = await svc(request).get(key.tenant_id, run_id)
        if which == "output" and not run.status.terminal:
            raise NotFound(f"run {run_id} has no output yet")
        if which not in ("input", "output"):
            raise NotFound(f"no value {which!r}")
    except NotFound:
        return render(request, "missing.html", 404, key=key, what=f"{which} of run {run_id}")
    value = run.input if which == "input" else run.output
    return _download(value, f"{_safe(run.id)}-{which}.json")


@page
async def step_output(request: Request, key: ApiKeyRecord, _secret: str) -> Response:
    """`/runs/{id}/steps/{name}/output`: one step's whole output as a JSON file."""
    run_id, name = request.path_params["run_id"], request.path_params["name"]
    try:
        _, steps = await svc(request).detail(key.tenant_id, run_id)
    except NotFound:
        steps = []
    step = next((s for s in steps if s.name == name and _has_output(s)), None)
    if step is None:
        what = f"output of step {name} of run {run_id}"
        return render(request, "missing.html", 404, key=key, what=what)
    return _download(step.output, f"{_safe(run_id)}-{_safe(name)}-output.json")
