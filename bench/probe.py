"""CPU per run: repeat W-throughput phases in one deployment and say who spent the CPU.

    python -m bench.probe                                  # SQLite, 3 phases of 3,000 runs
    python -m bench.probe --backend postgres --database-url postgresql://…/scratch
    python -m bench.probe --runs 4000 --phases 5

Single runs/s numbers vary a lot on a shared machine; CPU seconds per run, read from
`/proc/<pid>/stat` for each openpal process, for PostgreSQL's backends and for this
load generator, is what to compare between two builds (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
from collections.abc import Iterable

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


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.probe", description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--database-url", help="PostgreSQL: a scratch database (used as is)")
    p.add_argument("--runs", type=int, default=3000)
    p.add_argument("--phases", type=int, default=3)
    a = p.parse_args()
    dep = procs.start(a.backend, database_url=a.database_url)
    try:
        asyncio.run(workloads.w_latency(dep.base_url, dep.api_key, n=50))  # warm up
        marks: dict[str, float] = {}
        for phase in range(1, a.phases + 1):
            before = snapshot(dep)
            result = asyncio.run(
                workloads.w_throughput(
                    dep.base_url,
                    dep.api_key,
                    n=a.runs,
                    on_drained=lambda: marks.update(snapshot(dep)),
                )
            )
            spent = {k: (marks[k] - before[k]) / a.runs * 1000 for k in before}
            per = ", ".join(f"{k} {v:.3f}" for k, v in spent.items())
            print(
                f"phase {phase}: {result['runs_per_s']} runs/s,"
                f" {result['verified_completed']}/{a.runs} completed; CPU ms per run: {per}",
                flush=True,
            )
    finally:
        dep.stop()


if __name__ == "__main__":
    main()
