"""The official, unmodified current SDK (`eigenpal==0.20.93`, pinned in
requirements-current.txt) against live `openpal serve` processes on both databases.

One package cannot be installed twice in one venv, and .venv holds 0.6.15 (test_official_sdk.py),
so 0.20.93 lives in `.venv-eigenpal-current` (built by ./scripts/test, which exports its
interpreter as OPENPAL_TEST_EIGENPAL_CURRENT). Each test runs one scenario of
current_sdk/driver.py under that interpreter: it makes the SDK calls, parses every answer with
the SDK's own generated models, checks what came back, and prints its checks as JSON. Without
the interpreter the tests are skipped locally and fail in CI (CI=true), as PostgreSQL's are.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server, make_invoice_pdf, start_server, start_worker
from tests.pg import fresh_database

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "current_sdk" / "driver.py"
PIN = next(
    line.strip()
    for line in (HERE / "requirements-current.txt").read_text().splitlines()
    if line.startswith("eigenpal==")
)
DEFAULT_PYTHON = HERE.parents[1] / ".venv-eigenpal-current" / "bin" / "python"
BIG = 10 * 1024 * 1024  # above the SDK's 4,456,448-byte multipart budget: pre-uploaded
MAX_REQUEST_FILE = 12 * 1024 * 1024  # the server's one-request limit (bigger: http-chunked)
HUGE = 13 * 1024 * 1024  # two 8 MiB chunks


@pytest.fixture(scope="module")
def sdk_python() -> str:
    """The interpreter that has the pinned current SDK."""
    python = os.environ.get("OPENPAL_TEST_EIGENPAL_CURRENT") or str(DEFAULT_PYTHON)
    if not Path(python).is_file():
        why = f"no {PIN} interpreter at {python}: run ./scripts/test (it builds one)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the current SDK: {why}")
        pytest.skip(why)
    probe = "from importlib.metadata import version; print(version('eigenpal'))"
    got = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    if f"eigenpal=={got.stdout.strip()}" != PIN:
        pytest.fail(f"{python} has eigenpal {got.stdout.strip() or got.stderr!r}, not {PIN}")
    return python


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, module_db_url: str | None) -> Any:
    # two worker slots: enough to keep a run pending behind two slow ones
    s = start_server(
        tmp_path_factory.mktemp("compat-current"),
        args=("--concurrency", "2"),
        database_url=module_db_url,
        env={"OPENPAL_MAX_UPLOAD_BYTES": str(MAX_REQUEST_FILE)},
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """contract.pdf (the README's file name), a small text file, a 10 MB and a 13 MB one."""
    folder = tmp_path_factory.mktemp("sdk-inputs")
    make_invoice_pdf(
        folder / "contract.pdf", number="INV-9001", total="4,200.00", vendor="Globex Ltd"
    )
    (folder / "small.txt").write_text("a small input file\n")
    (folder / "big.bin").write_bytes(hashlib.sha256(b"big").digest() * (BIG // 32))
    (folder / "huge.bin").write_bytes(hashlib.sha256(b"huge").digest() * (HUGE // 32))
    return folder


def drive(
    python: str, srv: Server | None, scenario: str, args: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    """Run one driver scenario; fail with every failed check when any failed."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "VIRTUAL_ENV", "EIGENPAL_", "OPENPAL_"))
    }
    env["OPENPAL_BASE_URL"] = srv.base_url if srv else "http://127.0.0.1:9"
    env["OPENPAL_API_KEY"] = srv.api_key if srv else "opk_unused"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(
        [python, str(DRIVER), scenario, json.dumps(args or {})],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
        **kw,
    )
    lines = proc.stdout.strip().splitlines()
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        pytest.fail(
            f"driver {scenario} printed no result (exit {proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
        )
    failed = [f"  {c['name']}: {c['error']}" for c in result["checks"] if not c["ok"]]
    if failed or proc.returncode != 0:
        pytest.fail(
            f"{len(failed)} of {len(result['checks'])} checks of {scenario!r} failed:\n"
            + "\n".join(failed)
            + f"\n--- driver stderr\n{proc.stderr[-6000:]}"
            + (f"\n--- server log (end)\n{srv.log()[-1500:]}" if srv else "")
        )
    return result


def test_the_checks_reject_what_the_sdk_models_reject(sdk_python):
    assert len(drive(sdk_python, None, "selftest")["checks"]) == 11  # no server needed


def test_readme_usage_auth_and_errors(sdk_python, srv, inputs):
    result = drive(sdk_python, srv, "basics", cwd=inputs)
    readme = result["facts"]["readme"]
    assert readme["finished"] is True and readme["status"] == "completed"
    out = readme["output"]
    assert (out["invoice_number"], out["vendor"]) == ("INV-9001", "Globex Ltd")
    assert (out["total"], out["currency"]) == (4200.0, "EUR")


def test_runs_start_get_list_cancel_rerun(sdk_python, srv, inputs):
    drive(sdk_python, srv, "runs", {"small": str(inputs / "small.txt")})


def test_steps_events_usage_trace_artifacts_scores(sdk_python, srv):
    drive(sdk_python, srv, "parts")


def test_human_reviews_approve_and_reject(sdk_python, srv):
    drive(sdk_python, srv, "reviews")


def test_automations_registry_and_versions_deployed_over_the_api(sdk_python, srv):
    drive(sdk_python, srv, "automations")


def test_files_a_10_mb_input_pre_uploaded_and_a_bigger_one_chunked(sdk_python, srv, inputs):
    made = subprocess.run(
        [sys.executable, "-m", "openpal", "keys", "create", "--tenant", "other",
         "--data-dir", str(srv.data_dir)],
        capture_output=True,
        text=True,
        env=srv.env(),
        check=True,
    )  # fmt: skip
    args = {
        "small": str(inputs / "small.txt"),
        "big": str(inputs / "big.bin"),
        "huge": str(inputs / "huge.bin"),
        "other_key": made.stdout.strip(),
    }
    facts = drive(sdk_python, srv, "files", args)["facts"]
    for name, size in (("big", BIG), ("huge", HUGE)):
        digest = hashlib.sha256((inputs / f"{name}.bin").read_bytes()).hexdigest()
        assert (facts[name]["size"], facts[name]["sha256"]) == (size, digest)


def test_a_version_created_over_the_api_runs_on_a_worker_process(sdk_python, backend, tmp_path):
    if backend != "postgres":
        pytest.skip("API and worker processes share a database only on PostgreSQL")
    with fresh_database() as url:
        api = start_server(tmp_path, args=("--no-worker",), database_url=url)
        worker = start_worker(tmp_path, database_url=url)
        try:
            run_id = drive(sdk_python, api, "deploy")["facts"]["run_id"]
        finally:
            worker.stop()
            api.stop()
    assert run_id.startswith("exec_")
