"""Dashboard sign-in: a server-side session per sign-in, and CSRF checks on every form.

Signing in with an API key stores a session (`sessions`: the hash of a random id, the
key's id, an expiry); the HttpOnly, SameSite=Strict cookie carries only that random id,
never the key. Every page reads the session with its key, so signing out, a revoked key
or an expired session ends it at once, in every API process. Forms that change
something carry a token, an HMAC of the session id (another site can neither read nor
forge it). Sign-in and sign-out also refuse cross-site posts outright (`Sec-Fetch-Site`,
`Origin`), and the sign-in form carries its own token (double-submit: a random value in
a cookie and in the form), so no other site can sign a browser into its own tenant.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from openpal.service.keys import hash_key
from openpal.store.base import Store
from openpal.store.catalog_records import ApiKeyRecord

COOKIE = "openpal_session"
LOGIN_COOKIE = "openpal_login"
MAX_AGE = 12 * 3600  # a session ends 12 h after sign-in


def csrf_token(session_id: str) -> str:
    return hmac.new(session_id.encode(), b"openpal-csrf", hashlib.sha256).hexdigest()[:32]


def csrf_ok(session_id: str, sent: object) -> bool:
    return isinstance(sent, str) and hmac.compare_digest(csrf_token(session_id), sent)


def _now() -> int:
    return time.time_ns() // 1000


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def signed_in(request: Request) -> tuple[ApiKeyRecord, str] | None:
    """The key of the signed-in person and their session id, or None."""
    session_id = request.cookies.get(COOKIE)
    if not session_id or len(session_id) > 100:
        return None
    key = await _store(request).find_session(hash_key(session_id), _now())
    return (key, session_id) if key is not None else None


async def sign_in(request: Request, response: Response, key: ApiKeyRecord) -> None:
    """Start a session for `key` and hand its id to the browser."""
    session_id = secrets.token_urlsafe(32)
    now = _now()
    await _store(request).create_session(hash_key(session_id), key.id, now, now + MAX_AGE * 10**6)
    _cookie(request, response, COOKIE, session_id, MAX_AGE)
    response.delete_cookie(LOGIN_COOKIE, path="/login")


async def sign_out(request: Request, response: Response) -> None:
    """End the session (server-side, so a copied cookie is worthless too)."""
    session_id = request.cookies.get(COOKIE)
    if session_id:
        await _store(request).delete_session(hash_key(session_id), _now())
    response.delete_cookie(COOKIE, path="/")


def _cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    path = "/" if name == COOKIE else "/login"
    response.set_cookie(
        name,
        value,
        max_age=age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=path,
    )


def login_token(request: Request) -> str:
    """The sign-in form's token: the one in the browser's login cookie, or a new one
    (`keep_login_token` sets it on the page's response)."""
    token = request.cookies.get(LOGIN_COOKIE) or ""
    return token if 20 <= len(token) <= 100 else secrets.token_urlsafe(24)


def keep_login_token(request: Request, response: Response, token: str) -> None:
    _cookie(request, response, LOGIN_COOKIE, token, 3600)


def login_token_ok(request: Request, sent: object) -> bool:
    kept = request.cookies.get(LOGIN_COOKIE)
    return bool(kept) and isinstance(sent, str) and hmac.compare_digest(kept or "", sent)


def same_origin(request: Request) -> bool:
    """False for a request another site made the browser send: `Sec-Fetch-Site:
    cross-site`, or an `Origin` (even `null`) that is not this server's host."""
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser's cross-site form post (browsers send Origin on POST)
    host = request.headers.get("host", "")
    return bool(host) and urlsplit(origin).netloc.lower() == host.lower()
