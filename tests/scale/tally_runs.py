"""Runs of the `tally` workflow through several API processes, and what the tally file
says about them (each step execution appends `run step pid`, whichever worker ran it)."""

from __future__ import annotations

import collections
import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TERMINAL = ("completed", "failed", "cancelled", "rejected")


def wait_terminal(client, run_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"/api/v1/runs/{run_id}", params={"include": "detail"}).json()["run"]
        if run["status"] in TERMINAL:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.05)


def start_and_wait(apis, runs: int) -> tuple[list[str], list[dict]]:
    """Start `runs` tally runs round robin over `apis` from 8 threads; wait for each to end.
    The run ids and the runs as they ended."""
    clients = [api.client() for api in apis]
    try:
        targets = itertools.cycle(clients)

        def start(i: int) -> str:
            resp = next(targets).post("/api/v1/run/workflows.tally", json={"n": i})
            assert resp.status_code == 201, resp.text
            return str(resp.json()["runId"])

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(start, range(runs)))
            finals = list(pool.map(lambda r: wait_terminal(clients[-1], r), ids))
    finally:
        for c in clients:
            c.close()
    return ids, finals


def executions(tally: Path, ids: list[str]) -> tuple[collections.Counter, set[str]]:
    """How often each (run, step) of `ids` ran, and the worker pids that ran them."""
    mine = set(ids)
    lines = [ln.split() for ln in tally.read_text().splitlines()]
    lines = [ln for ln in lines if ln[0] in mine]
    return collections.Counter((run, step) for run, step, _ in lines), {p for *_, p in lines}
