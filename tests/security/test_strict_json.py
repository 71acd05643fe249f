"""JSON in and out is RFC 8259: every request body that is not (NaN, Infinity, invalid
UTF-8, lone surrogates, nesting past 64 levels, integers past 64 bits) is a 400 envelope
naming the field, on every JSON entry point; and no response carries NaN/Infinity."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.api.automation_flows import deploy
from tests.api.test_runs import assert_envelope

JSON = {"content-type": "application/json"}


def _strict(text: str) -> Any:
    """`text` parsed as RFC 8259 JSON: NaN/Infinity refused."""

    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in a response: not JSON")

    return json.loads(text, parse_constant=refuse)


def _nest(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


# a value for input `o` (an object) of the typed workflow
BAD_VALUES = {
    "nan": b'{"x": NaN}',
    "infinity": b'{"x": Infinity}',
    "minus-infinity": b'{"x": -Infinity}',
    "float-overflow": b'{"x": 1e999}',
    "lone-surrogate-escaped": b'{"x": "\\ud800"}',
    "lone-low-surrogate-escaped": b'{"x": "a\\udc00b"}',
    "invalid-utf8": b'{"x": "\xff\xfe"}',
    "encoded-surrogate": b'{"x": "\xed\xa0\x80"}',
    "int-past-64-bits": b'{"x": 9223372036854775808}',
    "int-past-python-limit": b'{"x": ' + b"9" * 5000 + b"}",
    "nested-65": _nest(65),
    "nested-500": _nest(500),
    "nested-100000": b"[" * 100_000 + b"]" * 100_000,
}


def _seed_body(value: bytes) -> bytes:
    return b'{"s": "x", "o": ' + value + b"}"


def _v1_body(value: bytes) -> bytes:
    return b'{"target": "typed", "input": {"s": "x", "o": ' + value + b"}}"


def _issue(resp: httpx.Response) -> dict[str, Any]:
    body = assert_envelope(resp, 400)
    issue: dict[str, Any] = body["issues"][0]
    assert issue["code"] == "invalid_json", body
    return issue


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_bad_json_is_400_on_every_start(api: httpx.Client, name: str) -> None:
    value = BAD_VALUES[name]
    seed = _issue(api.post("/api/v1/run/typed", content=_seed_body(value), headers=JSON))
    v1 = _issue(api.post("/v1/runs", content=_v1_body(value), headers=JSON))
    if "surrogate-escaped" in name:  # found after parsing: named by its JSON path
        assert seed["field"] == "<root>.o.x" and v1["field"] == "<root>.input.o.x"
    else:
        assert seed["field"] == "<root>" and v1["field"] == "<root>"


@pytest.mark.parametrize("name", ["nan", "lone-surrogate-escaped", "invalid-utf8", "nested-500"])
@pytest.mark.parametrize("action", ["resume", "reject"])
def test_bad_json_is_400_on_decisions(api: httpx.Client, name: str, action: str) -> None:
    body = b'{"reason": ' + BAD_VALUES[name] + b"}"
    resp = api.post(f"/api/v1/runs/exec_nosuchrun/{action}", content=body, headers=JSON)
    assert _issue(resp)["field"].startswith("<body>")


def test_bad_json_is_400_on_a_deploy(api: httpx.Client) -> None:
    resp = api.post(
        "/v1/automations/strict-json/versions",
        content=b'{"version": "1.0.0", "yaml": "\\ud800"}',
        headers=JSON,
    )
    assert _issue(resp)["field"] == "<body>.yaml"


def test_what_the_bounds_allow_still_runs(api: httpx.Client) -> None:
    """64 levels, the largest 64-bit integers, astral characters (a surrogate pair) and a
    BOM: accepted and echoed back unchanged."""
    deep: dict[str, Any] = {}
    for _ in range(61):  # 62 levels, inside the body and `o`: 64 in all
        deep = {"a": deep}
    o = {"deep": deep, "big": 2**63 - 1, "small": -(2**63) + 1, "emoji": "\U0001f600", "f": 1e308}
    text = json.dumps({"s": "x", "o": o})  # ASCII: the emoji as an escaped surrogate pair
    assert "\\ud83d\\ude00" in text
    resp = api.post(
        "/api/v1/run/typed",
        content=b"\xef\xbb\xbf" + text.encode(),
        headers=JSON,
        params={"wait_for_completion": 30},
    )
    assert resp.status_code == 200, resp.text
    body = _strict(resp.text)
    assert body["status"] == "completed", body
    assert body["output"]["o"] == o


NON_FINITE = """\
name: {slug}
inputs:
  - {{name: n, type: number}}
steps:
  - name: grow
    type: transform.set
    with: {{big: "{{{{ input.n | times: 10 }}}}", small: "{{{{ input.n | times: -10 }}}}"}}
output: "{{{{ steps.grow.output }}}}"
"""


def test_a_non_finite_output_is_null_in_responses(api: httpx.Client) -> None:
    """A step that computes Infinity: stored and answered as null, never as `Infinity`."""
    made = deploy(api, "non-finite", NON_FINITE.format(slug="non-finite"), "1.0.0")
    assert made.status_code in (200, 201), made.text
    resp = api.post(
        "/api/v1/run/workflows.non-finite",
        json={"n": 1e308},
        params={"wait_for_completion": 30},
    )
    assert resp.status_code == 200, resp.text
    body = _strict(resp.text)
    assert body["status"] == "completed", body
    assert body["output"] == {"big": None, "small": None}
    run_id = body["runId"]
    for path in (f"/api/v1/runs/{run_id}?include=output,detail", f"/v1/runs/{run_id}"):
        got = api.get(path)
        assert got.status_code == 200, got.text
        _strict(got.text)
