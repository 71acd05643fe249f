"""Imports point one way: cli/api/ui/worker → service → engine/store/workflows → models;
api/ui → web (request bodies)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "openpal"

# package → packages it must never import
FORBIDDEN = {
    "engine": {"store", "service", "api", "worker", "cli", "workflows", "steps", "blobs"},
    "store": {"service", "api", "worker", "cli", "workflows", "steps"},
    "workflows": {"store", "service", "api", "worker", "cli"},
    "steps": {"store", "service", "api", "worker", "cli"},
    "blobs": {"service", "api", "worker", "cli", "workflows", "steps"},
    "service": {"api", "worker", "cli"},
    "worker": {"api", "cli"},
    "api": {"cli"},
    "ui": {"api", "cli", "worker"},
    # request bodies read within limits: shared by the API and the dashboard
    "web": {"api", "ui", "cli", "worker", "service", "store"},
    # the SDK speaks HTTP only: nothing of the server side
    "client": {"engine", "store", "service", "api", "worker", "cli", "workflows", "steps", "blobs"},
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("openpal."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("openpal."):
                    found.add(alias.name.split(".")[1])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package):
    files = list((SRC / package).rglob("*.py"))
    assert files
    for path in files:
        bad = _imports(path) & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"


def test_the_embedded_default_needs_no_optional_dependency(tmp_path):
    """`pip install openpal` has neither asyncpg (`[postgres]`) nor boto3 (`[s3]`): the
    SQLite store, the app, the worker and the CLI must import and open without them."""
    script = (
        "import asyncio, sys\n"
        "sys.modules['asyncpg'] = None\n"  # an import of it now raises ImportError
        "sys.modules['boto3'] = None\n"
        "import openpal.api.app, openpal.cli.main, openpal.worker.executor\n"
        "from openpal.store.factory import make_store\n"
        "from pathlib import Path\n"
        f"store = make_store(None, Path({str(tmp_path)!r}) / 'openpal.db')\n"
        "asyncio.run(store.open())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
