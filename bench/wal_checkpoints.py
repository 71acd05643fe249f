"""`python -m bench.wal_checkpoints`: small writes' latency beside big ones, with the
WAL checkpointed by the writer's own commits (SQLite's default) or by the checkpointer
thread (openpal's, `store/sqlite_checkpoints.py`).

    python -m bench.wal_checkpoints                  # 4 rounds of 6 s each way, alternated
    python -m bench.wal_checkpoints --seconds 10 --rounds 6

One `SqliteEngine` on a fresh file per round: 8 tasks insert 200-byte rows (2 ms apart)
while one inserts 300 kB rows (50 ms apart), so the log fills quickly and checkpoints
happen often. The "writer" side turns the checkpointer off and gives the writer SQLite's
default `wal_autocheckpoint=1000`. Prints p50/p99/p99.9/max of the small writes per
round, then the medians over rounds (docs/benchmarks.md, "WAL checkpoints").
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from openpal.store.sqlite_engine import SqliteEngine


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def drive(engine: SqliteEngine, seconds: float) -> list[float]:
    """Latencies (ms) of the small writes."""
    await engine.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
    took: list[float] = []
    stop = time.monotonic() + seconds

    async def small() -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            await engine.execute("INSERT INTO t (b) VALUES (?)", b"x" * 200)
            took.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.002)

    async def big() -> None:
        while time.monotonic() < stop:
            await engine.execute("INSERT INTO t (b) VALUES (?)", b"y" * 300_000)
            await asyncio.sleep(0.05)

    await asyncio.gather(*(small() for _ in range(8)), big())
    return took


def one(side: str, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="openpal-wal-") as folder:
        engine = SqliteEngine(Path(folder) / "bench.db")
        if side == "writer":  # SQLite's default: the committing writer checkpoints
            engine.checkpointer.close()
            engine._writer_conn.execute("PRAGMA wal_autocheckpoint=1000")
        took = asyncio.run(drive(engine, seconds))
        engine.close()
    return {
        "writes": len(took),
        "p50": pct(took, 0.5),
        "p99": pct(took, 0.99),
        "p99.9": pct(took, 0.999),
        "max": max(took),
    }


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.wal_checkpoints")
    p.add_argument("--seconds", type=float, default=6.0)
    p.add_argument("--rounds", type=int, default=4)
    args = p.parse_args()
    found: dict[str, list[dict[str, float]]] = {"writer": [], "thread": []}
    for _ in range(args.rounds):
        for side in found:
            r = one(side, args.seconds)
            found[side].append(r)
            print(
                f"{side:7s} writes {r['writes']:6.0f}  p50 {r['p50']:6.2f}  p99 {r['p99']:6.2f}"
                f"  p99.9 {r['p99.9']:6.2f}  max {r['max']:7.2f} ms",
                flush=True,
            )
    print("medians over rounds (ms):")
    for side, rounds in found.items():
        cells = "  ".join(
            f"{k} {statistics.median(r[k] for r in rounds):.2f}"
            for k in ("p50", "p99", "p99.9", "max")
        )
        print(f"  {side:7s} {cells}")


if __name__ == "__main__":
    main()
