"""`/openapi.json`: OpenAPI 3.1 generated from the routes the app serves.

Which routes are API (and so must be documented, and are the only ones the spec
lists): every route under `/api/` (the seed generation, EigenPal SDK 0.6) or `/v1/`
(the current generation, SDK 0.11+), plus the public JSON endpoints in
`middleware.PUBLIC_PATHS` (`/openapi.json`, `/healthz`, `/readyz`). Everything else
(the dashboard's HTML pages, its sign-in form, `/static`) is not API and is left out.

Each API route is a `declare.route(...)` carrying a `Doc`; the generator reads the
method and path off the route, the path parameters off the path (`{path:path}` is
written `{path}`), and the rest off the `Doc`. A plain Starlette route on an API path
is *not* documented: `tests/api/test_openapi.py` fails until it is declared.
The spec is built once per app, on the first request, and cached.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from starlette.convertors import FloatConvertor, IntegerConvertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from openpal import __version__
from openpal.api.declare import Doc, DocumentedRoute, Param
from openpal.api.middleware import GUARDED, PUBLIC_PATHS
from openpal.api.schemas_doc import COMPONENTS, PATH_PARAMS, TAGS, ref

API_PREFIXES = GUARDED  # ("/api/", "/v1/"): the two generations
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
_BODY_TYPES = {
    "json": "application/json",
    "multipart": "multipart/form-data",
    "raw": "application/octet-stream",
}

DESCRIPTION = (
    "openpal: self-hosted workflow runs behind the EigenPal API, in both of its "
    "generations from one process and one run model: `/api/v1` (the seed's, official "
    "SDK 0.6.x) and `/v1` (the current one, official SDK 0.11 and newer). Authenticate "
    "with `Authorization: Bearer <key>`. Every error is the JSON envelope "
    "`{issues: [{field, message, code, severity}], requestId}`; the request id is also "
    "in the `x-request-id` header."
)


def is_api_path(path: str) -> bool:
    """The rule of this module's docstring: is the route at `path` part of the API?"""
    return path.startswith(API_PREFIXES) or path in PUBLIC_PATHS


def openapi_path(path: str) -> str:
    """Starlette's `/runs/{run_id}/artifact/{path:path}` → OpenAPI's `…/{path}`."""
    return _PARAM.sub(r"{\1}", path)


@dataclass(frozen=True)
class Served:
    """One method on one path the app serves, and the route that serves it."""

    path: str  # as Starlette writes it
    method: str
    route: Route


