"""Signing in and out of the dashboard: same-origin posts with a form token, a
server-side session (see `session`), and a way back to the page asked for."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from openpal.errors import OpenpalError
from openpal.ui import session
from openpal.ui.render import forged, render


def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/runs"
    return value


# -- sign-in ---------------------------------------------------------------------------
def _login_page(
    request: Request, nxt: str, status: int = 200, error: str | None = None
) -> Response:
    token = session.login_token(request)
    response = render(request, "login.html", status, next=nxt, error=error, token=token)
    session.keep_login_token(request, response, token)
    return response


async def login(request: Request) -> Response:
    nxt = _safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return _login_page(request, nxt)
    if not session.same_origin(request):
        return forged(request)
    form = await request.form()
    if not session.login_token_ok(request, form.get("token")):
        return forged(request)
    secret = str(form.get("api_key") or "").strip()
    nxt = _safe_next(str(form.get("next") or ""))
    checker = request.app.state.key_checker
    try:
        key = await checker.check(f"Bearer {secret}")
    except OpenpalError:
        return _login_page(request, nxt, 401, "That API key is not valid.")
    response = RedirectResponse(nxt, 303)
    await session.sign_in(request, response, key)
    return response


async def logout(request: Request) -> Response:
    if not session.same_origin(request):
        return forged(request)
    found = await session.signed_in(request)
    if found is not None:
        form = await request.form()
        if not session.csrf_ok(found[1], form.get("csrf")):
            return forged(request)
    response = RedirectResponse("/login", 303)
    await session.sign_out(request, response)
    return response
