"""Route declarations that carry their own documentation: `/openapi.json` is generated
from them, so a route cannot be served without being described (and vice versa)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import Route


@dataclass(frozen=True)
class Param:
    """One query (or header) parameter of an operation."""

    name: str
    description: str
    type: str = "string"  # JSON Schema type: string | integer | number | boolean | array
    required: bool = False
    enum: tuple[str, ...] | None = None
    where: str = "query"  # query | header


@dataclass(frozen=True)
class Doc:
    """What `/openapi.json` says about one operation."""

    summary: str
    tag: str  # the group in the spec: runs, workflows, automations, files, ...
    query: tuple[Param, ...] = ()
    body: str | None = None  # None | "json" | "multipart" | "raw"
    body_schema: dict[str, Any] | str | None = None  # a schema, or a component's name
    ok: tuple[int, ...] = (200,)  # the success statuses
    response: dict[str, Any] | str | None = None  # a schema, or a component's name
    content_type: str = "application/json"  # of the success response
    errors: tuple[int, ...] = (400, 401, 404)
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # merged into the operation


class DocumentedRoute(Route):
    """A Starlette route with its `Doc`."""

    def __init__(
        self, path: str, endpoint: Callable[..., Any], *, method: str, doc: Doc
    ) -> None:
        super().__init__(path, endpoint, methods=[method])
        self.method = method
        self.doc = doc


def route(method: str, path: str, endpoint: Callable[..., Any], doc: Doc) -> DocumentedRoute:
    """Declare `method path` served by `endpoint`, documented by `doc`."""
    return DocumentedRoute(path, endpoint, method=method, doc=doc)
