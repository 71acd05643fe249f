"""The Prefect 3 side of the peer benchmark, run by an interpreter with `prefect`
installed (kept apart from openpal's dependencies): a local Prefect server (SQLite), a
served deployment of a flow of three no-op tasks, runs started with `run_deployment`
and waited for. Prints one JSON object.

    python bench/peers/prefect_app.py <latency runs> <throughput runs> <folder>
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

from peer_summary import summary  # next to this script


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CLIENTS = 8
SERVE = """
from prefect import flow, task

@task
def noop(i: int) -> int:
    return i

@flow
def noop3(i: int = 0) -> int:
    return noop(noop(noop(i)))

if __name__ == "__main__":
    noop3.serve(name="bench", limit=16)
"""


def main() -> None:
    n_latency, n_throughput, folder = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(folder),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # the served runner looks for work every 10 s by default: ask every second
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }
    os.environ.update(env)
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    serve = None
    try:
        import httpx

        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("prefect server did not start")
            time.sleep(0.5)
        (folder / "flows.py").write_text(SERVE)
        serve = subprocess.Popen(
            [sys.executable, str(folder / "flows.py")],
            env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        from prefect.deployments import run_deployment

        def one(i: int) -> int:
            run = run_deployment("noop3/bench", parameters={"i": i}, timeout=600, poll_interval=0.2)
            assert run.state is not None and run.state.is_completed(), run.state
            return i

        deadline = time.monotonic() + 120
        while True:  # wait for the served deployment
            try:
                one(0)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        times = []
        for i in range(n_latency):
            t0 = time.perf_counter()
            one(i)
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        # 8 concurrent clients, not 64: with 64, Prefect's server on SQLite answered
        # 503 Service Unavailable to create_flow_run (seen here)
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(one, range(n_throughput)))
        elapsed = time.perf_counter() - t0
        print(
            json.dumps(
                summary(
                    f"prefect {version('prefect')} (local server, served deployment)",
                    times,
                    n_throughput,
                    CLIENTS,
                    elapsed,
                )
            )
        )
    finally:
        for proc in (serve, server):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()


if __name__ == "__main__":
    main()
