"""Peers that run under their own interpreter (their dependencies stay apart from
openpal's): a script that prints one JSON object with its measurements."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any


def available(python: str | None, module: str, flag: str) -> str | None:
    """Why `python` cannot run this peer, or None."""
    if not python:
        return f"no {flag} given (an interpreter with `pip install {module}`)"
    probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
    if probe.returncode != 0:
        return f"{python} cannot import {module}"
    return None


def run_app(python: str, app: Path, latency: int, throughput: int) -> dict[str, Any]:
    """Run `app <latency runs> <throughput runs> <scratch folder>`; its JSON line."""
    with tempfile.TemporaryDirectory(prefix=f"openpal-bench-{app.stem}-") as folder:
        done = subprocess.run(
            [python, str(app), str(latency), str(throughput), folder],
            capture_output=True,
            text=True,
            timeout=3600,
            check=True,
        )
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("{"))
    result: dict[str, Any] = json.loads(line)
    return result
