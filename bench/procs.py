"""Start openpal as a user would, for a benchmark: one `serve` (SQLite), or an API
process and workers on a fresh PostgreSQL database. Reads RSS from /proc."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BENCH_WORKFLOWS = Path(__file__).resolve().parent / "workflows"
# The load generators of one host open more connections than the per-address cap
# (OPENPAL_MAX_CONNECTIONS_PER_CLIENT, 64) allows: they are the benchmark, not an attack.
BENCH_ENV = {"OPENPAL_MAX_CONNECTIONS_PER_CLIENT": "0"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int, peak: bool = False) -> float:
    """Resident memory of a process (`peak`: the high-water mark) in MiB."""
    key = "VmHWM:" if peak else "VmRSS:"
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Deployment:
    """The openpal processes of one benchmark run."""

    backend: str
    base_url: str
    api_key: str
    data_dir: Path
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def memory(self, peak: bool = False) -> dict[str, float]:
        return {name: round(rss_mb(p.pid, peak), 1) for name, p in self.procs}

    owns_data: bool = False

    def stop(self) -> None:
        for _, p in self.procs:
            p.terminate()
        for _, p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        if self.owns_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def _spawn(args: list[str], data: Path, env: dict[str, str], log: str) -> subprocess.Popen[bytes]:
    data.mkdir(parents=True, exist_ok=True)
    with (data / log).open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "openpal", *args, "--data-dir", str(data),
             "--workflows", str(BENCH_WORKFLOWS), "--log-level", "warning"],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip


def _ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"openpal exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{base} did not become ready")


def start(
    backend: str,
    *,
    database_url: str | None = None,
    data_dir: Path | None = None,
    workers: int = 2,
    concurrency: int = 16,
    env: dict[str, str] | None = None,
) -> Deployment:
    """SQLite: one `openpal serve`. PostgreSQL: `serve --no-worker` + `workers` times `openpal
    worker`, each with `concurrency` slots. `env`: settings over BENCH_ENV's."""
    data = data_dir or Path(tempfile.mkdtemp(prefix=f"openpal-bench-{backend}-"))
    settings = env or {}
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OPENPAL_RETENTION_DAYS": "0", **BENCH_ENV}
    env.update(settings)
    env.pop("OPENPAL_DATABASE_URL", None)
    if backend == "postgres":
        if not database_url:
            raise SystemExit("postgres needs --database-url (a scratch database)")
        env["OPENPAL_DATABASE_URL"] = database_url
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    dep = Deployment(backend, base, "", data, owns_data=data_dir is None)
    if backend == "sqlite":
        proc = _spawn(["serve", "--port", str(port), "--concurrency", str(concurrency)],
                      data / "api", env, "log")  # fmt: skip
        dep.procs.append(("serve", proc))
    else:
        proc = _spawn(["serve", "--port", str(port), "--no-worker"], data / "api", env, "log")
        dep.procs.append(("api", proc))
    _ready(base, proc, data / "api" / "log")
    dep.api_key = (data / "api" / "api-key").read_text().strip()
    if backend == "postgres":
        for i in range(workers):
            w = _spawn(["worker", "--concurrency", str(concurrency)], data / f"w{i}", env, "log")
            dep.procs.append((f"worker{i}", w))
        time.sleep(2.0)  # workers load workflows and start listening
    return dep
