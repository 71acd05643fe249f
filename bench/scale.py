"""`python -m bench.scale`: does adding openpal processes add runs per second? (issue 14)

    python -m bench.scale --quick                                   # small sizes (CI, here)
    python -m bench.scale --topologies sqlite,1x1,1x4,2x4,4x8 --json scale.json
    python -m bench.scale --report scale.json --chart scale.png     # render a saved run

Starts its own durable PostgreSQL cluster (fsync and synchronous_commit on,
pg_stat_statements loaded) from `--pg-bin`, then for each topology (`sqlite`: one
`openpal serve`; `AxW`: A `serve --no-worker` + W `openpal worker` on a fresh database)
starts the processes, warms up, and measures: N noop3 runs started without a hold by
several load-generator processes of SDK clients (runs/s, starts/s, start latency, CPU
per run by role, statements per run); then at a fraction of that peak, an open-loop
arrival rate, once held with `wait_for_completion` and once not (held latency, and the
CPU of a held run against an unheld one at the same load). The table goes to stdout,
everything to `--json` (rewritten after every topology, so a cut-short run keeps what
it measured). Numbers from a 2-core machine say little; the 16-core run is what counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import scale_pg, scale_report
from bench.scale_db import PgProbe, Probe, SqliteProbe
from bench.scale_phase import Loaders, Phases, write_tails
from bench.scale_topo import Shape, Topology, parse

FULL = {"runs": 20_000, "loaders": 4, "clients": 32, "warmup": 200, "held_seconds": 10.0,
        "shared_buffers": "1GB"}  # fmt: skip
QUICK = {"runs": 300, "loaders": 2, "clients": 8, "warmup": 50, "held_seconds": 3.0,
         "shared_buffers": "256MB"}  # fmt: skip


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--topologies", default="sqlite,1x1,1x4,2x4,4x8")
    p.add_argument("--runs", type=int, help="runs per topology, started without a hold")
    p.add_argument("--loaders", type=int, help="load-generator processes")
    p.add_argument("--clients", type=int, help="SDK clients per load generator")
    p.add_argument("--slots", type=int, default=32, help="runs at once per worker process")
    p.add_argument("--warmup", type=int, help="runs before measuring (each topology)")
    p.add_argument("--held-fraction", type=float, default=0.5, help="of peak runs/s")
    p.add_argument("--held-seconds", type=float)
    p.add_argument("--no-held", action="store_true", help="skip the open-loop phases")
    p.add_argument("--quick", action="store_true", help="small sizes (smoke test, 2 cores)")
    p.add_argument("--pg-bin", help="PostgreSQL bin folder (initdb, pg_ctl, postgres)")
    p.add_argument("--max-connections", type=int, default=1000)
    p.add_argument("--budget-seconds", type=float, help="measure no topology that would end later")
    p.add_argument("--json", type=Path, help="write every result here (after each topology)")
    p.add_argument("--logs", type=Path, help="append the processes' log tails here")
    p.add_argument("--report", type=Path, help="render a saved --json file; measure nothing")
    p.add_argument("--chart", type=Path, help="with --report: a PNG chart (needs matplotlib)")
    a = p.parse_args(argv)
    for key, value in (QUICK if a.quick else FULL).items():
        if getattr(a, key, None) is None:
            setattr(a, key, value)
    return a


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), ""
            )
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform(terse=True)}  # fmt: skip


async def _pg(url: str, *sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        for statement in sql:
            await conn.execute(statement)
    finally:
        await conn.close()


async def measure(shape: Shape, a: argparse.Namespace, cluster: scale_pg.Cluster | None,
                  root: Path, live: list[Topology]) -> dict[str, Any]:  # fmt: skip
    """Start one topology, run its phases, stop it (also on error)."""
    t0 = time.monotonic()
    db = cluster if shape.postgres else None
    if db is not None:
        await _pg(db.url(), f'CREATE DATABASE "{shape.database}"')
        await _pg(db.url(shape.database), "CREATE EXTENSION pg_stat_statements")
    topo = Topology(shape, root / f"{shape.seq}-{shape.name}", a.slots, db)
    live.append(topo)
    loaders = Loaders(a.loaders, a.clients, topo)
    probe: Probe | None = None
    try:
        await topo.start()
        if db is not None:
            probe = await PgProbe(db.url(shape.database), shape.database).open()
        else:
            probe = SqliteProbe(topo.database_file)
        await loaders.start()
        phases = Phases(topo, probe, loaders, db)
        say(f"[{shape.name}] warm-up {a.warmup} runs, then {a.runs:,} runs without a hold")
        await phases.warmup(a.warmup)
        out: dict[str, Any] = {
            "topology": shape.name,
            "backend": "postgres" if db else "sqlite",
            "apis": shape.apis,
            "workers": shape.workers,
            "slots": a.slots,
        }
        out["unheld"] = unheld = await phases.closed(a.runs)
        say(f"[{shape.name}] {unheld['runs_per_s']:,} runs/s, {unheld['completed']:,} completed")
        if not a.no_held:
            rate = max(1.0, a.held_fraction * unheld["runs_per_s"])
            say(f"[{shape.name}] {rate:,.0f} runs/s for {a.held_seconds:g} s: unheld, then held")
            out["open_unheld"] = await phases.open(rate, a.held_seconds, held=False)
            out["held"] = held = await phases.open(rate, a.held_seconds, held=True)
            cpu_h, cpu_u = held["cpu_ms_per_run"], out["open_unheld"]["cpu_ms_per_run"]
            out["held_cpu_ratio"] = round(cpu_h["openpal"] / max(1e-9, cpu_u["openpal"]), 3)
            if "postgres" in cpu_h:
                total_h = cpu_h["openpal"] + cpu_h["postgres"]
                total_u = cpu_u["openpal"] + cpu_u["postgres"]
                out["held_cpu_ratio_with_postgres"] = round(total_h / max(1e-9, total_u), 3)
            peak = unheld["cpu_ms_per_run"]["openpal"]
            out["held_vs_peak_cpu_ratio"] = round(cpu_h["openpal"] / max(1e-9, peak), 3)
        return out
    finally:
        await loaders.stop()
        if probe is not None:
            await probe.close()
        topo.stop()
        write_tails(a.logs, topo.log_tails() + loaders.log_tails())
        if db is not None:
            await _pg(db.url(), f'DROP DATABASE IF EXISTS "{shape.database}" WITH (FORCE)')
        say(f"[{shape.name}] done in {time.monotonic() - t0:.0f} s")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def save(results: dict[str, Any], path: Path | None) -> None:
    if path is not None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(results, indent=1))
        tmp.replace(path)


async def run(a: argparse.Namespace) -> dict[str, Any]:
    specs = [s for s in a.topologies.split(",") if s.strip()]
    shapes = [parse(s, i) for i, s in enumerate(specs)]
    keys = ("runs", "loaders", "clients", "slots", "warmup", "held_fraction", "held_seconds")
    settings = {k: getattr(a, k) for k in (*keys, "no_held")}
    results: dict[str, Any] = {"machine": machine(), "settings": settings, "topologies": []}
    cluster = None
    live: list[Topology] = []
    root = Path(tempfile.mkdtemp(prefix="openpal-scale-"))
    started = time.monotonic()
    try:
        if any(s.postgres for s in shapes):
            bin_dir = scale_pg.find_bin(a.pg_bin)
            if bin_dir is None:
                raise SystemExit("no PostgreSQL binaries: pass --pg-bin (initdb, pg_ctl, …)")
            cluster = scale_pg.Cluster(bin_dir, shared_buffers=a.shared_buffers,
                                       max_connections=a.max_connections)  # fmt: skip
            say(f"PostgreSQL from {bin_dir} on port {cluster.port} …")
            cluster.start()
            probe = await PgProbe(cluster.url(), "postgres").open()
            results["machine"]["postgres"] = await probe.settings(
                "server_version", "fsync", "synchronous_commit", "full_page_writes",
                "shared_buffers", "max_connections", "wal_sync_method")  # fmt: skip
            results["machine"]["postgres"]["bin"] = str(bin_dir)
            await probe.close()
        spent: list[float] = []
        for i, shape in enumerate(shapes):
            elapsed = time.monotonic() - started
            if a.budget_seconds and spent and elapsed + max(spent) * 1.15 > a.budget_seconds:
                results["skipped"] = [s.name for s in shapes[i:]]
                results["skip_reason"] = (
                    f"budget: {elapsed:.0f} s of {a.budget_seconds:.0f} s spent,"
                    f" the slowest topology took {max(spent):.0f} s"
                )
                say(f"skipping {', '.join(results['skipped'])}: {results['skip_reason']}")
                break
            t0 = time.monotonic()
            try:
                measured = await measure(shape, a, cluster, root, live)
            except Exception as exc:  # one topology's failure: say so, measure the next
                say(f"[{shape.name}] failed: {type(exc).__name__}: {exc}")
                failure = {"topology": shape.name, "error": f"{type(exc).__name__}: {exc}"[:4000]}
                results.setdefault("failed", []).append(failure)
                save(results, a.json)
                continue
            spent.append(time.monotonic() - t0)
            measured["seconds"] = round(spent[-1], 1)
            results["topologies"].append(measured)
            save(results, a.json)
    finally:
        for topo in live:
            topo.stop()
        if cluster is not None:
            write_tails(a.logs, f"--- postgresql\n{cluster.log_tail()}\n")
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    results["seconds"] = round(time.monotonic() - started, 1)
    save(results, a.json)
    return results


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> None:
    a = arguments(argv)
    if a.report:
        results = json.loads(a.report.read_text())
        print(scale_report.table(results))
        if a.chart:
            scale_report.chart(results, a.chart)
        return
    signal.signal(signal.SIGTERM, _terminate)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # thousands of sockets, inherited
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    try:
        results = asyncio.run(run(a))
    except KeyboardInterrupt as exc:
        say(f"stopped ({exc or 'Ctrl-C'}); {a.json or 'nothing'} holds the topologies measured")
        raise SystemExit(130) from None
    print(scale_report.table(results), flush=True)
    bad = [t["topology"] for t in results["topologies"] if scale_report.problems(t)]
    bad += [f["topology"] for f in results.get("failed", [])]
    if bad:
        raise SystemExit(f"failed, or runs not all completed, in: {', '.join(bad)}")


if __name__ == "__main__":
    main()
