"""`python -m bench.fanout`: what a `forEach` item costs (docs/benchmarks.md).

    python -m bench.fanout                       # embedded SQLite, 2,000 items
    python -m bench.fanout --items 500 --pg-url postgresql://postgres@127.0.0.1:55432/db

One run of a workflow whose second step fans out over N elements (`transform.set`, so
the step's own work is nothing), executed in-process by the real executor on a real
store: each item is rendered, run, and kept in `step_items` (one fenced write each) before
the step's checkpoint. Prints the run's wall time, items/s and ms per item, against
`max_parallel` 1, 8 and 32.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from openpal.blobs.local import LocalBlobStore
from openpal.service.catalog import Catalog
from openpal.service.notify import Hub
from openpal.service.runs import RunService
from openpal.worker.executor import RunExecutor

FLOW = """name: fan-bench-{width}
inputs:
  - {{name: count, type: integer}}
steps:
  - name: split
    type: python
    with: {{function: "fan_bench_steps:numbers", args: {{count: "{{{{ input.count }}}}"}}}}
  - name: each
    type: transform.set
    forEach: "{{{{ steps.split.output.items }}}}"
    max_parallel: {width}
    with: {{n: "{{{{ item }}}}", at: "{{{{ item_index }}}}"}}
"""
STEPS = "def numbers(count):\n    return {'items': list(range(count))}\n"
WIDTHS = (1, 8, 32)


async def _store(folder: Path, pg_url: str | None) -> Any:
    if pg_url is None:
        from openpal.store.sqlite import SqliteStore

        return SqliteStore(folder / "openpal.db")
    from openpal.store.postgres import PostgresStore

    return PostgresStore(pg_url, pool_size=4)


async def measure(items: int, pg_url: str | None) -> list[tuple[int, float]]:
    """(max_parallel, seconds) of one run per width."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        flows = folder / "flows"
        flows.mkdir()
        (flows / "fan_bench_steps.py").write_text(STEPS)
        for width in WIDTHS:
            (flows / f"fan-bench-{width}.yaml").write_text(FLOW.format(width=width))
        store = await _store(folder, pg_url)
        await store.open()
        try:
            catalog = Catalog(store)
            await catalog.load([flows], examples=False)
            hub = Hub()
            runs = RunService(store, catalog, hub)
            executor = RunExecutor(store, catalog, LocalBlobStore(folder / "blobs"), hub,
                                   lease_seconds=30)  # fmt: skip
            out = []
            for width in WIDTHS:
                run = await runs.start("default", f"workflows.fan-bench-{width}", {"count": items})
                (claim,) = await store.claim_runs("bench", 1, 30, time.time_ns() // 1000)
                began = time.perf_counter()
                await executor.execute(claim)
                took = time.perf_counter() - began
                done = await store.get_run("default", run.id)
                assert done is not None and done.status.value == "completed", done
                out.append((width, took))
            return out
        finally:
            await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--pg-url", default=None, help="a PostgreSQL database (else SQLite)")
    args = parser.parse_args()
    results = asyncio.run(measure(args.items, args.pg_url))
    backend = "postgres" if args.pg_url else "sqlite"
    print(f"{args.items} items of transform.set, {backend}")
    print("max_parallel | run seconds | items/s | ms per item")
    for width, took in results:
        per_item = took * 1000 / args.items
        print(f"{width:>12} | {took:>11.2f} | {args.items / took:>7.0f} | {per_item:.2f}")


if __name__ == "__main__":
    main()
