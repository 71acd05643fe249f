"""Shared fixtures: a real `openpal serve` subprocess on a free port and a fresh data folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.pg import BACKENDS, database_for

TESTS = Path(__file__).resolve().parent
TEST_WORKFLOWS = TESTS / "workflows"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (graceful drain), then SIGKILL after 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def openpal_env(database_url: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment for an `openpal` subprocess: on `database_url`
    (PostgreSQL), or on SQLite when None, whatever the caller's own environment says."""
    env = {**os.environ, **(extra or {})}
    env.pop("OPENPAL_DATABASE_URL", None)
    if database_url is not None:
        env["OPENPAL_DATABASE_URL"] = database_url
    return env


@dataclass
class Server:
    """A live openpal process."""

    base_url: str
    api_key: str
    data_dir: Path
    proc: subprocess.Popen[bytes]
    log_path: Path
    database_url: str | None = None

    def env(self) -> dict[str, str]:
        """An environment for `openpal` commands that work on this server's database."""
        return openpal_env(self.database_url)

    def client(self, **kw: object) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=70,
            **kw,  # type: ignore[arg-type]
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.proc)


def start_server(
    data_dir: Path,
    *,
    workflows: Path | None = TEST_WORKFLOWS,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    database_url: str | None = None,
    api_key: str | None = None,
) -> Server:
    """`openpal serve` on a free port; on PostgreSQL when `database_url` is given.

    The key is the one the first start wrote to `<data_dir>/api-key`, or `api_key`
    (another process on the same database made the first key)."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "openpal",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        *args,
    ]
    if workflows is not None:
        cmd += ["--workflows", str(workflows)]
    full_env = openpal_env(database_url, {"PYTHONUNBUFFERED": "1", **(env or {})})
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=full_env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"openpal serve exited:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"openpal serve did not start:\n{log_path.read_text()}")
        time.sleep(0.05)
    key = api_key or (data_dir / "api-key").read_text().strip()
    return Server(base, key, data_dir, proc, log_path, database_url)


@dataclass
class Worker:
    """A live `openpal worker` process."""

    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.proc)


def start_worker(
    data_dir: Path,
    *,
    database_url: str | None,
    workflows: Path | None = TEST_WORKFLOWS,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    name: str = "worker",
) -> Worker:
    """`openpal worker` (no HTTP); returns once it logged that it is ready."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"{name}.log"
    cmd = [sys.executable, "-m", "openpal", "worker", "--data-dir", str(data_dir), *args]
    if workflows is not None:
        cmd += ["--workflows", str(workflows)]
    full_env = openpal_env(database_url, {"PYTHONUNBUFFERED": "1", **(env or {})})
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=full_env)
    deadline = time.monotonic() + 30
    while "worker ready" not in log_path.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"openpal worker did not start:\n{log_path.read_text()}")
        time.sleep(0.05)
    return Worker(proc, log_path)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that uses a server runs once per database backend."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str) -> Iterator[str | None]:
    """None (SQLite in the server's data folder) or a fresh PostgreSQL database."""
    with database_for(backend) as url:
        yield url


@pytest.fixture(scope="module")
def module_db_url(backend: str) -> Iterator[str | None]:
    with database_for(backend) as url:
        yield url


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Server]:
    """One server per backend for the session (tests use their own runs, never global counts)."""
    with database_for(backend) as url:
        srv = start_server(tmp_path_factory.mktemp(f"openpal-{backend}"), database_url=url)
        yield srv
        srv.stop()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


def make_invoice_pdf(
    path: Path,
    *,
    number: str = "INV-2041",
    total: str = "1,234.50",
    currency: str = "EUR",
    vendor: str = "Acme Tools GmbH",
    date: str = "2026-03-14",
) -> Path:
    """A small real PDF invoice (fpdf2), with known field values."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    for line in (
        f"From: {vendor}",
        f"Invoice Number: {number}",
        f"Invoice Date: {date}",
        "Description: Consulting services",
        f"Total: {total} {currency}",
    ):
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path
