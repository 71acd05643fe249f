"""A running `openpal serve` picks up an edited workflow file as a new version; an edit
that does not load is logged with file, line and field, and the version before serves."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import Server, start_server

FLOW = """\
name: live
version: "{label}"
steps:
  - name: say
    type: {step_type}
    with: {{value: "{word}"}}
output: "{{{{ steps.say.output.value }}}}"
"""


def _write(path: Path, label: str, word: str, step_type: str = "transform.set") -> None:
    path.write_text(FLOW.format(label=label, word=word, step_type=step_type))


def _run(srv: Server) -> dict:
    with srv.client() as api:
        resp = api.post("/api/v1/run/workflows.live", json={}, params={"wait_for_completion": 20})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _until(check, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not picked up in time"
        time.sleep(0.1)


def test_a_running_server_serves_the_edited_file(tmp_path: Path, db_url: str | None) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    path = flows / "live.yaml"
    _write(path, "1.0.0", "one")
    srv = start_server(
        tmp_path / "data",
        workflows=flows,
        database_url=db_url,
        env={"OPENPAL_WATCH_POLL_SECONDS": "0.2"},
    )
    try:
        assert _run(srv)["output"] == "one"
        _write(path, "1.1.0", "two")
        _until(lambda: _run(srv)["output"] == "two")
        assert "live is at version 2" in srv.log()
        # broken: the server logs where, and keeps serving the version before
        _write(path, "1.2.0", "three", step_type="no.such-type")
        _until(lambda: "unknown step type 'no.such-type'" in srv.log())
        assert f"{path.resolve()}:5: steps[0].type: unknown step type" in srv.log()
        assert _run(srv)["output"] == "two"
        # a reused label for other content: refused the same way, naming the version
        _write(path, "1.0.0", "four")
        _until(lambda: "version '1.0.0' of 'live' is already version 1" in srv.log())
        assert f"{path.resolve()}:2: version:" in srv.log()
        assert _run(srv)["output"] == "two"
        # fixed: served at once
        _write(path, "1.3.0", "five")
        _until(lambda: _run(srv)["output"] == "five")
        with srv.client() as api:
            versions = api.get("/api/v1/workflows/live/versions").json()
        assert [v["version"] for v in versions["data"]] == ["1.3.0", "1.1.0", "1.0.0"]
    finally:
        srv.stop()


def test_watching_can_be_turned_off(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    path = flows / "live.yaml"
    _write(path, "1.0.0", "one")
    srv = start_server(
        tmp_path / "data",
        workflows=flows,
        env={"OPENPAL_WATCH_WORKFLOWS": "0", "OPENPAL_WATCH_POLL_SECONDS": "0.1"},
    )
    try:
        _write(path, "1.1.0", "two")
        time.sleep(1.0)
        assert _run(srv)["output"] == "one"
    finally:
        srv.stop()


def test_two_servers_watching_one_folder_store_one_version(
    tmp_path: Path, db_url: str | None, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("two servers share a database only on PostgreSQL")
    flows = tmp_path / "flows"
    flows.mkdir()
    path = flows / "live.yaml"
    _write(path, "1.0.0", "one")
    env = {"OPENPAL_WATCH_POLL_SECONDS": "0.1"}
    a = start_server(tmp_path / "a", workflows=flows, database_url=db_url, env=env)
    b = start_server(
        tmp_path / "b", workflows=flows, database_url=db_url, env=env, api_key=a.api_key
    )
    try:
        _write(path, "1.1.0", "two")
        for srv in (a, b):
            _until(lambda srv=srv: _run(srv)["output"] == "two")
            _until(lambda srv=srv: "live is at version 2" in srv.log())
        with a.client() as api:
            versions = api.get("/api/v1/workflows/live/versions").json()
        assert [v["version"] for v in versions["data"]] == ["1.1.0", "1.0.0"]
    finally:
        a.stop()
        b.stop()
