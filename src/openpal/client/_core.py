"""Sans-I/O core shared by the sync and async clients: config, requests, parsing, retries.

Both clients turn a method call into a `Call` here, send it with their own
httpx client, and hand the answer back here to be parsed. So the rules
(paths, retries, error mapping, file handling) exist once.
"""

from __future__ import annotations

import json
import mimetypes
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import quote

from openpal.client._errors import EigenpalError, error_for
from openpal.client._models import Page, Run, RunPage, Workflow, WorkflowVersion

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_HOLD_SECONDS = 55
T = TypeVar("T")


@dataclass(frozen=True)
class Config:
    api_key: str
    base_url: str
    timeout_seconds: float
    max_retries: int


def resolve_config(
    api_key: str | None, base_url: str | None, timeout_seconds: float, max_retries: int
) -> Config:
    """`api_key` > EIGENPAL_API_KEY > OPENPAL_API_KEY; `base_url` > EIGENPAL_BASE_URL >
    OPENPAL_BASE_URL > http://127.0.0.1:8000."""
    key = api_key or os.environ.get("EIGENPAL_API_KEY") or os.environ.get("OPENPAL_API_KEY")
    if not key:
        raise ValueError(
            "no API key: pass api_key=..., or set EIGENPAL_API_KEY or OPENPAL_API_KEY "
            "(the first `openpal serve` wrote one to .openpal/api-key)"
        )
    url = (
        base_url
        or os.environ.get("EIGENPAL_BASE_URL")
        or os.environ.get("OPENPAL_BASE_URL")
        or DEFAULT_BASE_URL
    )
    if max_retries < 0:
        raise ValueError("max_retries must be ≥ 0")
    return Config(key, url.rstrip("/"), timeout_seconds, max_retries)


