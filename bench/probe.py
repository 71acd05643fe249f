"""CPU per run: repeat W-throughput phases in one deployment and say who spent the CPU.

    python -m bench.probe                                  # SQLite, 3 phases of 3,000 runs
    python -m bench.probe --backend postgres --database-url postgresql://…/scratch
    python -m bench.probe --runs 4000 --phases 5
    python -m bench.probe --compare OPENPAL_METRICS=0 --rounds 3   # A/B of a setting

Single runs/s numbers vary a lot on a shared machine; CPU seconds per run, read from
`/proc/<pid>/stat` for each openpal process, for PostgreSQL's backends and for this
load generator, is what to compare between two builds (docs/benchmarks.md).

`--compare KEY=VALUE` measures a setting's cost: `--rounds` times, a deployment as
configured (A) and one with the setting (B), in the order A B, then B A, and so on
(drift of a shared machine falls on both sides alike); then the medians of every
phase of each side, and B's difference from A.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import tempfile
from collections.abc import Iterable
from pathlib import Path

from bench import procs, workloads

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def postgres_pids() -> Iterable[int]:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if "(postgres)" in f.read(64):
                        yield int(entry)
            except OSError:
                continue


def own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def snapshot(dep: procs.Deployment) -> dict[str, float]:
    taken = {name: cpu_seconds(p.pid) for name, p in dep.procs}
    if dep.backend == "postgres":  # backends come and go; sum whatever runs now
        taken["postgres"] = sum(cpu_seconds(pid) for pid in postgres_pids())
    taken["load generator"] = own_cpu()
    return taken


def probe(dep: procs.Deployment, runs: int, phases: int, label: str = "") -> list[dict[str, float]]:
    """`phases` W-throughput phases of `runs` runs: runs/s and CPU ms per run of each process."""
    asyncio.run(workloads.w_latency(dep.base_url, dep.api_key, n=50))  # warm up
    found = []
    marks: dict[str, float] = {}
    for phase in range(1, phases + 1):
        before = snapshot(dep)
        result = asyncio.run(
            workloads.w_throughput(
                dep.base_url, dep.api_key, n=runs, on_drained=lambda: marks.update(snapshot(dep))
            )
        )
        spent = {k: (marks[k] - before[k]) / runs * 1000 for k in before}
        per = ", ".join(f"{k} {v:.3f}" for k, v in spent.items())
        print(
            f"{label}phase {phase}: {result['runs_per_s']} runs/s,"
            f" {result['verified_completed']}/{runs} completed; CPU ms per run: {per}",
            flush=True,
        )
        found.append({"runs/s": float(result["runs_per_s"]), **spent})
    return found


def compare(a: argparse.Namespace, base: dict[str, str], variant: dict[str, str]) -> None:
    """Alternate deployments without and with `variant`; print both sides' medians.

    SQLite: a fresh data folder each time. PostgreSQL: the one database given, so one
    data folder for all (the API key is created once, with the database's first key)."""
    sides: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
    shared = Path(tempfile.mkdtemp(prefix="openpal-probe-")) if a.backend == "postgres" else None
    try:
        for r in range(a.rounds):
            for side in "AB" if r % 2 == 0 else "BA":
                env = base if side == "A" else {**base, **variant}
                dep = procs.start(a.backend, database_url=a.database_url, data_dir=shared, env=env)
                try:
                    sides[side] += probe(dep, a.runs, a.phases, f"round {r + 1} {side} ")
                finally:
                    dep.stop()
    finally:
        if shared is not None:
            shutil.rmtree(shared, ignore_errors=True)
    shown = " ".join(f"{k}={v}" for k, v in variant.items())
    print(f"\nmedians of {len(sides['A'])} phases each; A: as configured, B: with {shown}")
    for key in sides["A"][0]:
        ma = statistics.median(p[key] for p in sides["A"])
        mb = statistics.median(p[key] for p in sides["B"])
        diff = (mb - ma) / ma * 100 if ma else 0.0
        unit = "" if key == "runs/s" else " CPU ms per run"
        print(f"  {key}{unit}: A {ma:.3f}, B {mb:.3f} (B {diff:+.1f} %)")


def _settings(pairs: list[str]) -> dict[str, str]:
    try:
        return dict(pair.split("=", 1) for pair in pairs)
    except ValueError:
        raise SystemExit(f"settings are KEY=VALUE: {pairs}") from None


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.probe", description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--database-url", help="PostgreSQL: a scratch database (used as is)")
    p.add_argument("--runs", type=int, default=3000)
    p.add_argument("--phases", type=int, default=3)
    every = "a setting of every deployment (repeatable)"
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help=every)
    only_b = "the setting of deployment B in an A/B comparison (repeatable)"
    p.add_argument("--compare", action="append", default=[], metavar="KEY=VALUE", help=only_b)
    p.add_argument("--rounds", type=int, default=3, help="--compare: deployments per side")
    a = p.parse_args()
    base = _settings(a.env)
    if a.compare:
        compare(a, base, _settings(a.compare))
        return
    dep = procs.start(a.backend, database_url=a.database_url, env=base)
    try:
        probe(dep, a.runs, a.phases)
    finally:
        dep.stop()


if __name__ == "__main__":
    main()
