"""`python -m bench`: openpal's benchmark harness (docs/benchmarks.md).

    python -m bench                          # embedded SQLite, full sizes
    python -m bench --backend both --pg-admin-url postgresql://postgres@127.0.0.1:55432/postgres
    python -m bench --quick                  # small sizes (what CI runs, to keep it working)
    python -m bench --json results.json --chart docs/benchmarks.png

Starts openpal as a user would (`openpal serve`; on PostgreSQL an API process and
two `openpal worker`s on a fresh database), drives it over HTTP with openpal's SDK,
and prints a table (with the targets) and a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench import listload, procs, workloads
from bench.report import chart, table

FULL = {"latency": 500, "throughput": 10_000, "steps": 20, "list_rows": 1_000_000, "list": 50}
QUICK = {"latency": 50, "throughput": 500, "steps": 3, "list_rows": 20_000, "list": 10}


async def _pg(admin_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def run_backend(backend: str, sizes: dict[str, int], admin_url: str | None) -> dict[str, Any]:
    url = None
    name = None
    if backend == "postgres":
        if not admin_url:
            raise SystemExit("--backend postgres needs --pg-admin-url (or OPENPAL_TEST_PG_URL)")
        name = "openpal_bench_" + uuid.uuid4().hex[:8]
        asyncio.run(_pg(admin_url, f'CREATE DATABASE "{name}"'))
        url = admin_url.rsplit("/", 1)[0] + "/" + name
    result: dict[str, Any] = {"backend": backend}
    dep = procs.start(backend, database_url=url)
    try:
        base, key = dep.base_url, dep.api_key
        time.sleep(1.0)
        result["memory_idle_mb"] = dep.memory()
        print(f"[{backend}] W-latency …", file=sys.stderr)
        result["latency"] = asyncio.run(workloads.w_latency(base, key, n=sizes["latency"]))
        print(f"[{backend}] W-steps …", file=sys.stderr)
        result["steps"] = asyncio.run(workloads.w_steps(base, key, n=sizes["steps"]))
        print(f"[{backend}] W-cancel …", file=sys.stderr)
        slots = 16 if backend == "sqlite" else 32
        result["cancel"] = asyncio.run(workloads.w_cancel(base, key, n=10, slots=slots))
        print(f"[{backend}] W-throughput …", file=sys.stderr)
        result["throughput"] = asyncio.run(workloads.w_throughput(base, key, n=sizes["throughput"]))
        result["memory_peak_mb"] = dep.memory(peak=True)
        print(f"[{backend}] W-list: loading {sizes['list_rows']:,} runs …", file=sys.stderr)
        if backend == "sqlite":
            listload.load_sqlite(dep.data_dir / "api" / "openpal.db", sizes["list_rows"])
        else:
            assert url is not None
            asyncio.run(listload.load_postgres(url, sizes["list_rows"]))
        result["list"] = asyncio.run(workloads.w_list(base, key, n=sizes["list"], source="noop3"))
        result["list"]["stored_runs"] = sizes["list_rows"]
    finally:
        dep.stop()
        if name is not None and admin_url:
            asyncio.run(_pg(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return result


def main() -> None:
    import os

    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    p.add_argument("--pg-admin-url", default=os.environ.get("OPENPAL_TEST_PG_URL"))
    p.add_argument("--quick", action="store_true", help="small sizes (CI)")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--chart", type=Path, help="draw a PNG chart here (needs matplotlib)")
    p.add_argument(
        "--peers",
        default="",
        help="comma-separated peers to run too: celery (needs redis), dbos (--dbos-python),"
        " prefect (--prefect-python)",
    )
    p.add_argument("--dbos-python", default=os.environ.get("OPENPAL_BENCH_DBOS_PYTHON"))
    p.add_argument("--prefect-python", default=os.environ.get("OPENPAL_BENCH_PREFECT_PYTHON"))
    a = p.parse_args()
    sizes = QUICK if a.quick else FULL
    backends = ["sqlite", "postgres"] if a.backend == "both" else [a.backend]
    results = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "sizes": sizes,
        "backends": [run_backend(b, sizes, a.pg_admin_url) for b in backends],
        "peers": [],
    }
    for peer in filter(None, a.peers.split(",")):
        if peer == "celery":
            from bench.peers import celery_peer

            why = celery_peer.available()
            if why is None:
                print("[celery] W-latency, W-throughput …", file=sys.stderr)
                results["peers"].append(celery_peer.run(sizes))
        elif peer == "dbos":
            from bench.peers import dbos_peer

            why = dbos_peer.available(a.dbos_python)
            if why is None:
                print("[dbos] W-latency, W-throughput …", file=sys.stderr)
                results["peers"].append(dbos_peer.run(sizes, a.dbos_python))
        elif peer == "prefect":
            from bench.peers import prefect_peer

            why = prefect_peer.available(a.prefect_python)
            if why is None:
                print("[prefect] W-latency, W-throughput (capped sizes) …", file=sys.stderr)
                results["peers"].append(prefect_peer.run(sizes, a.prefect_python))
        else:
            raise SystemExit(f"unknown peer {peer!r} (known: celery, dbos, prefect)")
        if why:
            print(f"[{peer}] skipped: {why}", file=sys.stderr)
    print(table(results))
    text = json.dumps(results, indent=2)
    print(text)
    if a.json:
        a.json.write_text(text + "\n")
    if a.chart:
        chart(results, a.chart)


if __name__ == "__main__":
    main()
