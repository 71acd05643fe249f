"""Schemathesis hooks and checks for `test_fuzz_api.py`, loaded by `st run` through
`SCHEMATHESIS_HOOKS=tests/security/fuzz_hooks.py`.

The test seeds a server and hands this module, in `OPENPAL_FUZZ_SEEDED` (JSON), the real
ids per path parameter (`real`), ids a DELETE may consume (`disposable`) and another
tenant's key (`intruder`).
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis
from hypothesis import strategies as st

SEEDED: dict[str, Any] = json.loads(os.environ.get("OPENPAL_FUZZ_SEEDED") or "{}")
REAL: dict[str, list[str]] = SEEDED.get("real", {})
DISPOSABLE: dict[str, list[str]] = SEEDED.get("disposable", {})
HOLD_CAP = 0.2  # seconds: a generated `wait_for_completion` may hold at most this long
# path parameters that name no tenant's own object: workflows are shared by all tenants
# (docs/security.md); runs, steps, files, uploads and reviews are not
SHARED = ("target", "workflow_id", "automation_id", "version_id", "path", "chunk_index")


def strict_json(text: str) -> Any:
    """`text` as RFC 8259 JSON: NaN, Infinity and -Infinity refused."""

    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in a response: not JSON")

    return json.loads(text, parse_constant=refuse)


@schemathesis.hook
def flatmap_path_parameters(ctx: Any, params: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Each path parameter: the generated value, or a real id of that kind."""
    if not params:
        return st.just(params)
    pool = REAL
    if ctx.operation is not None and ctx.operation.method.lower() == "delete":
        pool = DISPOSABLE
    return st.fixed_dictionaries(
        {k: st.sampled_from([v, *pool.get(k, REAL.get(k, []))]) for k, v in params.items()}
    )


@schemathesis.hook
def flatmap_body(ctx: Any, body: Any) -> st.SearchStrategy[Any]:
    """Run starts: besides the generated body, one that names a real workflow and carries
    the generated value as its object input `o` (so values reach the store and the
    worker, and come back in every read of the run)."""
    op = ctx.operation
    if op is None or op.method.lower() != "post" or not isinstance(body, dict):
        return st.just(body)
    if op.path == "/v1/runs":
        value = body.get("input", body)
        start = {"target": "typed", "input": {"s": "x", "o": value}}
        return st.sampled_from([body, start, {**body, "target": "workflows.typed"}])
    if op.path == "/api/v1/run/{target}":
        return st.sampled_from([body, {"s": "x", "o": body}])
    return st.just(body)


@schemathesis.hook
def map_query(ctx: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
    """A hold is capped at `HOLD_CAP` seconds, so a waiting run cannot eat the budget."""
    if query and isinstance(query.get("wait_for_completion"), int | float):
        query["wait_for_completion"] = min(query["wait_for_completion"], HOLD_CAP)
    return query


def _documented_media(case: Any, status: int) -> list[str]:
    """The media types the spec gives the answer with `status`; every error is JSON."""
    if status >= 400:
        return ["application/json"]
    responses = case.operation.definition.raw.get("responses", {})
    if str(status) in responses:
        return list(responses[str(status)].get("content") or {})
    # a success status the spec does not list: any media type of a listed success
    return [m for code, r in responses.items() if code < "300" for m in r.get("content") or {}]


def check_answer(case: Any, status: int, headers: dict[str, list[str]], content: bytes) -> None:
    """Below 500; strict JSON with a JSON content type where the spec says JSON; the
    error envelope on every 4xx."""
    assert status < 500, f"server error {status}: {content[:500]!r}"
    media = _documented_media(case, status)
    if status == 204 or not any("json" in m for m in media):
        return  # a download: its own content type (the spec says octet-stream)
    ctype = (headers.get("content-type") or [""])[0]
    assert any(ctype.startswith(m) for m in media), f"{status}: {ctype!r}, documented {media}"
    if "json" not in ctype:
        return  # another documented media type (`?zip=1`)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AssertionError(f"{status}: the body is not UTF-8 ({exc})") from None
    body = strict_json(text)
    if status >= 400:
        assert isinstance(body, dict) and {"issues", "requestId"} <= set(body), text[:500]
        assert str(body["requestId"]).startswith("req_"), text[:500]
        assert isinstance(body["issues"], list) and body["issues"], text[:500]
        for issue in body["issues"]:
            assert {"field", "message", "code", "severity"} <= set(issue), text[:500]


@schemathesis.check
def openpal_answer(ctx: Any, response: Any, case: Any) -> bool:
    """Every answer has the properties of `check_answer`."""
    check_answer(case, response.status_code, response.headers, response.content)
    return True


@schemathesis.check
def openpal_tenant_isolation(ctx: Any, response: Any, case: Any) -> bool:
    """A GET of the first tenant's seeded object, asked again with another tenant's key,
    is never answered with it (a missing object and another tenant's look the same)."""
    mine = {v for k, vs in REAL.items() if k not in SHARED for v in vs}
    if case.method.upper() != "GET" or not mine & set((case.path_parameters or {}).values()):
        return True
    other = case.call(headers={"Authorization": f"Bearer {SEEDED['intruder']}"})
    check_answer(case, other.status_code, other.headers, other.content)
    assert other.status_code >= 400, f"another tenant got {other.status_code}: {other.text[:300]}"
    return True
