"""What every handler takes from a request: the run service, the caller's tenant, and the
compact JSON response it answers with."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from openpal import jsontext
from openpal.service.runs import RunService
from openpal.store.catalog_records import ApiKeyRecord


class JSON(Response):
    """Compact UTF-8 JSON, RFC 8259 whatever the value holds (see `openpal.jsontext`)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return jsontext.dumps(content).encode()


def run_service(request: Request) -> RunService:
    """The app's `RunService`."""
    svc: RunService = request.app.state.runs
    return svc


def tenant_of(request: Request) -> str:
    """The tenant of the API key that authenticated the request."""
    key: ApiKeyRecord = request.scope["state"]["api_key"]
    return key.tenant_id
