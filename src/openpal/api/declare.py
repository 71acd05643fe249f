"""Route declarations that carry their own documentation: `/openapi.json` is generated
from them, so a route cannot be served without being described (and vice versa).

`route(method, path, endpoint, Doc(...))` is a Starlette route for one method. The
generator (`openpal.api.openapi`) reads `.method`, `.path` and `.doc` off each one;
the path's own parameters (`{run_id}`, `{path:path}`) come from the path itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import Route

BODY_KINDS = (None, "json", "multipart", "raw")
PARAM_PLACES = ("query", "header", "path")


@dataclass(frozen=True)
class Param:
    """One query, header or path parameter of an operation."""

    name: str
    description: str
    type: str = "string"  # JSON Schema type: string | integer | number | boolean | array
    required: bool = False
    enum: tuple[str, ...] | None = None
    where: str = "query"  # query | header | path
    minimum: float | None = None  # of a number or integer
    maximum: float | None = None
    exclusive_minimum: float | None = None
    min_length: int | None = None  # of a string
    max_length: int | None = None


@dataclass(frozen=True)
class Doc:
    """What `/openapi.json` says about one operation.

    Schemas (`body_schema`, `response`, the values of `by_status`) are either a JSON
    Schema dict or the name of a component in `openpal.api.schemas_doc.COMPONENTS`.
    """

    summary: str
    tag: str  # the group in the spec: runs, workflows, automations, files, ...
    query: tuple[Param, ...] = ()  # query and header parameters
    body: str | None = None  # None | "json" | "multipart" | "raw"
    body_schema: dict[str, Any] | str | None = None  # a schema, or a component's name
    ok: tuple[int, ...] = (200,)  # the success statuses
    response: dict[str, Any] | str | None = None  # a schema, or a component's name
    content_type: str = "application/json"  # of the success response
    # other media types a success response may have (e.g. a zip with `?zip=1`)
    other_content: tuple[str, ...] = ()
    errors: tuple[int, ...] = (400, 401, 404)
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # merged into the operation
    # descriptions of the path's parameters; one not listed gets its name's shared
    # description (`schemas_doc.PATH_PARAMS`)
    path: tuple[Param, ...] = ()
    # a different schema for some success statuses (e.g. 200 a full run, 201 an acceptance)
    by_status: dict[int, dict[str, Any] | str] = field(default_factory=dict)
    body_required: bool = True
    # a multipart/form-data form accepted besides the JSON body (body="json")
    multipart_schema: dict[str, Any] | str | None = None


class DocumentedRoute(Route):
    """A Starlette route with its `Doc`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], *, method: str, doc: Doc) -> None:
        super().__init__(path, endpoint, methods=[method])
        self.method = method.upper()
        self.doc = doc
        _check(self.path, set(self.param_convertors), doc)


def _check(path: str, names: set[str], doc: Doc) -> None:
    """Mistakes a declaration can make, found when the module is imported."""
    if doc.body not in BODY_KINDS:
        raise ValueError(f"{path}: Doc.body must be one of {BODY_KINDS}, got {doc.body!r}")
    if not doc.ok:
        raise ValueError(f"{path}: Doc.ok needs at least one success status")
    for p in doc.path:
        if p.name not in names:
            raise ValueError(f"{path}: Doc.path describes {p.name!r}, not in the path")
    for p in doc.query:
        if p.where not in PARAM_PLACES or p.where == "path":
            raise ValueError(f"{path}: Doc.query {p.name!r} has where={p.where!r}")


def route(method: str, path: str, endpoint: Callable[..., Any], doc: Doc) -> DocumentedRoute:
    """Declare `method path` served by `endpoint`, documented by `doc`."""
    return DocumentedRoute(path, endpoint, method=method, doc=doc)
