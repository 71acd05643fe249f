"""What every dashboard page shares: the templates, rendering with the page headers, and
the guard that sends anyone not signed in to the sign-in page."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from openpal.engine.dates import iso
from openpal.engine.states import RunStatus
from openpal.service.runs import RunService
from openpal.store.catalog_records import ApiKeyRecord
from openpal.ui import session

HERE = Path(__file__).resolve().parent
FORGED = "Form expired or sent from another site (CSRF check failed): reload the page."

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["iso"] = iso
templates.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, default=str)


def clip(text: str | None, limit: int = 4096) -> str:
    """An error message as a page shows it: its first `limit` characters and how many
    more there are (a step may fail with a message of megabytes)."""
    text = text or ""
    if len(text) <= limit:
        return text
    return f"{text[:limit]} … {len(text) - limit:,} more characters"


templates.filters["clip"] = clip


def when(micros: int | None) -> Markup | str:
    """A time the browser shows in its own zone, with how long ago (app.js); ISO in UTC
    until the script runs."""
    text = iso(micros)
    if text is None:
        return ""
    return Markup('<time datetime="{0}">{0}</time>').format(text)


templates.filters["when"] = when


def duration_ms(ms: float | None) -> str:
    """`850 ms`, `12.4 s`, `3.2 min`; a dash for none."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s" if ms < 60_000 else f"{ms / 60_000:.1f} min"


def rate(per_minute: float) -> str:
    """`12.5 / min`, or `3.0 / h` below one a minute; a dash for none."""
    if per_minute <= 0:
        return "—"
    return f"{per_minute:.1f} / min" if per_minute >= 1 else f"{per_minute * 60:.1f} / h"


templates.globals["duration_ms"] = duration_ms
templates.globals["rate"] = rate


def elapsed(micros: int) -> str:
    """`850 ms`, or `12.4 s` from ten seconds on: how long a run, step or wait took."""
    ms = micros / 1000
    return f"{ms:.0f} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"


def _duration(run: Any) -> str:
    if run.started_at is None:
        return ""
    end = run.completed_at
    return "…" if end is None else elapsed(end - run.started_at)


templates.globals["duration"] = _duration
templates.globals["STATUSES"] = [s.value for s in RunStatus]


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    html = templates.get_template(name).render(request=request, **ctx)
    return HTMLResponse(
        html,
        status,
        headers={
            "cache-control": "no-store",
            "x-frame-options": "DENY",
            "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        },
    )


def svc(request: Request) -> RunService:
    svc: RunService = request.app.state.runs
    return svc


async def _who(request: Request) -> tuple[ApiKeyRecord, str] | Response:
    found = await session.signed_in(request)
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", 303)
    return found


Page = Callable[[Request, ApiKeyRecord, str], Awaitable[Response]]


def page(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """A page for signed-in people only: the handler gets the key and its secret; anyone
    else is sent to the sign-in page, and comes back here after it."""

    @functools.wraps(handler)
    async def guarded(request: Request) -> Response:
        who = await _who(request)
        if isinstance(who, Response):
            return who
        request.state.csrf = session.csrf_token(who[1])  # the sign-out form's token
        return await handler(request, *who)

    return guarded


def forged(request: Request) -> Response:
    """The answer to a form that failed its CSRF check."""
    return render(request, "error.html", 403, title="Refused", text=FORGED)
