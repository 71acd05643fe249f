"""Check /v1 bodies with the official 0.20.93 SDK's generated models (strict `from_dict`:
required keys, enums). That SDK lives in its own environment (`.venv-eigenpal-current`,
built by ./scripts/test), so the check runs there, in one subprocess per call."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
_CHECK = """
import json, sys
from eigenpal._generated import models
failures = []
for name, body in json.load(sys.stdin):
    try:
        getattr(models, name).from_dict(body)
    except Exception as exc:
        failures.append(f"{name}: {type(exc).__name__}: {exc}")
print(json.dumps(failures))
"""


def current_sdk_python() -> str:
    """The interpreter with `eigenpal==0.20.93`; skipped locally without it, fails in CI."""
    path = os.environ.get("OPENPAL_TEST_EIGENPAL_CURRENT") or str(
        ROOT / ".venv-eigenpal-current" / "bin" / "python"
    )
    if not Path(path).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the current SDK: {path} is missing (./scripts/test)")
        pytest.skip(f"no current-SDK environment at {path} (./scripts/test builds it)")
    return path


def assert_models(*checks: tuple[str, Any]) -> None:
    """Every `(model name, body)` parses with `eigenpal._generated.models.<name>.from_dict`."""
    out = subprocess.run(
        [current_sdk_python(), "-c", _CHECK],
        input=json.dumps(list(checks)),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    failures = json.loads(out.stdout)
    assert failures == [], failures
