"""More worker processes than this machine has cores, on one PostgreSQL database.

`max(3, cores + 1)` `openpal worker` processes with two slots each, behind two API
processes (`serve --no-worker`): the workers compete for every run, are descheduled in
the middle of claims and checkpoints, and still

- run every one of 400 runs to completion on its first attempt, every step exactly
  once (each execution appends a line to a tally file, whichever process ran it),
  with the work spread over more than one worker process;
- answer a request held with `wait_for_completion` on each API process with the
  completed run.

Correctness only: how fast this goes is measured by `python -m bench.scale`.
"""

from __future__ import annotations

import collections
import itertools
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import Server, Worker, start_server, start_worker
from tests.pg import fresh_database

RUNS = 400
WORKERS = max(3, (os.cpu_count() or 1) + 1)
TERMINAL = ("completed", "failed", "cancelled", "rejected")


@pytest.fixture(scope="module")
def crowd(tmp_path_factory):
    data = tmp_path_factory.mktemp("crowd")
    tally = data / "tally.txt"
    env = {"OPENPAL_TEST_TALLY": str(tally)}
    with fresh_database() as url:
        procs: list[Server | Worker] = []
        try:
            first = start_server(data / "a", args=("--no-worker",), env=env, database_url=url)
            procs.append(first)
            second = start_server(data / "b", args=("--no-worker",), env=env, database_url=url,
                                  api_key=first.api_key)  # fmt: skip
            procs.append(second)
            workers = [
                start_worker(
                    data / f"w{i}",
                    database_url=url,
                    args=("--concurrency", "2"),
                    env=env,
                    name=f"worker{i}",
                )
                for i in range(WORKERS)
            ]
            procs += workers
            yield [first, second], workers, tally
        finally:
            for p in procs:
                p.stop()


def _wait_terminal(client, run_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"/api/v1/runs/{run_id}", params={"include": "detail"}).json()["run"]
        if run["status"] in TERMINAL:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.05)


def test_more_workers_than_cores_run_each_step_exactly_once(crowd):
    apis, workers, tally = crowd
    assert len(workers) > (os.cpu_count() or 1)
    clients = [api.client() for api in apis]
    try:
        targets = itertools.cycle(clients)

        def start(i: int) -> str:
            resp = next(targets).post("/api/v1/run/workflows.tally", json={"n": i})
            assert resp.status_code == 201, resp.text
            return str(resp.json()["runId"])

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(start, range(RUNS)))
            finals = list(pool.map(lambda r: _wait_terminal(clients[1], r), ids))
    finally:
        for c in clients:
            c.close()

    assert len(set(ids)) == RUNS
    assert collections.Counter(r["status"] for r in finals) == {"completed": RUNS}
    assert all(r["attempt"] == 1 and r["takeovers"] == 0 for r in finals)  # claimed once
    mine = set(ids)
    lines = [ln.split() for ln in tally.read_text().splitlines()]
    lines = [ln for ln in lines if ln[0] in mine]
    ran = collections.Counter((run, step) for run, step, _ in lines)
    assert set(ran) == {(r, s) for r in ids for s in "abc"}  # every step of every run ran…
    assert set(ran.values()) == {1}  # …exactly once
    pids = {pid for _, _, pid in lines}
    assert pids <= {str(w.proc.pid) for w in workers}
    assert len(pids) > 1, "one worker process did everything"


def test_a_held_request_on_each_api_returns_the_completed_run(crowd):
    apis, workers, _ = crowd
    worker_pids = {w.proc.pid for w in workers}
    for n, api in enumerate(apis):
        with api.client() as client:
            resp = client.post(
                "/api/v1/run/workflows.tally",
                params={"wait_for_completion": 30},
                json={"n": 10_000 + n},
            )
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["status"] == "completed", body
        assert set(body["output"]["pids"]) <= worker_pids, body["output"]
