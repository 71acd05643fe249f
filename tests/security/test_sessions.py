"""Dashboard sessions are server-side and CSRF-safe; API keys can be listed and revoked,
and a revoked key is refused at once by every server process (both backends; two
processes on PostgreSQL). The dashboard shows no text taken from its URL."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.conftest import Server, start_server
from tests.pg import fresh_database
from tests.security.test_tenant_isolation import new_key

EVIL = "https://evil.example"


def _openpal(server: Server, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "openpal", *args, "--data-dir", str(server.data_dir)],
        capture_output=True, text=True, check=True, env=server.env(),
    ).stdout  # fmt: skip


def sign_in(web: httpx.Client, key: str) -> httpx.Response:
    """The sign-in a browser makes: the form (and its token), then the post."""
    token = re.search(r'name="token" value="([^"]+)"', web.get("/login").text)
    return web.post("/login", data={"api_key": key, "token": token[1] if token else ""})


def test_login_refuses_cross_site_posts_and_forms_without_the_token(server):
    with httpx.Client(base_url=server.base_url) as web:
        web.get("/login")  # has the login cookie; what it lacks is the same origin
        token = re.search(r'name="token" value="([^"]+)"', web.get("/login").text)
        assert token is not None
        form = {"api_key": server.api_key, "token": token[1]}
        for headers in ({"origin": EVIL}, {"origin": "null"}, {"sec-fetch-site": "cross-site"}):
            resp = web.post("/login", data=form, headers=headers)
            assert resp.status_code == 403, (headers, resp.status_code)
            assert "openpal_session" not in resp.headers.get("set-cookie", "")
            assert "CSRF" in resp.text and "<html" in resp.text  # the dashboard's page
    # a form post without the token (what another site's form sends) is refused too
    bare = httpx.post(f"{server.base_url}/login", data={"api_key": server.api_key})
    assert bare.status_code == 403
    assert "openpal_session" not in bare.headers.get("set-cookie", "")


def test_the_session_cookie_is_a_server_side_session_not_the_key(server):
    with httpx.Client(base_url=server.base_url) as web:
        resp = sign_in(web, server.api_key)
        assert resp.status_code == 303, resp.text
        cookie = resp.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        session = web.cookies["openpal_session"]
        assert session != server.api_key and server.api_key not in cookie
        assert web.get("/runs").status_code == 200
        # sign-out from another site is refused; the session lives on
        page = web.get("/runs").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        assert web.post("/logout", data={"csrf": csrf[1]}, headers={"origin": EVIL}).status_code
        assert web.get("/runs").status_code == 200
        assert web.post("/logout", data={"csrf": csrf[1]}).status_code == 303
    # the old cookie, replayed after sign-out, opens nothing: the session is gone
    replay = httpx.get(f"{server.base_url}/runs", cookies={"openpal_session": session})
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")


def test_a_revoked_key_and_its_sessions_end_at_once(server):
    key = new_key(server, "default")
    prefix = key[:10]
    with httpx.Client(base_url=server.base_url) as web:
        assert sign_in(web, key).status_code == 303
        assert web.get("/runs").status_code == 200
        api = {"Authorization": f"Bearer {key}"}
        assert httpx.get(f"{server.base_url}/api/v1/runs", headers=api).status_code == 200
        listed = _openpal(server, "keys", "list")
        assert prefix in listed and key not in listed
        out = _openpal(server, "keys", "revoke", prefix)
        assert "revoked" in out, out
        assert httpx.get(f"{server.base_url}/api/v1/runs", headers=api).status_code == 401
        gone = web.get("/runs")
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
        assert sign_in(web, key).status_code == 401
    row = next(line for line in _openpal(server, "keys", "list").splitlines() if prefix in line)
    assert not row.endswith("\t-")  # listed as revoked
    # the server's own key still works
    with server.client() as c:
        assert c.get("/api/v1/runs").status_code == 200


def test_revocation_reaches_every_process_on_postgres(tmp_path):
    with fresh_database() as url:
        first = start_server(tmp_path / "a", database_url=url)
        second = start_server(tmp_path / "b", database_url=url, api_key=first.api_key)
        try:
            key = new_key(first, f"t-{uuid.uuid4().hex[:6]}")
            api = {"Authorization": f"Bearer {key}"}
            for srv in (first, second):  # each process has checked (and may remember) it
                for _ in range(3):
                    assert httpx.get(f"{srv.base_url}/api/v1/runs", headers=api).status_code == 200
            _openpal(first, "keys", "revoke", key[:10])
            for srv in (first, second):
                resp = httpx.get(f"{srv.base_url}/api/v1/runs", headers=api)
                assert resp.status_code == 401, srv.base_url
        finally:
            first.stop()
            second.stop()


@pytest.mark.parametrize("param", ["message", "error"])
def test_the_dashboard_shows_no_text_from_its_url(server, param):
    planted = "Your session expired, call +1-555-0100 SPOOFED"
    with server.client() as c:
        run_id = c.post("/api/v1/run/workflows.hello", json={}).json()["runId"]
    with httpx.Client(base_url=server.base_url) as web:
        assert sign_in(web, server.api_key).status_code == 303
        for path in (f"/runs/{run_id}", "/workflows/hello"):
            page = web.get(path, params={param: planted})
            assert page.status_code == 200
            assert "SPOOFED" not in page.text, path
