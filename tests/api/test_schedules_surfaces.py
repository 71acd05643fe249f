"""Where people see and change schedules: `/v1/automations` (`triggers.cron`), the
workflow page of the dashboard (pause/resume buttons, CSRF) and `openpal schedules`."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx

from tests.api.test_schedules_processes import FLOW
from tests.conftest import openpal_env, start_server


def _cron(api: httpx.Client) -> bool:
    body = api.get("/v1/automations/every-morning/triggers").json()
    return bool(body["triggers"]["cron"])


def _cli(data, db_url, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "openpal", "schedules", *args, "--data-dir", str(data)],
        env=openpal_env(db_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_pause_and_resume_from_the_dashboard_and_the_cli(tmp_path, db_url):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "every-morning.yaml").write_text(FLOW)
    data = tmp_path / "data"
    srv = start_server(data, workflows=flows, database_url=db_url)
    try:
        with srv.client() as api, httpx.Client(base_url=srv.base_url) as web:
            deadline = time.monotonic() + 15
            while not _cron(api):  # stored by the server's scheduler once it synced
                assert time.monotonic() < deadline, "triggers.cron never became true"
                time.sleep(0.2)
            detail = api.get("/v1/automations/every-morning").json()
            assert detail["triggers"]["cron"] is True
            listed = api.get("/v1/automations").json()["data"]
            assert {w["slug"]: w["triggers"]["cron"] for w in listed}["every-morning"] is True

            token = re.search(r'name="token" value="([^"]+)"', web.get("/login").text)
            assert token is not None
            web.post("/login", data={"api_key": srv.api_key, "token": token[1]})
            page = web.get("/workflows/every-morning").text
            assert "Schedules" in page and "0 7 * * *" in page and "Europe/Berlin" in page
            csrf = re.search(r'name="csrf" value="([^"]+)"', page)
            assert csrf is not None
            forged = web.post("/workflows/every-morning/schedules/0/pause", data={"csrf": "x"})
            assert forged.status_code == 403 and _cron(api)
            done = web.post("/workflows/every-morning/schedules/0/pause", data={"csrf": csrf[1]})
            assert done.status_code == 303
            assert not _cron(api)
            assert "<strong>paused</strong>" in web.get("/workflows/every-morning").text

            listing = _cli(data, db_url, "list")
            assert re.search(r"every-morning/0\t0 7 \* \* \*\tEurope/Berlin\tpaused", listing)
            resumed = _cli(data, db_url, "resume", "every-morning/0")
            assert "\tactive\t" in resumed
            assert _cron(api)
            assert "every-morning/0" in _cli(data, db_url, "pause", "every-morning")
            assert not _cron(api)
    finally:
        srv.stop()
