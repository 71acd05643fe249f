"""The measured phases of one topology, and the CPU spent in each by role.

A phase starts on one wall-clock time shared by every load-generator process and ends
when the database holds no unfinished run. CPU counters (each openpal process,
PostgreSQL's postmaster and children less the harness's own backend, the load
generators) are read at both ends; statement counts are reset at the start and read at
the end. Phases:

- `closed`: N runs started without a hold, as fast as the clients can: peak runs/s;
- `open`: a fixed arrival rate for S seconds, held (`wait_for_completion`) or not, so
  a held run's CPU is compared with an unheld one's at the same load.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.peers.peer_summary import pct
from bench.scale_db import Probe
from bench.scale_pg import Cluster, cpu_seconds
from bench.scale_topo import Topology, tail

WORKFLOW = "workflows.noop3"


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


async def _until(at: float) -> None:
    await asyncio.sleep(max(0.0, at - time.time()))


class Loaders:
    """The load-generator processes (`python -m bench.scale_load`) of one topology."""

    def __init__(self, count: int, clients: int, topo: Topology) -> None:
        self.count, self.clients, self.topo = count, clients, topo
        self.procs: list[asyncio.subprocess.Process] = []

    async def start(self) -> None:
        env = {**os.environ, "SCALE_API_KEY": self.topo.api_key, "PYTHONUNBUFFERED": "1"}
        for i in range(self.count):
            with (self.topo.root / f"loader{i}.log").open("wb") as log:
                self.procs.append(await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bench.scale_load", "--index", str(i),
                    "--clients", str(self.clients), "--workflow", WORKFLOW,
                    "--bases", ",".join(self.topo.base_urls),
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                    stderr=log, env=env, limit=2**27,
                ))  # fmt: skip
        for line in await asyncio.gather(*(self._line(p) for p in self.procs)):
            assert line.get("ready"), line

    async def _line(self, p: asyncio.subprocess.Process) -> dict[str, Any]:
        assert p.stdout is not None
        line = await p.stdout.readline()
        if not line:
            i = self.procs.index(p)
            log = (self.topo.root / f"loader{i}.log").read_text(errors="replace")
            raise RuntimeError(f"load generator {i} exited:\n{log[-3000:]}")
        return dict(json.loads(line))

    async def ask(self, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for p, cmd in zip(self.procs, commands, strict=True):
            assert p.stdin is not None
            p.stdin.write(json.dumps(cmd).encode() + b"\n")
            await p.stdin.drain()
        return list(await asyncio.gather(*(self._line(p) for p in self.procs)))

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.procs)

    def log_tails(self) -> str:
        """What the load generators wrote to stderr, when anything."""
        out = ""
        for i in range(len(self.procs)):
            text = tail(self.topo.root / f"loader{i}.log")
            if text.strip():
                out += f"--- loader{i} ({self.topo.shape.name})\n{text}\n"
        return out

    async def stop(self) -> None:
        for p in self.procs:
            if p.returncode is None and p.stdin is not None:
                p.stdin.write(b'{"op": "quit"}\n')
        for p in self.procs:
            try:
                await asyncio.wait_for(p.wait(), 15)
            except TimeoutError:
                p.kill()
                await p.wait()


class Phases:
    """Drives one running topology through its phases."""

    def __init__(
        self, topo: Topology, probe: Probe, loaders: Loaders, cluster: Cluster | None
    ) -> None:
        self.topo, self.probe, self.loaders, self.cluster = topo, probe, loaders, cluster

    def snapshot(self) -> dict[str, float]:
        taken = self.topo.cpu()
        if self.cluster is not None:
            taken["postgres"] = self.cluster.cpu_seconds() - self.probe.own_cpu()
        taken["loaders"] = self.loaders.cpu()
        return taken

    def per_run(
        self, before: dict[str, float], after: dict[str, float], runs: int
    ) -> dict[str, dict[str, float]]:
        """CPU milliseconds per run: by role, `openpal` (API + workers), each process."""
        roles: dict[str, float] = collections.defaultdict(float)
        each = {}
        for name, start in before.items():
            spent = after[name] - start
            if name in ("postgres", "loaders"):
                roles[name] += spent
            else:
                roles[self.topo.role_of(name)] += spent
                each[name] = round(spent / runs * 1000, 4)
        if self.topo.shape.postgres:
            roles["openpal"] = roles["api"] + roles["workers"]
        by_role = {r: round(v / runs * 1000, 4) for r, v in roles.items()}
        return {"cpu_ms_per_run": by_role, "cpu_ms_per_run_by_process": each}

    def _split(self, n: int) -> list[int]:
        k = self.loaders.count
        return [n // k + (1 if i < n % k else 0) for i in range(k)]

    async def warmup(self, n: int) -> None:
        at = time.time() + 0.1
        await self.loaders.ask([{"op": "closed", "n": s, "at": at} for s in self._split(n)])
        await self.probe.wait_drained()

    async def _window(self, commands: list[dict[str, Any]], at: float) -> dict[str, Any]:
        """Send the commands, read the counters at `at` and when all runs have ended."""
        self.topo.check_alive()
        asked = asyncio.create_task(self.loaders.ask(commands))
        await _until(at - 0.1)
        await self.probe.reset_statements()
        await _until(at)
        before = self.snapshot()
        replies = await asked
        done = await self.probe.wait_drained()
        after = self.snapshot()
        ids = [i for r in replies for i in r["ids"]]
        errors: collections.Counter[str] = collections.Counter()
        for r in replies:
            errors.update(r["errors"])
        out: dict[str, Any] = {
            "runs": len(ids),
            "seconds": round(done - at, 3),
            "runs_per_s": round(len(ids) / (done - at), 1),
            **self.per_run(before, after, max(1, len(ids))),
        }
        stmts = await self.probe.statements(max(1, len(ids)))
        if stmts is not None:
            out.update(stmts)
        statuses = await self.probe.statuses(ids)
        out["completed"] = statuses.get("completed", 0)
        out["statuses"] = statuses
        out["errors"] = dict(errors)
        out["_replies"] = replies
        await asyncio.sleep(0.3)  # let the last events settle before the next phase
        return out

    async def closed(self, n: int) -> dict[str, Any]:
        """N runs started without a hold by every client at once, as fast as answered."""
        at = time.time() + 0.5
        out = await self._window([{"op": "closed", "n": s, "at": at} for s in self._split(n)], at)
        replies = out.pop("_replies")
        lat = [x for r in replies for x in r["lat"]] or [0.0]
        accepted = max(r["last"] for r in replies) - at
        out.update(
            starts_per_s=round(out["runs"] / accepted, 1),
            start_p50_ms=ms(pct(lat, 50)),
            start_p99_ms=ms(pct(lat, 99)),
        )
        return out

    async def open(self, rate: float, seconds: float, *, held: bool) -> dict[str, Any]:
        """Runs arriving at `rate` per second for `seconds`, spread over the loaders."""
        at = time.time() + 0.5
        k = self.loaders.count
        cmds = [
            {"op": "open", "rate": rate / k, "seconds": seconds, "at": at, "offset": i / rate,
             "held": held}
            for i in range(k)
        ]  # fmt: skip
        out = await self._window(cmds, at)
        replies = out.pop("_replies")
        lat = [x for r in replies for x in r["lat"]] or [0.0]
        lag = [x for r in replies for x in r["lag"]] or [0.0]
        answered: collections.Counter[str] = collections.Counter()
        for r in replies:
            answered.update(r["statuses"])
        sent = sum(r["sent"] for r in replies)
        out.update(
            held=held,
            target_per_s=round(rate, 1),
            offered_per_s=round(sent / max(r["send_seconds"] for r in replies), 1),
            p50_ms=ms(pct(lat, 50)),
            p95_ms=ms(pct(lat, 95)),
            p99_ms=ms(pct(lat, 99)),
            send_lag_p99_ms=ms(pct(lag, 99)),
            answered=dict(answered),
        )
        return out


def write_tails(path: Path | None, text: str) -> None:
    if path is not None:
        with path.open("a") as f:
            f.write(text)
