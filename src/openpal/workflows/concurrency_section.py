"""The `concurrency:` section of a workflow file → `ConcurrencySpec`, checked field by field.

concurrency:
  limit: 2                      # runs at once (per key)
  key: "{{ input.customer }}"   # optional: a template over the input
  strategy: queue               # queue (default) | reject
"""

from __future__ import annotations

from typing import Any

from openpal.workflows.model import ConcurrencySpec
from openpal.workflows.templates import check_template, template_references
from openpal.workflows.yaml_source import Source

__all__ = ["STRATEGIES", "parse_concurrency"]

CONCURRENCY_KEYS = {"limit", "key", "strategy"}
STRATEGIES = ("queue", "reject")


def parse_concurrency(raw: Any, src: Source, input_names: set[str]) -> ConcurrencySpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise src.error("concurrency", "must be a mapping such as {limit: 2, strategy: queue}")
    for key in raw:
        if key not in CONCURRENCY_KEYS:
            allowed = ", ".join(sorted(CONCURRENCY_KEYS))
            raise src.error(f"concurrency.{key}", f"unknown key (allowed: {allowed})")
    limit = raw.get("limit")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise src.error("concurrency.limit", "required: an integer of at least 1")
    strategy = raw.get("strategy", "queue")
    if strategy not in STRATEGIES:
        raise src.error("concurrency.strategy", "must be queue or reject")
    key = raw.get("key")
    if key is not None:
        if not isinstance(key, str) or not key.strip():
            raise src.error("concurrency.key", "must be a template such as '{{ input.customer }}'")
        problem = check_template(key)
        if problem:
            raise src.error("concurrency.key", f"bad template: {problem}")
        for path in template_references(key):
            root = path[0] if path else ""
            if root != "input":
                raise src.error(
                    "concurrency.key",
                    "can only read the input (it is evaluated when the run is started)",
                )
            if len(path) > 1 and path[1] not in input_names:
                declared = ", ".join(sorted(input_names)) or "none"
                raise src.error(
                    "concurrency.key", f"unknown input {path[1]!r} (declared: {declared})"
                )
    return ConcurrencySpec(limit=limit, key=key, strategy=strategy)