@dataclass
class Call:
    """One HTTP request to make, and whether it is safe to retry."""

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json_body: Any = None
    data: dict[str, str] | None = None
    files: list[tuple[str, tuple[str, Any, str]]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    retry: bool = True
    to_close: list[IO[bytes]] = field(default_factory=list)
    content: bytes | None = None  # a raw request body (an upload chunk)
    raw: bool = False  # answer the response's bytes, not its JSON (downloads)

    def rewind(self) -> None:
        """Before a retry: put file inputs back at their start."""
        for _, (_, fobj, _) in self.files or []:
            if hasattr(fobj, "seek"):
                fobj.seek(0)

    def close(self) -> None:
        for f in self.to_close:
            f.close()


def _seg(value: str) -> str:
    return quote(value, safe="")


def target_segment(target: str | dict[str, Any]) -> tuple[str, str | None]:
    """`"workflows.slug@1.2"` or `{"type": "workflow", "slug": ...}` → (segment, version)."""
    if isinstance(target, dict):
        name = str(target.get("slug") or target.get("id") or "")
        kind = target.get("type", "workflow")
        if kind not in ("workflow", "agent") or not name:
            raise EigenpalError("target needs type workflow|agent and a slug or id")
        seg = name if "." in name else f"{kind}s.{name.replace('/', '.')}"
        version = target.get("version")
    else:
        seg, _, version = str(target).partition("@")
        if not seg or (version == "" and "@" in target):
            raise EigenpalError(f"bad target {target!r}: expected workflows.<slug>[@version]")
    if version == "latest":
        version = None
    return seg, version


def _is_file(value: Any) -> bool:
    if isinstance(value, Path):
        return True
    if isinstance(value, dict):
        return "content" in value and "filename" in value
    return hasattr(value, "read") and hasattr(value, "name")


def decision_call(run_id: str, action: str, body: Any) -> Call:
    """`POST /api/v1/runs/{id}/resume|reject` with an optional JSON body."""
    call = Call("POST", run_path(run_id, f"/{action}"), retry=False)
    if body is not None:
        call.json_body = body
    return call


def start_call(
    target: str | dict[str, Any],
    input: dict[str, Any] | None,
    *,
    wait_for_completion: float | None = None,
    version: str | None = None,
    overrides: Any = None,
    idempotency_key: str | None = None,
    deadline_seconds: float | None = None,
) -> Call:
    """`POST /api/v1/run/{target}`: JSON, or multipart streamed from disk when inputs hold files."""
    seg, target_version = target_segment(target)
    params: dict[str, Any] = {}
    if wait_for_completion is not None:
        params["wait_for_completion"] = int(wait_for_completion)
    if version or target_version:
        params["version"] = version or target_version
    if deadline_seconds is not None:
        params["deadline_seconds"] = deadline_seconds
    headers = {"X-Eigenpal-Trigger": "api"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    call = Call(
        "POST",
        f"/api/v1/run/{_seg(seg)}",
        params=params,
        headers=headers,
        retry=idempotency_key is not None,
    )
    values = dict(input or {})
    files = {k: v for k, v in values.items() if _is_file(v)}
    if not files:
        if overrides is not None:
            values["_overrides"] = overrides
        call.json_body = values
        return call
    plain = {k: v for k, v in values.items() if k not in files}
    call.data = {"_json": json.dumps(plain)}
    if overrides is not None:
        call.data["_overrides"] = json.dumps(overrides)
    call.files = []
    for key, value in files.items():
        call.files.append((key, _file_part(value, call)))
    return call


def _file_part(value: Any, call: Call) -> tuple[str, Any, str]:
    if isinstance(value, Path):
        fobj = value.open("rb")  # httpx streams it in chunks: never read whole
        call.to_close.append(fobj)
        return value.name, fobj, _mime(value.name)
    if isinstance(value, dict):
        name = str(value["filename"])
        mime = value.get("mime_type") or value.get("mimeType") or _mime(name)
        return name, value["content"], str(mime)
    name = os.path.basename(str(value.name))
    return name, value, _mime(name)


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def parse_response(call: Call, status: int, headers: Any, content: bytes) -> Any:
    """What `_send` answers: the bytes of a download, else the JSON of a 2xx answer."""
    if call.raw and 200 <= status < 300:
        return content
    return parse_body(status, headers, content)


def parse_body(status: int, headers: Any, content: bytes) -> Any:
    """The JSON of a 2xx answer, or raise the matching `EigenpalError`."""
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    if 200 <= status < 300:
        return body
    retry_after = None
    raw = headers.get("retry-after") if headers is not None else None
    if raw:
        try:
            retry_after = float(raw)
        except ValueError:
            retry_after = None
    raise error_for(status, body if isinstance(body, dict) else None, retry_after)


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Seconds before retry number `attempt` (1-based): exponential with full jitter,
    or the server's Retry-After when it sent one."""
    if retry_after is not None:
        return min(retry_after, 60.0)
    return random.uniform(0, min(0.25 * 2 ** (attempt - 1), 8.0))


def list_params(**filters: Any) -> dict[str, Any]:
    """Python keyword arguments → the wire's query parameters."""
    names = {
        "from_date": "from",
        "to_date": "to",
        "batch_id": "batchId",
        "created_after": "createdAfter",
        "created_before": "createdBefore",
        "completed_after": "completedAfter",
        "completed_before": "completedBefore",
    }
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            value = ",".join(str(v) for v in value)
        out[names.get(key, key)] = value
    return out


def run_path(run_id: str, suffix: str = "") -> str:
    return f"/api/v1/runs/{_seg(run_id)}{suffix}"


def workflow_path(workflow: str, suffix: str = "") -> str:
    return f"/api/v1/workflows/{_seg(workflow)}{suffix}"


def parse_start(body: Any) -> Run:
    return Run.from_wire(body)


def parse_envelope_run(body: Any) -> Run:
    return Run.from_wire(body["run"])


def parse_run_page(body: Any) -> RunPage:
    return RunPage(tuple(Run.from_wire(r) for r in body["runs"]), body.get("nextCursor"))


def parse_page(body: Any, item: Callable[[Any], T]) -> Page[T]:
    """A `{data, total, limit, offset}` page, each of its `data` parsed by `item`."""
    data = tuple(item(d) for d in body["data"])
    return Page(data, int(body["total"]), int(body["limit"]), int(body["offset"]))


def parse_workflow_page(body: Any) -> Page[Workflow]:
    return parse_page(body, Workflow.from_wire)


def parse_version_page(body: Any) -> Page[WorkflowVersion]:
    return parse_page(body, WorkflowVersion.from_wire)
