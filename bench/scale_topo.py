"""One topology of the scale benchmark, started as a user would start it.

`sqlite`: one `openpal serve --concurrency S` on its embedded database. `AxW`: A
`openpal serve --no-worker` API processes and W `openpal worker --concurrency S`
processes on one fresh PostgreSQL database. Each process has its own data folder and
log. The first API process mints the API key; the others share its database and so
accept the same key. Each process names itself to PostgreSQL (`application_name`
bench-api<i> / bench-w<i>), which tells when a worker is connected and listening.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import procs
from bench.scale_pg import Cluster, cpu_seconds

ROLES = {"serve": "openpal", "api": "api", "worker": "workers"}


@dataclass(frozen=True)
class Shape:
    """`sqlite`, or A API processes x W worker processes on PostgreSQL."""

    name: str
    apis: int = 1
    workers: int = 0
    seq: int = 0  # its place in the run: a topology may be measured twice

    @property
    def postgres(self) -> bool:
        return self.name != "sqlite"

    @property
    def database(self) -> str:
        return f"scale_{self.seq}_{self.name}"


def parse(spec: str, seq: int = 0) -> Shape:
    spec = spec.strip().lower()
    if spec == "sqlite":
        return Shape("sqlite", seq=seq)
    m = re.fullmatch(r"(\d+)x(\d+)", spec)
    if not m or int(m[1]) < 1 or int(m[2]) < 1:
        raise ValueError(f"topology {spec!r}: expected sqlite or AxW, e.g. 2x4")
    return Shape(spec, int(m[1]), int(m[2]), seq)


@dataclass
class Proc:
    name: str  # api0, worker3, serve
    role: str  # api, workers, openpal (SQLite: one process does both)
    popen: subprocess.Popen[bytes]
    log: Path


@dataclass
class Topology:
    shape: Shape
    root: Path
    slots: int
    cluster: Cluster | None = None
    procs: list[Proc] = field(default_factory=list)
    base_urls: list[str] = field(default_factory=list)
    api_key: str = ""

    def _env(self, application: str) -> dict[str, str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "OPENPAL_RETENTION_DAYS": "0"}
        env.update(procs.BENCH_ENV)
        env.pop("OPENPAL_DATABASE_URL", None)
        if self.cluster is not None:
            env["OPENPAL_DATABASE_URL"] = self.cluster.url(self.shape.database, application)
        return env

    def _spawn(self, name: str, args: list[str]) -> Proc:
        data = self.root / name
        popen = procs._spawn(args, data, self._env(f"bench-{name}"), "log")
        proc = Proc(name, ROLES[re.sub(r"\d+$", "", name)], popen, data / "log")
        self.procs.append(proc)
        return proc

    def _serve(self, name: str, extra: list[str]) -> Proc:
        port = procs.free_port()
        self.base_urls.append(f"http://127.0.0.1:{port}")
        return self._spawn(name, ["serve", "--port", str(port), *extra])

    def _ready(self, proc: Proc) -> None:
        try:
            procs._ready(self.base_urls[self.procs.index(proc)], proc.popen, proc.log)
        except SystemExit as exc:  # bench.procs ends the program; here one topology failed
            raise RuntimeError(f"{proc.name}: {exc}") from None

    async def start(self) -> None:
        """Every process up and ready: API processes answer /readyz, workers listen."""
        if not self.shape.postgres:
            self._ready(self._serve("serve", ["--concurrency", str(self.slots)]))
            self.api_key = (self.root / "serve" / "api-key").read_text().strip()
            return
        self._ready(self._serve("api0", ["--no-worker"]))  # first: it mints the key
        self.api_key = (self.root / "api0" / "api-key").read_text().strip()
        others = [self._serve(f"api{i}", ["--no-worker"]) for i in range(1, self.shape.apis)]
        for proc in others:
            self._ready(proc)
        for i in range(self.shape.workers):
            self._spawn(f"worker{i}", ["worker", "--concurrency", str(self.slots)])
        await self._workers_listening()

    async def _workers_listening(self, timeout: float = 90) -> None:
        import asyncpg

        assert self.cluster is not None
        conn = await asyncpg.connect(self.cluster.url(self.shape.database))
        sql = """/* bench-scale */ SELECT count(DISTINCT application_name)
            FILTER (WHERE query ILIKE 'LISTEN%'), count(DISTINCT application_name)
            FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'bench-worker%'"""
        t0 = time.monotonic()
        try:
            while True:
                self.check_alive()
                listening, connected = await conn.fetchrow(sql, self.shape.database)
                waited = time.monotonic() - t0
                if listening >= self.shape.workers:
                    return
                if connected >= self.shape.workers and waited > 10:
                    return  # connected, LISTEN not seen (the engine may name it otherwise)
                if connected == 0 and waited > 20:
                    print("  workers do not show their application_name; waiting 3 s",
                          file=sys.stderr)  # fmt: skip
                    await asyncio.sleep(3)
                    return
                if waited > timeout:
                    raise RuntimeError(f"{connected}/{self.shape.workers} workers connected")
                await asyncio.sleep(0.1)
        finally:
            await conn.close()

    def check_alive(self) -> None:
        for p in self.procs:
            if p.popen.poll() is not None:
                raise RuntimeError(f"{p.name} exited ({p.popen.returncode}):\n{tail(p.log)}")

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of each openpal process, by name."""
        return {p.name: cpu_seconds(p.popen.pid) for p in self.procs}

    def role_of(self, name: str) -> str:
        return next(p.role for p in self.procs if p.name == name)

    @property
    def database_file(self) -> Path:
        return self.root / "serve" / "openpal.db"

    def stop(self) -> None:
        for p in self.procs:
            if p.popen.poll() is None:
                p.popen.terminate()
        for p in self.procs:
            try:
                p.popen.wait(20)
            except subprocess.TimeoutExpired:
                p.popen.kill()
                p.popen.wait()

    def log_tails(self, lines: int = 30) -> str:
        return "".join(
            f"--- {p.name} ({self.shape.name})\n{tail(p.log, lines)}\n" for p in self.procs
        )


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
