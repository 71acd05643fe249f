"""Server logs: one line per event, JSON with `OPENPAL_LOG_FORMAT=json`, carrying run id,
step, attempt and worker id; a step's own `ctx.logger` lines carry them too; a run's
final failure is logged once, at WARNING."""

from __future__ import annotations

import json

from tests.api.test_runs import wait_terminal
from tests.conftest import start_server


def _start_chatty(api, note: str) -> dict:
    resp = api.post("/api/v1/run/workflows.chatty", json={"note": note})
    assert resp.status_code == 201, resp.text
    return wait_terminal(api, resp.json()["runId"])


def test_json_lines_carry_the_run_step_attempt_and_worker(tmp_path):
    srv = start_server(tmp_path / "data", env={"OPENPAL_LOG_FORMAT": "json"})
    try:
        with srv.client() as api:
            final = _start_chatty(api, "invoice 7")
    finally:
        srv.stop()
    assert final["status"] == "failed"
    run_id = final["id"]
    # every line the server wrote after its banner is one JSON object
    lines = [ln for ln in srv.log_path.read_text().splitlines() if ln.startswith("{")]
    records = [json.loads(ln) for ln in lines]
    assert records, srv.log_path.read_text()
    about = [r for r in records if r.get("run_id") == run_id]
    said = [r for r in about if r["logger"] == "openpal.step"]
    assert [(r["message"], r["step"], r["attempt"]) for r in said] == [
        ("checking invoice 7 (attempt 1)", "check", 1),
        ("checking invoice 7 (attempt 2)", "check", 2),
    ]
    assert all(r["worker_id"] for r in about)
    failed = [r for r in about if r["level"] == "WARNING" and "failed:" in r["message"]]
    assert len(failed) == 1, about
    assert failed[0]["step"] == "check" and failed[0]["attempt"] == 2
    assert "does not add up" in failed[0]["message"]


def test_human_lines_name_the_run_in_brackets(tmp_path):
    srv = start_server(tmp_path / "data")
    try:
        with srv.client() as api:
            final = _start_chatty(api, "invoice 8")
    finally:
        srv.stop()
    text = srv.log_path.read_text()
    line = next(ln for ln in text.splitlines() if "checking invoice 8 (attempt 2)" in ln)
    assert f"[run={final['id']} step=check attempt=2 worker=" in line
    assert " INFO openpal.step" in line
    assert sum(f"run {final['id']} failed:" in ln for ln in text.splitlines()) == 1


def test_an_unknown_log_format_is_refused_at_start(tmp_path):
    try:
        srv = start_server(tmp_path / "data", env={"OPENPAL_LOG_FORMAT": "xml"})
    except RuntimeError as exc:
        assert "OPENPAL_LOG_FORMAT" in str(exc)
    else:
        srv.stop()
        raise AssertionError("a server started with OPENPAL_LOG_FORMAT=xml")
