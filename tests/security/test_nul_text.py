"""A step error holding a NUL character (which a PostgreSQL text column cannot hold)
keeps its real reason: the NUL is written as the six characters `\\u0000`."""

from __future__ import annotations

import httpx


def test_a_nul_in_a_step_error_keeps_the_reason(api: httpx.Client) -> None:
    resp = api.post(
        "/api/v1/run/fails",
        json={"message": "bad\x00byte in row 7"},
        params={"wait_for_completion": 30},
    )
    assert resp.status_code == 200, resp.text
    run = resp.json()
    assert run["status"] == "failed", run
    assert run["error"] == "step 'boom' failed: ValueError: bad\\u0000byte in row 7"
    detail = api.get(f"/api/v1/runs/{run['runId']}", params={"include": "detail"})
    assert detail.status_code == 200, detail.text
    steps = {s["stepName"]: s for s in detail.json()["run"]["stepExecutions"]}
    assert steps["boom"]["error"] == "ValueError: bad\\u0000byte in row 7", steps["boom"]
    assert detail.json()["run"]["input"] == {"message": "bad\x00byte in row 7"}
    listed = api.get(f"/v1/runs/{run['runId']}/steps")
    assert listed.status_code == 200, listed.text
    boom = next(s for s in listed.json()["steps"] if s.get("name", s.get("stepName")) == "boom")
    full = api.get(f"/v1/runs/{run['runId']}/steps/{boom['id']}")
    assert full.status_code == 200, full.text
    assert "ValueError: bad\\u0000byte in row 7" in full.json()["traceback"]
