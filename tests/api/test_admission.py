"""Admission control (`concurrency: {limit, key, strategy}`) over HTTP, on both backends."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from tests.api.test_runs import wait_terminal


def _start(api, slug, **inp):
    resp = api.post(f"/api/v1/run/workflows.{slug}", json=inp)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_queue_strategy_runs_one_at_a_time_per_key(api):
    acme = [_start(api, "limited", customer="acme")["runId"] for _ in range(3)]
    zen = _start(api, "limited", customer="zen")["runId"]
    finals = {r: wait_terminal(api, r, timeout=30) for r in [*acme, zen]}
    assert {f["status"] for f in finals.values()} == {"completed"}
    spans = sorted((_at(finals[r]["startedAt"]), _at(finals[r]["completedAt"])) for r in acme)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end, spans  # never two acme runs at once
    # another key is not stuck behind acme's queue: zen ran while acme's first was running
    assert _at(finals[zen]["startedAt"]) < spans[0][1]


def test_reject_strategy_refuses_past_the_limit_and_names_it(api):
    first = [_start(api, "limited-reject", customer="acme", seconds=1)["runId"] for _ in range(2)]
    third = _start(api, "limited-reject", customer="acme", seconds=1)
    assert third["status"] == "rejected"
    run = api.get(f"/api/v1/runs/{third['runId']}").json()["run"]
    assert run["status"] == "rejected" and run["completedAt"] is not None
    assert "concurrency limit reached: at most 2" in run["error"] and "'acme'" in run["error"]
    held = api.post(
        "/api/v1/run/workflows.limited-reject",
        params={"wait_for_completion": 30},
        json={"customer": "acme"},
    )
    assert held.status_code == 200 and held.json()["status"] == "rejected"  # at once
    other = _start(api, "limited-reject", customer="zen", seconds=0)
    assert other["status"] == "pending"
    for run_id in first:
        assert wait_terminal(api, run_id, timeout=30)["status"] == "completed"
    again = _start(api, "limited-reject", customer="acme", seconds=0)
    assert again["status"] == "pending"  # slots free again


def test_reject_is_atomic_under_concurrent_starts(api):
    key = f"burst-{time.monotonic_ns()}"
    with ThreadPoolExecutor(8) as pool:
        starts = list(
            pool.map(lambda _: _start(api, "limited-reject", customer=key, seconds=1), range(8))
        )
    statuses = sorted(s["status"] for s in starts)
    assert statuses.count("rejected") == 6, statuses  # exactly the limit got in
