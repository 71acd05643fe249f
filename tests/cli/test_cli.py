"""The CLI as a user runs it: subprocesses, their output and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import make_invoice_pdf


def openpal(
    server, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        "EIGENPAL_API_KEY": server.api_key,
        "EIGENPAL_BASE_URL": server.base_url,
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "openpal", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
    )


def test_run_wait_json_completed(server):
    done = openpal(
        server,
        "run",
        "workflows.typed",
        "--input",
        "s=hi",
        "--input",
        "i=3",
        "--input-json",
        '{"a": [1]}',
        "--json",
    )
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["status"] == "completed" and run["output"]["s"] == "hi"
    assert run["output"]["i"] == 3 and run["output"]["a"] == [1]
    assert [s["stepName"] for s in run["stepExecutions"]] == ["echo"]


def _keys(value, path=""):
    """Every key of the JSON the CLI printed, outside user data (input/output)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{path}.{k}"
            if k not in ("input", "output"):
                yield from _keys(v, f"{path}.{k}")
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item, path)


def test_every_json_output_uses_the_wire_casing(server):
    """`--json` prints camelCase everywhere (it printed snake_case for `run`/`watch` and
    for workflows, camelCase for `runs list`/`get`)."""
    done = openpal(server, "run", "workflows.hello", "--input", "name=Li", "--json")
    run_id = json.loads(done.stdout)["id"]
    printed = {
        "run": done.stdout,
        "watch": openpal(server, "runs", "watch", run_id, "--json").stdout,
        "get": openpal(server, "runs", "get", run_id, "--detail", "--json").stdout,
        "list": openpal(server, "runs", "list", "--limit", "2", "--json").stdout,
        "workflows list": openpal(server, "workflows", "list", "--json").stdout,
        "workflows get": openpal(server, "workflows", "get", "hello", "--json").stdout,
    }
    for command, out in printed.items():
        snake = sorted({k for k in _keys(json.loads(out)) if "_" in k.rsplit(".", 1)[-1]})
        assert not snake, (command, snake)
    assert json.loads(printed["workflows get"])["yamlContent"].startswith("name: hello")


def test_the_key_the_server_saved_is_used_when_none_is_given(server):
    """No --api-key, no environment variable: the CLI reads <data dir>/api-key."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env |= {"EIGENPAL_BASE_URL": server.base_url, "OPENPAL_DATA_DIR": str(server.data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "openpal", "workflows", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "hello" in {w["slug"] for w in json.loads(done.stdout)}
    env["OPENPAL_DATA_DIR"] = str(server.data_dir / "elsewhere")
    done = subprocess.run(
        [sys.executable, "-m", "openpal", "workflows", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode != 0 and "no API key" in done.stderr


def test_run_with_a_file(server, tmp_path):
    pdf = make_invoice_pdf(tmp_path / "inv.pdf", number="INV-CLI")
    done = openpal(
        server, "run", "workflows.extract-invoice", "--file", f"contract_document=@{pdf}"
    )
    assert done.returncode == 0, done.stderr
    assert "INV-CLI" in done.stdout and " completed" in done.stdout.splitlines()[0]


def test_exit_codes(server):
    failed = openpal(server, "run", "workflows.fails")
    assert failed.returncode == 1 and "boom" in failed.stderr
    invalid = openpal(server, "run", "workflows.typed", "--input", "s=1")
    assert invalid.returncode == 6 and "input.s" in invalid.stderr
    usage = openpal(server, "run", "workflows.typed", "--input", "novalue")
    assert usage.returncode == 2
    missing = openpal(server, "run", "workflows.hello", "--file", "x=@/nope/nothing.pdf")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    unknown = openpal(server, "runs", "get", "exec_nope")
    assert unknown.returncode == 6 and "not found" in unknown.stderr
    nokey = openpal(server, "runs", "list", env={"EIGENPAL_API_KEY": "", "OPENPAL_API_KEY": ""})
    assert nokey.returncode == 2 and "API key" in nokey.stderr


def test_no_wait_then_watch_and_cancel(server):
    started = openpal(server, "run", "workflows.slow-count", "--input", "seconds=3", "--no-wait")
    assert started.returncode == 0
    run_id, status = started.stdout.split()
    assert run_id.startswith("exec_") and status == "pending"
    cancelled = openpal(server, "runs", "cancel", run_id)
    assert cancelled.returncode == 0 and run_id in cancelled.stdout
    watched = openpal(server, "runs", "watch", run_id)
    assert watched.returncode == 3 and "cancelled" in watched.stdout


@pytest.mark.parametrize("extra", [(), ("--json",)])
def test_runs_list_and_get(server, extra):
    done = openpal(server, "run", "workflows.hello", "--input", "name=Li", "--json")
    run_id = json.loads(done.stdout)["id"]
    listed = openpal(server, "runs", "list", "--source", "hello", "--limit", "5", *extra)
    assert listed.returncode == 0 and run_id in listed.stdout
    got = openpal(server, "runs", "get", run_id, "--detail", *extra)
    assert got.returncode == 0 and "greet" in got.stdout and "Hello, Li!" in got.stdout


def test_workflows_list_and_get(server):
    listed = openpal(server, "workflows", "list", "--json")
    assert "extract-invoice" in {w["slug"] for w in json.loads(listed.stdout)}
    got = openpal(server, "workflows", "get", "hello")
    assert got.returncode == 0 and "name: hello" in got.stdout


def test_get_detail_and_watch_show_a_steps_logs_and_traceback(server):
    done = openpal(server, "run", "workflows.chatty", "--input", "note=order 5", "--json")
    run_id = json.loads(done.stdout)["id"]
    for args in (("runs", "get", run_id, "--detail"), ("runs", "watch", run_id)):
        shown = openpal(server, *args)
        assert "--- check (failed, attempt 2)" in shown.stdout, shown.stdout
        assert "INFO checking order 5 (attempt 2)" in shown.stdout
        assert "ValueError: order 5 does not add up" in shown.stdout
