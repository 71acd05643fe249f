"""End-to-end throughput: start openpal as a user would, fire runs over HTTP, time them.

    python bench/throughput.py                         # embedded SQLite, one `openpal serve`
    python bench/throughput.py --database-url postgresql://… --apis 2 --workers 2

Starts the processes (API processes with `--no-worker` when workers are separate),
starts `--runs` runs of `noop3` from `--clients` threads round-robin over the APIs,
waits until all are finished, and prints runs/s and the start-request latency.
The database named by --database-url is used as is (use a scratch database).
"""

from __future__ import annotations

import argparse
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(args: list[str], data: Path, env: dict[str, str], log: str) -> subprocess.Popen[bytes]:
    data.mkdir(parents=True, exist_ok=True)
    with (data / log).open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "openpal", *args, "--data-dir", str(data)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def wait_healthy(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{base} did not start")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", default=None)
    p.add_argument("--apis", type=int, default=1)
    p.add_argument("--workers", type=int, default=0, help="separate worker processes")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--runs", type=int, default=2000)
    p.add_argument("--clients", type=int, default=16)
    a = p.parse_args()

    # many clients of one host: no per-address connection cap
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OPENPAL_MAX_CONNECTIONS_PER_CLIENT": "0"}
    env.pop("OPENPAL_DATABASE_URL", None)
    if a.database_url:
        env["OPENPAL_DATABASE_URL"] = a.database_url
    root = Path(tempfile.mkdtemp(prefix="openpal-bench-"))
    procs = []
    bases = []
    try:
        for i in range(a.apis):
            port = free_port()
            extra = ["--no-worker"] if a.workers else ["--concurrency", str(a.concurrency)]
            procs.append(
                spawn(["serve", "--port", str(port), *extra], root / f"api{i}", env, "log")
            )
            bases.append(f"http://127.0.0.1:{port}")
            wait_healthy(bases[-1])
        key = (root / "api0" / "api-key").read_text().strip()
        for i in range(a.workers):
            procs.append(
                spawn(["worker", "--concurrency", str(a.concurrency)], root / f"w{i}", env, "log")
            )
        time.sleep(1.5 if a.workers else 0)
        clients = [
            httpx.Client(base_url=b, headers={"Authorization": f"Bearer {key}"}, timeout=60)
            for b in bases
        ]
        cycle = itertools.cycle(clients)
        latencies: list[float] = []

        def start(_: int) -> str:
            t = time.perf_counter()
            r = next(cycle).post("/api/v1/run/workflows.noop3", json={})
            latencies.append(time.perf_counter() - t)
            r.raise_for_status()
            return str(r.json()["runId"])

        t0 = time.perf_counter()
        with ThreadPoolExecutor(a.clients) as pool:
            ids = list(pool.map(start, range(a.runs)))
        accepted = time.perf_counter() - t0
        while True:
            page = (
                clients[0]
                .get("/api/v1/runs", params={"status": "pending,running,finalizing", "limit": 1})
                .json()["runs"]
            )
            if not page:
                break
            time.sleep(0.05)
        done = time.perf_counter() - t0
        last = clients[0].get(f"/api/v1/runs/{ids[-1]}").json()["run"]["status"]
        lat = sorted(latencies)
        shape = f"{a.apis} API + {a.workers} workers" if a.workers else f"{a.apis} serve"
        print(f"backend     {'postgres' if a.database_url else 'sqlite'} ({shape})")
        print(f"runs        {a.runs} noop3 from {a.clients} clients (last: {last})")
        print(f"accepted    {a.runs / accepted:8.0f} starts/s")
        print(f"completed   {a.runs / done:8.0f} runs/s end to end")
        print(
            f"start p50   {statistics.median(lat) * 1000:6.1f} ms   "
            f"p99 {lat[int(len(lat) * 0.99)] * 1000:6.1f} ms"
        )
        for c in clients:
            c.close()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(15)


if __name__ == "__main__":
    main()
