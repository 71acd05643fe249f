"""`python -m bench.hostile`: normal runs' latency with and without hostile load.

    python -m bench.hostile                             # SQLite, about 2 minutes
    python -m bench.hostile --db-url postgresql://postgres@127.0.0.1:55432/postgres
    python -m bench.hostile --seconds 30 --rounds 3 --json hostile.json

Starts openpal as `python -m bench` does (the per-address connection cap left on),
then alternates quiet and hostile phases of `--seconds` each, `--rounds` times. In
every phase the same normal traffic runs: `--clients` clients start `noop3` runs at
`--rate` runs/s in all and hold each until it ends (trigger → output is the latency),
one `slow-count` run spans the phase (its lease must hold), and `/healthz` is polled.
In hostile phases `bench.hostile_attacks` attacks from other loopback addresses at the
same time (oversized and deeply nested bodies, backtracking patterns, PDF bombs, slow
clients, a connection flood); its runs are drained before the next phase. At the end
every normal run is read back: it must have completed with attempt 1 and no takeover.
Prints a table and the results as JSON (docs/benchmarks.md, "Hostile load").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import procs
from bench.hostile_attacks import ATTACKS
from bench.peers.peer_summary import pct
from bench.probe import cpu_seconds
from bench.workloads import TERMINAL, client, ms

# Timeouts short enough that slow clients are answered within a phase; a short lease,
# so that a stall of a few seconds would show as a takeover. Both documented.
SERVER_ENV = {
    "OPENPAL_MAX_CONNECTIONS_PER_CLIENT": "64",  # the default: the flood must meet it
    "OPENPAL_HEADER_TIMEOUT_SECONDS": "5",
    "OPENPAL_BODY_TIMEOUT_SECONDS": "5",
}


async def _normal(base: str, key: str, until: float, rate: float, clients: int) -> dict[str, Any]:
    """`clients` paced clients of noop3 until `until`: latencies, run ids, failures."""
    times: list[float] = []
    ids: list[str] = []
    failures: Counter[str] = Counter()

    async def one(offset: float) -> None:
        interval = clients / rate
        next_at = time.monotonic() + offset
        async with client(base, key) as c:
            while (now := time.monotonic()) < until:
                await asyncio.sleep(max(0.0, next_at - now))
                next_at += interval
                t0 = time.perf_counter()
                try:
                    run = await c.run("workflows.noop3", {"i": len(times)}, wait_for_completion=30)
                except Exception as exc:  # a start that failed is a run lost
                    failures[type(exc).__name__] += 1
                    continue
                times.append(time.perf_counter() - t0)
                ids.append(run.run_id)
                if run.status != "completed":
                    failures[f"status {run.status}"] += 1

    await asyncio.gather(*(one(i / rate) for i in range(clients)))
    return {"times": times, "ids": ids, "failures": failures}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for children: the attackers
    return r.ru_utime + r.ru_stime


async def _healthz(base: str, until: float) -> list[float]:
    took = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        while time.monotonic() < until:
            t0 = time.perf_counter()
            await c.get("/healthz")
            took.append(time.perf_counter() - t0)
            await asyncio.sleep(0.05)
    return took


async def _attacker(base: str, key: str, a: argparse.Namespace) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "nice", "-n", str(a.attacker_nice), sys.executable, "-m", "bench.hostile_attacks",
        "--base-url", base, "--key", key, "--seconds", str(a.seconds), "--attacks", a.attacks,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _drain(base: str, key: str, run_ids: list[str], timeout: float = 120) -> dict[str, int]:
    """Wait until every run of `run_ids` has ended; their final statuses, counted."""
    found: Counter[str] = Counter()
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as c:
        for run_id in run_ids:
            while True:
                run = (await c.get(f"/api/v1/runs/{run_id}")).json()["run"]
                if run["status"] in TERMINAL or time.monotonic() > deadline:
                    found[run["status"]] += 1
                    break
                await asyncio.sleep(0.1)
    return dict(sorted(found.items()))


async def _phase(
    base: str, key: str, hostile: bool, a: argparse.Namespace, cpu: Callable[[], float]
) -> dict[str, Any]:
    attacker = None
    if hostile:
        children_before = _children_cpu()
        attacker = await _attacker(base, key, a)
        assert attacker.stdout is not None
        await attacker.stdout.readline()  # "attacking": it has started
    async with client(base, key) as c:
        spanning = (await c.run("workflows.slow-count", {"seconds": a.seconds / 3})).run_id
    until = time.monotonic() + a.seconds
    cpu_before = cpu()
    normal, health = await asyncio.gather(
        _normal(base, key, until, a.rate, a.clients), _healthz(base, until)
    )
    phase: dict[str, Any] = {"hostile": hostile, **normal, "healthz": health, "cpu": cpu()}
    phase["cpu"] -= cpu_before
    phase["ids"].append(spanning)
    if attacker is not None:
        assert attacker.stdout is not None
        out = json.loads((await attacker.stdout.read()).decode())
        await attacker.wait()
        phase["attacker_cpu"] = _children_cpu() - children_before
        phase["answers"] = out["answers"]
        phase["hostile_runs"] = {
            kind: await _drain(base, key, ids) for kind, ids in out["runs"].items()
        }
    await _drain(base, key, [spanning])
    return phase


async def _verify(base: str, key: str, run_ids: list[str]) -> dict[str, int]:
    """Read every normal run back: lost (not completed), retried (attempt > 1), taken over."""
    sem = asyncio.Semaphore(16)
    counts: Counter[str] = Counter()
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as c:

        async def check(run_id: str) -> None:
            async with sem:
                resp = await c.get(f"/api/v1/runs/{run_id}", params={"include": "detail"})
            run = resp.json()["run"] if resp.status_code == 200 else {}
            counts["lost"] += run.get("status") != "completed"
            counts["retried"] += run.get("attempt", 1) != 1
            counts["taken_over"] += run.get("takeovers", 0) != 0

        await asyncio.gather(*(check(r) for r in run_ids))
    return {k: counts[k] for k in ("lost", "retried", "taken_over")}


def _latency(times: list[float]) -> dict[str, float]:
    if not times:
        return {"runs": 0}
    return {"runs": len(times), **{f"p{p}_ms": ms(pct(times, p)) for p in (50, 95, 99)}}


async def drive(
    base: str, key: str, a: argparse.Namespace, cpu: Callable[[], float]
) -> dict[str, Any]:
    """The phases, summed up; `cpu()` reads the CPU seconds the server processes used."""
    async with client(base, key) as c:  # warm up
        for i in range(20):
            await c.run("workflows.noop3", {"i": i}, wait_for_completion=30)
    phases = []
    for round_ in range(a.rounds):
        for hostile in (False, True):
            print(f"round {round_ + 1}: {'hostile' if hostile else 'quiet'} …", file=sys.stderr)
            phases.append(await _phase(base, key, hostile, a, cpu))
    result: dict[str, Any] = {}
    for name, hostile in (("quiet", False), ("hostile", True)):
        mine = [p for p in phases if p["hostile"] == hostile]
        failures: Counter[str] = sum((p["failures"] for p in mine), Counter())
        result[name] = {
            **_latency([t for p in mine for t in p["times"]]),
            "per_round_p99_ms": [_latency(p["times"]).get("p99_ms") for p in mine],
            "failed_starts": dict(failures),
            "healthz_max_ms": ms(max(t for p in mine for t in p["healthz"])),
            "healthz_p99_ms": ms(pct([t for p in mine for t in p["healthz"]], 99)),
            "server_cpu_share": round(sum(p["cpu"] for p in mine) / (a.seconds * len(mine)), 2),
            "attacker_cpu_share": round(
                sum(p.get("attacker_cpu", 0) for p in mine) / (a.seconds * len(mine)), 2
            ),
        }
    quiet, hostile_ = result["quiet"], result["hostile"]
    result["p99_ratio"] = round(hostile_["p99_ms"] / quiet["p99_ms"], 2)
    result["p50_ratio"] = round(hostile_["p50_ms"] / quiet["p50_ms"], 2)
    answers: dict[str, Counter[str]] = {}
    hostile_runs: dict[str, Counter[str]] = {}
    for p in phases:
        for kind, got in p.get("answers", {}).items():
            answers.setdefault(kind, Counter()).update(got)
        for kind, got in p.get("hostile_runs", {}).items():
            hostile_runs.setdefault(kind, Counter()).update(got)
    result["hostile_answers"] = {k: dict(sorted(v.items())) for k, v in sorted(answers.items())}
    result["hostile_runs"] = {k: dict(sorted(v.items())) for k, v in sorted(hostile_runs.items())}
    all_ids = [r for p in phases for r in p["ids"]]
    result["normal_runs"] = {"checked": len(all_ids), **await _verify(base, key, all_ids)}
    return result


def table(r: dict[str, Any]) -> str:
    q, h = r["quiet"], r["hostile"]
    lines = [
        f"Hostile load ({r['backend']}): normal noop3 runs, trigger → output",
        "| | quiet | hostile | ratio |",
        "| --- | --- | --- | --- |",
        f"| runs measured | {q['runs']} | {h['runs']} | |",
    ]
    for p in ("p50", "p95", "p99"):
        ratio = h[f"{p}_ms"] / q[f"{p}_ms"]
        lines.append(f"| {p} (ms) | {q[f'{p}_ms']:g} | {h[f'{p}_ms']:g} | x{ratio:.2f} |")
    lines.append(f"| p99 per round (ms) | {q['per_round_p99_ms']} | {h['per_round_p99_ms']} | |")
    lines.append(f"| /healthz max (ms) | {q['healthz_max_ms']:g} | {h['healthz_max_ms']:g} | |")
    share = f"| server CPU (cores busy) | {q['server_cpu_share']:g} | {h['server_cpu_share']:g} |"
    lines.append(share + f" x{h['server_cpu_share'] / max(q['server_cpu_share'], 0.01):.2f} |")
    lines.append(f"| attacker CPU (cores busy) | | {h['attacker_cpu_share']:g} | |")
    n = r["normal_runs"]
    lines.append("")
    lines.append(
        f"normal runs read back: {n['checked']}; lost {n['lost']}, attempt > 1 {n['retried']},"
        f" taken over {n['taken_over']}; failed starts {q['failed_starts'] or 0}"
        f" quiet, {h['failed_starts'] or 0} hostile"
    )
    lines.append("hostile requests, by answer:")
    for kind, got in r["hostile_answers"].items():
        lines.append(f"  {kind}: " + ", ".join(f"{k} x{v}" for k, v in got.items()))
    lines.append("hostile runs, by final status:")
    for kind, got in r["hostile_runs"].items():
        if got:
            lines.append(f"  {kind}: " + ", ".join(f"{k} x{v}" for k, v in got.items()))
    return "\n".join(lines)


async def _pg(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    import os

    p = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__.split("\n")[0])
    p.add_argument("--db-url", help="a PostgreSQL server; a scratch database is made there")
    p.add_argument("--seconds", type=float, default=12.0, help="length of one phase")
    p.add_argument("--rounds", type=int, default=2, help="quiet + hostile phase pairs")
    p.add_argument("--clients", type=int, default=4, help="normal clients")
    p.add_argument("--rate", type=float, default=40.0, help="normal runs/s, all clients")
    p.add_argument("--lease-seconds", type=float, default=5.0)
    p.add_argument("--attacks", default=",".join(ATTACKS), help="comma-separated subset")
    p.add_argument(
        "--attacker-nice",
        type=int,
        default=10,
        help="niceness of the attacking process (on one machine it would take the server's CPU)",
    )
    p.add_argument("--json", type=Path, help="also write the results here")
    a = p.parse_args()
    backend = "postgres" if a.db_url else "sqlite"
    url = name = None
    if a.db_url:
        name = "openpal_hostile_" + uuid.uuid4().hex[:8]
        asyncio.run(_pg(a.db_url, f'CREATE DATABASE "{name}"'))
        url = a.db_url.rsplit("/", 1)[0] + "/" + name
    env = {**SERVER_ENV, "OPENPAL_LEASE_SECONDS": str(a.lease_seconds)}
    dep = procs.start(backend, database_url=url, env=env)
    try:
        pids = [proc.pid for _, proc in dep.procs]
        cpu = lambda: sum(map(cpu_seconds, pids))  # noqa: E731
        result = {"backend": backend, **asyncio.run(drive(dep.base_url, dep.api_key, a, cpu))}
        result["memory_peak_mb"] = dep.memory(peak=True)
    finally:
        dep.stop()
        if name is not None:
            asyncio.run(_pg(a.db_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    result["settings"] = {
        **{k: v for k, v in vars(a).items() if k not in ("db_url", "json")},
        "server_env": env,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    print(table(result))
    text = json.dumps(result, indent=2)
    print(text)
    if a.json:
        a.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
