"""The data folder, the SQLite database, the first API key and local blobs are the
owner's alone: folders 0700, files 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import openpal_env, start_server


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_folder_and_database_are_private(tmp_path):
    data = tmp_path / "fresh" / "data"
    subprocess.run(
        [sys.executable, "-m", "openpal", "keys", "create", "--data-dir", str(data)],
        capture_output=True, check=True, env=openpal_env(None),
        preexec_fn=lambda: os.umask(0o022),  # the usual umask: world-readable by default
    )  # fmt: skip
    assert _mode(data) == 0o700
    db_files = [p for p in data.iterdir() if p.name.startswith("openpal.db")]
    assert db_files
    for path in db_files:
        assert _mode(path) == 0o600, path


def test_served_files_key_and_blobs_are_private(tmp_path):
    data = tmp_path / "srv"
    old = os.umask(0o022)  # the usual umask: the server inherits it
    try:
        server = start_server(data)
    finally:
        os.umask(old)
    try:
        with server.client() as c:
            resp = c.post(
                "/api/v1/run/workflows.file-info",
                files={"doc": ("secret.txt", b"payroll figures", "text/plain")},
                params={"wait_for_completion": 20},
            )
            assert resp.status_code in (200, 201), resp.text
        assert _mode(data / "api-key") == 0o600
        for path in data.iterdir():
            if path.name.startswith("openpal.db"):
                assert _mode(path) == 0o600, path
        blobs = data / "blobs"
        stored = [p for p in blobs.rglob("*") if p.is_file()]
        assert stored, "the upload is stored as a blob"
        for path in [blobs, *blobs.rglob("*")]:
            assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
    finally:
        server.stop()
