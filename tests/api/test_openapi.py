"""`/openapi.json` is generated from the route declarations: every API route the app
serves is in it with each of its methods, and nothing else; each operation is complete;
the document is valid OpenAPI 3.1."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator
from starlette.requests import Request
from starlette.routing import Mount, Route

from openpal.api import openapi
from openpal.api.app import create_app
from openpal.api.declare import Doc, route
from openpal.settings import Settings
from tests.v1_models import current_sdk_python

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data = tmp_path_factory.mktemp("openapi-app")
    return create_app(Settings.from_env({"OPENPAL_DATA_DIR": str(data)}))


@pytest.fixture
def spec(server) -> dict[str, Any]:
    """What a running server serves, without a key (the description is public)."""
    resp = httpx.get(f"{server.base_url}/openapi.json", timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/json"
    body: dict[str, Any] = resp.json()
    return body


def served_api(routes: list[Any], prefix: str = "") -> set[tuple[str, str]]:
    """(OpenAPI path, METHOD) of every route the app answers under the API rule,
    walked here independently of the generator (HEAD comes with GET in Starlette)."""
    out: set[tuple[str, str]] = set()
    for r in routes:
        if isinstance(r, Mount):
            out |= served_api(list(r.routes), prefix + r.path)
        elif isinstance(r, Route):
            path = prefix + r.path
            if not openapi.is_api_path(path):
                continue
            methods = set(r.methods or ())
            if "GET" in methods:
                methods.discard("HEAD")
            out |= {(PARAM.sub(r"{\1}", path), m) for m in methods}
    return out


def documented(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p, m.upper()) for p, ops in spec["paths"].items() for m in ops if m in METHODS}


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (p, m.upper(), op)
        for p, ops in spec["paths"].items()
        for m, op in ops.items()
        if m in METHODS
    ]


def test_the_rule_of_what_is_api():
    for path in ("/api/v1/runs", "/v1/runs/{id}", "/openapi.json", "/healthz", "/readyz"):
        assert openapi.is_api_path(path), path
    for path in ("/", "/runs", "/runs/{run_id}", "/workflows/{slug}", "/login", "/static"):
        assert not openapi.is_api_path(path), path


def test_every_served_api_route_is_documented_and_nothing_else(app, spec):
    served = served_api(list(app.routes))
    docs = documented(spec)
    assert served - docs == set(), "served but not in /openapi.json"
    assert docs - served == set(), "in /openapi.json but not served"
    # both generations and the public endpoints are there; the dashboard is not
    assert ("/api/v1/runs/{run_id}/artifact/{path}", "GET") in docs
    assert {("/readyz", "GET"), ("/healthz", "GET"), ("/openapi.json", "GET")} <= docs
    assert not any(p in ("/", "/runs", "/login") or p.startswith("/static") for p, _ in docs)


def test_an_undeclared_api_route_is_caught():
    """A plain Starlette route on an API path is served but not documented: the walk
    above sees it, the generator leaves it out, so the comparison fails."""

    async def endpoint(request: Request) -> None:
        raise AssertionError("never called")

    routes = [
        route("GET", "/v1/things/{thing_id}", endpoint, Doc("Get a thing", "things")),
        Route("/v1/things/{thing_id}/parts/{path:path}", endpoint, methods=["GET", "POST"]),
        Route("/dashboard", endpoint),
    ]
    spec = openapi.build_spec(routes)
    assert documented(spec) == {("/v1/things/{thing_id}", "GET")}
    assert served_api(routes) - documented(spec) == {
        ("/v1/things/{thing_id}/parts/{path}", "GET"),
        ("/v1/things/{thing_id}/parts/{path}", "POST"),
    }


def test_each_operation_is_complete(spec):
    tags = {t["name"] for t in spec["tags"]}
    schemas = spec["components"]["schemas"]
    for path, method, op in operations(spec):
        where = f"{method} {path}"
        assert op.get("summary", "").strip(), f"{where}: no summary"
        assert len(op.get("tags", [])) == 1 and op["tags"][0] in tags, f"{where}: tag"
        params = op.get("parameters", [])
        in_path = {p["name"] for p in params if p["in"] == "path"}
        assert in_path == set(re.findall(r"\{(\w+)\}", path)), f"{where}: path parameters"
        for p in params:
            assert p["description"].strip(), f"{where}: parameter {p['name']} undescribed"
            if p["in"] == "path":
                assert p["required"] is True, f"{where}: {p['name']}"
        statuses = {int(s) for s in op["responses"]}
        assert any(200 <= s < 300 for s in statuses), f"{where}: no success response"
        errors = {s for s in statuses if s >= 400}
        assert 500 in errors, where
        if path.startswith(("/api/", "/v1/")):
            assert 401 in errors, f"{where}: a guarded path answers 401 without a key"
        else:
            assert op.get("security") == [], f"{where}: public, needs no key"
        if in_path:
            assert 404 in errors, f"{where}: what the path names may not exist"
        if any(p["in"] == "query" for p in params) or "requestBody" in op:
            assert 400 in errors, f"{where}: takes input, so can refuse it"
        for s in errors:
            content = op["responses"][str(s)]["content"]
            assert content["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }, f"{where}: {s} is the error envelope"
        refs = re.findall(r"#/components/schemas/(\w+)", str(op))
        assert set(refs) <= set(schemas), f"{where}: unknown schema {set(refs) - set(schemas)}"


def test_every_schema_a_doc_names_exists(app):
    spec = openapi.build_spec(list(app.routes))  # raises KeyError naming the schema
    assert {"Error", "RunSummary"} <= set(spec["components"]["schemas"])


def test_the_spec_is_valid_openapi_3_1(spec):
    assert spec["openapi"] == "3.1.0"
    errors = [str(e.message) for e in OpenAPIV31SpecValidator(spec).iter_errors()]
    assert errors == []


def _filled(path: str) -> str:
    return PARAM.sub(lambda m: "0" if m.group(1).endswith("_index") else "x", path)


def test_every_documented_operation_is_served(server, spec):
    """Each path+method of the spec, called with made-up ids and no body: the router
    finds it (no 404 "No route", no 405), the input is refused without a 5xx, and
    without a key every guarded operation answers 401."""
    with server.client() as api, httpx.Client(base_url=server.base_url, timeout=30) as anon:
        for path, method, _ in operations(spec):
            url = _filled(path)
            resp = api.request(method, url)
            where = f"{method} {path} → {resp.status_code} {resp.text[:200]}"
            assert resp.status_code != 405, where
            assert "No route for" not in resp.text, where
            assert resp.status_code < 500, where
            if path.startswith(("/api/", "/v1/")):
                assert anon.request(method, url).status_code == 401, where


def test_the_spec_is_built_once_per_app(app):
    async def call() -> bytes:
        scope = {"type": "http", "method": "GET", "path": "/openapi.json", "app": app}
        resp = await openapi.serve(Request(scope))
        return bytes(resp.body)

    first = asyncio.run(call())
    assert first.startswith(b'{"openapi":"3.1.0"') and app.state.openapi_json == first
    app.state.openapi_json = b'{"cached":true}'  # the second answer comes from the cache
    assert asyncio.run(call()) == b'{"cached":true}'


def test_the_v1_schemas_are_those_of_the_official_sdk():
    """`schemas_v1.json` is what `./scripts/v1-schemas` makes of the installed SDK's
    models: a newer SDK pinned without regenerating it fails here."""
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [current_sdk_python(), str(root / "scripts" / "v1_schemas.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    stored = root / "src" / "openpal" / "api" / "schemas_v1.json"
    assert json.loads(out.stdout) == json.loads(stored.read_text())
