"""Every file of docs/examples runs unchanged against a live server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_invoice_pdf

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"

EXPECTED = {
    "server_hold.py": "completed {'invoice_number': 'INV-2041'",
    "get.py": "completed {'invoice_number': 'INV-2041'",
    "detail.py": "parse completed",
    "run_and_wait.py": "completed {'invoice_number': 'INV-2041'",
    "list_runs.py": "next page: None",
    "cancel.py": "'cancelRequestedAt': '",
    "polling.py": "completed {'invoice_number': 'INV-2041'",
    "context_manager.py": "exec_",
    # openpal's SDK on /v1: deploying a version, uploading a file, review tasks
    "deploy_version.py": "Welcome, Ada!'}\n[('1.1.0', True), ('1.0.0', False)]",
    "upload_file.py": "completed {'invoice_number': 'INV-2041'",
    "human_reviews.py": "{'amount': 120, 'approved': True}\nrejected by reviewer: too much",
}


def test_every_example_is_covered():
    assert {p.name for p in EXAMPLES.glob("*.py")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name, server, tmp_path):
    make_invoice_pdf(tmp_path / "contract.pdf")
    env = {**os.environ, "EIGENPAL_API_KEY": server.api_key, "EIGENPAL_BASE_URL": server.base_url}
    env.pop("OPENPAL_API_KEY", None)
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert EXPECTED[name] in done.stdout, done.stdout
