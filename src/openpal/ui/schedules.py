"""Dashboard: pause and resume a workflow's cron schedules (the workflow page lists them)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from openpal.errors import NotFound
from openpal.service.schedules import set_paused
from openpal.store.catalog_records import ApiKeyRecord
from openpal.ui import session
from openpal.ui.render import forged, page, render

ACTIONS = {"pause": True, "resume": False}


@page
async def schedule_action(request: Request, key: ApiKeyRecord, secret: str) -> Response:
    """POST /workflows/{slug}/schedules/{n}/{pause|resume} (CSRF like every form)."""
    p = request.path_params
    form = await request.form()
    if not session.csrf_ok(secret, form.get("csrf")):
        return forged(request)
    paused = ACTIONS.get(p["action"])
    if paused is None or not str(p["n"]).isdigit():
        return render(request, "missing.html", 404, key=key, what="that schedule action")
    try:
        await set_paused(request.app.state.store, p["slug"], int(p["n"]), paused)
    except NotFound:
        return render(request, "missing.html", 404, key=key, what="that schedule")
    return RedirectResponse(f"/workflows/{p['slug']}#schedules", 303)