def served(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[Served]:
    """Every (path, method) of every HTTP route, Mounts included. HEAD, which Starlette
    adds to every GET route, is not listed on its own."""
    for r in routes:
        if isinstance(r, Mount):
            yield from served(r.routes, prefix + r.path)
        elif isinstance(r, Route):
            methods = set(r.methods or ())
            if "GET" in methods:
                methods.discard("HEAD")
            for method in sorted(methods):
                yield Served(prefix + r.path, method, r)


def api_operations(routes: Iterable[BaseRoute]) -> Iterator[Served]:
    """The served (path, method) pairs that are API by the module's rule."""
    return (s for s in served(routes) if is_api_path(s.path))


def build_spec(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every documented API route in `routes`."""
    paths: dict[str, dict[str, Any]] = {}
    tags: set[str] = set()
    for s in api_operations(routes):
        if not isinstance(s.route, DocumentedRoute):
            continue  # undocumented: the test names it; the spec never invents one
        doc = s.route.doc
        tags.add(doc.tag)
        paths.setdefault(openapi_path(s.path), {})[s.method.lower()] = _operation(s, doc)
    return {
        "openapi": "3.1.0",
        "info": {"title": "openpal", "version": __version__, "description": DESCRIPTION},
        "tags": [{"name": t, "description": TAGS.get(t, t)} for t in sorted(tags)],
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _used_components(paths),
        },
    }


_REF = re.compile(r'"#/components/schemas/([^"]+)"')


def _used_components(paths: dict[str, Any]) -> dict[str, Any]:
    """The components the operations refer to, and the ones those refer to, in turn.
    A name no component has raises: a `Doc` names a schema that does not exist."""
    todo = set(_REF.findall(json.dumps(paths)))
    used: dict[str, Any] = {}
    while todo:
        name = todo.pop()
        if name in used:
            continue
        if name not in COMPONENTS:
            raise KeyError(f"a Doc names the schema {name!r}, which schemas_doc does not have")
        used[name] = COMPONENTS[name]
        todo |= set(_REF.findall(json.dumps(used[name]))) - set(used)
    return dict(sorted(used.items()))


def _schema(value: dict[str, Any] | str | None, default: dict[str, Any]) -> dict[str, Any]:
    if value is None:
        return default
    return ref(value) if isinstance(value, str) else value


def _param(p: Param, where: str, required: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": p.type}
    if p.enum is not None:
        schema["enum"] = list(p.enum)
    if p.type == "array":
        schema["items"] = {"type": "string"}
    bounds = {
        "minimum": p.minimum,
        "maximum": p.maximum,
        "exclusiveMinimum": p.exclusive_minimum,
        "minLength": p.min_length,
        "maxLength": p.max_length,
    }
    schema.update({k: v for k, v in bounds.items() if v is not None})
    out = {
        "name": p.name,
        "in": where,
        "required": required,
        "description": p.description,
        "schema": schema,
    }
    if p.type == "array":
        out["explode"] = True
    return out


def _path_params(route: Route, doc: Doc) -> list[dict[str, Any]]:
    described = {p.name: p for p in doc.path}
    out = []
    for name, convertor in route.param_convertors.items():
        typ = "string"
        if isinstance(convertor, IntegerConvertor):
            typ = "integer"
        elif isinstance(convertor, FloatConvertor):
            typ = "number"
        p = described.get(name) or Param(name, PATH_PARAMS.get(name, f"The {name}"), typ)
        out.append(_param(p, "path", True))
    return out


def _operation(s: Served, doc: Doc) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": _operation_id(s),
        "summary": doc.summary,
        "tags": [doc.tag],
    }
    if doc.description:
        op["description"] = doc.description
    params = _path_params(s.route, doc) + [_param(p, p.where, p.required) for p in doc.query]
    if params:
        op["parameters"] = params
    if doc.body is not None:
        media = _BODY_TYPES[doc.body]
        default = {"type": "string", "contentMediaType": media} if doc.body == "raw" else {}
        content = {media: {"schema": _schema(doc.body_schema, default)}}
        if doc.multipart_schema is not None:
            content[_BODY_TYPES["multipart"]] = {"schema": _schema(doc.multipart_schema, {})}
        op["requestBody"] = {"required": doc.body_required, "content": content}
    responses: dict[str, Any] = {}
    for status in doc.ok:
        responses[str(status)] = _success(status, doc)
    errors = set(doc.errors) | {500}
    if s.path.startswith(API_PREFIXES):
        errors.add(401)  # AuthMiddleware guards every path of both generations
    else:
        op["security"] = []
    for status in sorted(errors):
        responses[str(status)] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"schema": ref("Error")}},
        }
    op["responses"] = responses
    op.update(doc.extra)
    return op


def _success(status: int, doc: Doc) -> dict[str, Any]:
    out: dict[str, Any] = {"description": HTTPStatus(status).phrase}
    if status == 204:
        return out
    value = doc.by_status.get(status, doc.response)
    if "json" in doc.content_type:
        default: dict[str, Any] = {}
    else:
        default = {"type": "string", "contentMediaType": doc.content_type}
    out["content"] = {doc.content_type: {"schema": _schema(value, default)}}
    for media in doc.other_content:
        out["content"][media] = {"schema": {"type": "string", "contentMediaType": media}}
    return out


def _operation_id(s: Served) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", "_", openapi_path(s.path)).strip("_")
    return f"{s.method.lower()}_{words}"


async def serve(request: Request) -> Response:
    """`GET /openapi.json`: built from this app's routes on first use, then cached."""
    state = request.app.state
    body: bytes | None = getattr(state, "openapi_json", None)
    if body is None:
        spec = build_spec(request.app.routes)
        body = json.dumps(spec, ensure_ascii=False, separators=(",", ":")).encode()
        state.openapi_json = body
    return Response(body, media_type="application/json")
