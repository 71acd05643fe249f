"""Workflow files and helpers shared by the /v1/automations tests (a support module)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

GREET_V1 = """\
name: {slug}
title: Greeter {slug}
version: "1.0.0"
description: Greets; the automation tests deploy new versions of it.
inputs:
  - {{name: who, type: string, description: Who to greet}}
  - {{name: times, type: integer, default: 1}}
steps:
  - name: greet
    type: transform.set
    with: {{text: "v1 {{{{ input.who }}}} x{{{{ input.times }}}}"}}
output: "{{{{ steps.greet.output }}}}"
"""

# no `version:` line: the label comes with the request
GREET_V2 = """\
name: {slug}
description: Greets louder (deployed over the API).
inputs:
  - {{name: who, type: string}}
steps:
  - name: greet
    type: transform.set
    with: {{text: "v2 {{{{ input.who }}}}"}}
output: "{{{{ steps.greet.output }}}}"
"""

# a `python` step of a version sent over the API: imported from the process's folder
SHOUT = """\
name: {slug}
inputs:
  - {{name: who, type: string}}
steps:
  - name: loud
    type: python
    with: {{function: "deploy_steps:shout", args: {{text: "hi {{{{ input.who }}}}"}}}}
output: {{text: "{{{{ steps.loud.output }}}}"}}
"""
SHOUT_STEPS = "def shout(text):\n    return text.upper() + '!'\n"

SCHEMA_PROBE = """\
name: schema-probe
title: Schema probe
description: One input of every kind, for inputSchema.
inputs:
  - {name: text, type: string, description: Any text}
  - {name: ratio, type: number, required: false}
  - {name: count, type: integer, default: 3}
  - {name: flag, type: boolean, default: false}
  - {name: meta, type: object, required: false}
  - {name: tags, type: array, required: false, items: {type: string}}
  - {name: doc, type: file, description: The document}
  - {name: attachments, type: array, required: false, items: {type: file}}
steps:
  - name: echo
    type: transform.set
    with: {text: "{{ input.text }}"}
output: "{{ steps.echo.output }}"
output_schema:
  type: object
  required: [text]
  properties: {text: {type: string}}
"""


def greet(slug: str, version: int = 1) -> str:
    return (GREET_V1 if version == 1 else GREET_V2).format(slug=slug)


def write_flows(folder: Path, *slugs: str) -> Path:
    """A workflows folder: the schema probe, a greeter per slug, the python step module."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schema-probe.yaml").write_text(SCHEMA_PROBE)
    for slug in slugs:
        (folder / f"{slug}.yaml").write_text(greet(slug))
    (folder / "deploy_steps.py").write_text(SHOUT_STEPS)
    return folder


def deploy(api: httpx.Client, target: str, yaml: str, version: str, **extra: Any) -> httpx.Response:
    """`POST /v1/automations/{target}/versions` with a YAML body."""
    body = {"version": version, "yaml": yaml, **extra}
    return api.post(f"/v1/automations/{target}/versions", json=body)


def run_output(api: httpx.Client, slug: str, data: dict[str, Any], **params: Any) -> Any:
    """Start a run through the seed endpoint, hold until it ends, and return its output."""
    resp = api.post(
        f"/api/v1/run/workflows.{slug}",
        json=data,
        params={"wait_for_completion": 30, **params},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "completed", body
    return body["output"]


def current_version(api: httpx.Client, target: str) -> dict[str, Any]:
    """The version of `/v1/automations/{target}/versions` marked current (exactly one)."""
    listed = api.get(f"/v1/automations/{target}/versions").json()["data"]
    current = [v for v in listed if v["isCurrent"]]
    assert len(current) == 1, listed
    found: dict[str, Any] = current[0]
    return found
