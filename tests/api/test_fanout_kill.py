"""A 200-item fan-out (`max_parallel: 8`) whose server is killed with -9 mid-way resumes,
on a restarted server, without re-running the items that had ended: each item's call is
logged, and the items kept in the database at the kill appear once in that log."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

from tests.conftest import Server, start_server

FANOUT = Path(__file__).resolve().parents[1] / "workflows_fanout"
COUNT = 200


async def _kept_items(data_dir: Path, db_url: str | None, run_id: str) -> set[int]:
    """The indexes of the items the killed server had kept (read from its database)."""
    if db_url is None:
        from openpal.store.sqlite import SqliteStore

        store = SqliteStore(data_dir / "openpal.db")
    else:
        from openpal.store.postgres import PostgresStore

        store = PostgresStore(db_url, pool_size=1)  # type: ignore[assignment]
    await store.open()
    try:
        return {item.item_index for item in await store.list_items(run_id, 1)}
    finally:
        await store.close()


def _starts(log: Path) -> list[int]:
    return [int(line.split()[1]) for line in log.read_text().splitlines() if line]


def _wait_end(srv: Server, run_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    with srv.client() as api:
        while True:
            run = api.get(f"/api/v1/runs/{run_id}", params={"include": "detail"}).json()["run"]
            if run["status"] in ("completed", "failed", "cancelled", "rejected"):
                return run
            assert time.monotonic() < deadline, run
            time.sleep(0.1)


def test_kill_9_mid_fan_out_resumes_only_the_unfinished_items(tmp_path, db_url):
    data, log = tmp_path / "data", tmp_path / "calls.log"
    env = {"OPENPAL_LEASE_SECONDS": "1"}
    srv = start_server(data, workflows=FANOUT, env=env, database_url=db_url)
    with srv.client() as api:
        started = api.post(
            "/api/v1/run/workflows.fan-many",
            json={"count": COUNT, "log": str(log), "delay": 0.1},
        )
        assert started.status_code in (200, 201, 202), started.text
        run_id = started.json()["runId"]
    deadline = time.monotonic() + 30
    while not log.exists() or len(_starts(log)) < 60:  # about a quarter of the items
        assert time.monotonic() < deadline, srv.log()
        time.sleep(0.01)
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    kept = asyncio.run(_kept_items(data, db_url, run_id))
    assert 0 < len(kept) < COUNT, len(kept)  # killed mid-way, with items kept
    srv = start_server(data, workflows=FANOUT, env=env, database_url=db_url)
    try:
        final = _wait_end(srv, run_id, timeout=60)
    finally:
        srv.stop()
    assert final["status"] == "completed", final
    assert final["takeovers"] == 1
    calls = Counter(_starts(log))
    assert set(calls) == set(range(COUNT))
    assert {i: calls[i] for i in kept if calls[i] != 1} == {}  # kept items never ran again
    # items in flight at the kill ran twice at most: once before, once after
    assert max(calls.values()) <= 2
    expected = [{"n": n, "square": n * n} for n in range(COUNT)]
    assert final["output"] == {"results": expected}  # in input order
    each = final["stepExecutions"][1]
    assert (each["status"], each["outputData"]) == ("completed", expected)
