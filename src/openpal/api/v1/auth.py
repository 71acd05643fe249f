"""`GET /v1/auth/check`: which tenant and key a bearer token stands for (the first call
many users make to verify a key; a bad key is the middleware's 401)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from openpal.api.context import JSON
from openpal.api.declare import Doc, route
from openpal.store.catalog_records import ApiKeyRecord

# openpal keys are not scoped: every key may do everything in its tenant
SCOPE = ["*"]


async def auth_check(request: Request) -> Response:
    key: ApiKeyRecord = request.scope["state"]["api_key"]
    return JSON(
        {
            "ok": True,
            "tenantId": key.tenant_id,
            "tenantSlug": key.tenant_id,
            "tenantName": None,
            "userId": None,
            "keyId": key.id,
            "email": None,
            "name": key.name,
            "scope": SCOPE,
            "wildcardGranted": True,
            "keyPrefix": key.prefix,
        }
    )


routes: list[BaseRoute] = [
    route(
        "GET",
        "/v1/auth/check",
        auth_check,
        Doc(
            "Check an API key",
            "auth",
            response="AuthCheckResponse",
            errors=(401,),
            description="The tenant and key the bearer token stands for. openpal keys are"
            ' unscoped (`scope: ["*"]`); tenants have no separate name or slug.',
        ),
    ),
]
