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
import os

import pytest

from tests.conftest import Server, Worker, start_server, start_worker
from tests.pg import fresh_database
from tests.scale.tally_runs import executions, start_and_wait

RUNS = 400
WORKERS = max(3, (os.cpu_count() or 1) + 1)


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


def test_more_workers_than_cores_run_each_step_exactly_once(crowd):
    apis, workers, tally = crowd
    assert len(workers) > (os.cpu_count() or 1)
    ids, finals = start_and_wait(apis, RUNS)
    assert len(set(ids)) == RUNS
    assert collections.Counter(r["status"] for r in finals) == {"completed": RUNS}
    assert all(r["attempt"] == 1 and r["takeovers"] == 0 for r in finals)  # claimed once
    ran, pids = executions(tally, ids)
    assert set(ran) == {(r, s) for r in ids for s in "abc"}  # every step of every run ran…
    assert set(ran.values()) == {1}  # …exactly once
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
