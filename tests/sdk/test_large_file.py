"""A large file input streams from disk: the uploading process's memory stays bounded."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import start_server

SIZE = 150 * 1024 * 1024
UPLOAD = """
import resource, sys
from pathlib import Path
from openpal import EigenpalClient
with EigenpalClient(api_key=sys.argv[1], base_url=sys.argv[2], timeout_seconds=120) as c:
    c.runs.list(limit=1)  # warm: connection pool, imports
    print("before_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    run = c.run("workflows.file-info", {"doc": Path(sys.argv[3])}, wait_for_completion=50)
    print(run.status, run.output["info"]["size"])
print("peak_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_150_mb_upload_with_bounded_memory(tmp_path):
    big = tmp_path / "big.bin"
    with big.open("wb") as f:
        chunk = bytes(range(256)) * 4096  # 1 MiB
        for _ in range(SIZE // len(chunk)):
            f.write(chunk)
    srv = start_server(tmp_path / "data", env={"OPENPAL_MAX_UPLOAD_BYTES": str(SIZE + 1)})
    try:
        done = subprocess.run(
            [sys.executable, "-c", UPLOAD, srv.api_key, srv.base_url, str(big)],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.split("\n")
        assert lines[1] == f"completed {SIZE}"
        growth_mb = (int(lines[2].split()[1]) - int(lines[0].split()[1])) / 1024
        # reading the file whole would add 150 MB; streaming adds a few chunks
        assert growth_mb < 50, f"uploading {SIZE >> 20} MB grew RSS by {growth_mb:.0f} MB"
    finally:
        srv.stop()
