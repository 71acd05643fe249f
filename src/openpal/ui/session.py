"""Dashboard sign-in: the API key in an HttpOnly, SameSite=Strict cookie, and a CSRF
token on every form that changes something.

The cookie holds the key the person typed (the browser knows it already); every page
checks it with the same `KeyChecker` as the API, so a revoked key signs out at once
and a key only ever sees its own tenant. The CSRF token is an HMAC of the key: it
cannot be read or forged by another site, and needs no server-side state, so any
number of API processes can serve the dashboard.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request
from starlette.responses import Response

from openpal.errors import Unauthorized
from openpal.service.keys import KeyChecker
from openpal.store.records import ApiKeyRecord

COOKIE = "openpal_session"
MAX_AGE = 12 * 3600


def csrf_token(secret: str) -> str:
    return hmac.new(secret.encode(), b"openpal-csrf", hashlib.sha256).hexdigest()[:32]


async def signed_in(request: Request) -> tuple[ApiKeyRecord, str] | None:
    """The key record and secret of the signed-in person, or None."""
    secret = request.cookies.get(COOKIE)
    if not secret:
        return None
    checker: KeyChecker = request.app.state.key_checker
    try:
        return await checker.check(f"Bearer {secret}"), secret
    except Unauthorized:
        return None


def sign_in(response: Response, secret: str, *, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        secret,
        max_age=MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )


def sign_out(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def csrf_ok(secret: str, sent: object) -> bool:
    return isinstance(sent, str) and hmac.compare_digest(csrf_token(secret), sent)
