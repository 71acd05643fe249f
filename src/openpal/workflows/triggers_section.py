"""The `triggers:` section of a workflow file → `CronTrigger`s, checked field by field.

triggers:
  cron: "0 7 * * 1-5"        # standard 5-field cron (see `cron`)
  timezone: Europe/Berlin    # IANA name; default UTC
  input: {customer: acme}    # the run's input; must fit the workflow's inputs
  catchup: latest            # missed ticks: latest (one run for them all) | none (skipped)

or a list of such mappings for several schedules of one workflow.
"""

from __future__ import annotations

import time
from typing import Any

from openpal.workflows.cron import CronError, next_fire_micros, parse_cron, zone
from openpal.workflows.model import CronTrigger, InputSpec
from openpal.workflows.yaml_source import Source

__all__ = ["MAX_TRIGGERS", "check_trigger_input", "parse_triggers"]

TRIGGER_KEYS = {"cron", "timezone", "input", "catchup"}
CATCHUP = ("latest", "none")
MAX_TRIGGERS = 20  # schedules per workflow
_TYPES: dict[str, tuple[type | tuple[type, ...], str]] = {
    "string": (str, "a string"),
    "number": ((int, float), "a number"),
    "integer": (int, "an integer"),
    "boolean": (bool, "a boolean"),
    "object": (dict, "an object"),
    "array": (list, "an array"),
}


def check_trigger_input(data: dict[str, Any], inputs: tuple[InputSpec, ...]) -> list[str]:
    """Why `data` cannot be a scheduled run's input (field: problem), or []."""
    problems = []
    known = {spec.name: spec for spec in inputs}
    for key in data:
        if key not in known:
            allowed = ", ".join(sorted(known)) or "none"
            problems.append(f"{key}: unknown input (this workflow takes: {allowed})")
    for spec in inputs:
        value = data.get(spec.name)
        if value is None:
            if spec.required and not spec.has_default:
                problems.append(f"{spec.name}: required input missing")
            continue
        if spec.type == "file" or (spec.items or {}).get("type") == "file":
            problems.append(f"{spec.name}: a scheduled run cannot be given a file")
            continue
        expected, words = _TYPES[spec.type]
        wrong_bool = isinstance(value, bool) and spec.type != "boolean"
        if wrong_bool or not isinstance(value, expected):
            problems.append(f"{spec.name}: must be {words}")
    return problems


def parse_triggers(raw: Any, src: Source, inputs: tuple[InputSpec, ...]) -> tuple[CronTrigger, ...]:
    if raw is None:
        return ()
    items, single = ([raw], True) if isinstance(raw, dict) else (raw, False)
    if not isinstance(items, list) or not items:
        raise src.error("triggers", "must be a mapping such as {cron: '0 7 * * 1-5'} or a list")
    if len(items) > MAX_TRIGGERS:
        raise src.error("triggers", f"at most {MAX_TRIGGERS} schedules per workflow")
    return tuple(
        _trigger(item, "triggers" if single else f"triggers[{i}]", src, inputs)
        for i, item in enumerate(items)
    )


def _trigger(item: Any, where: str, src: Source, inputs: tuple[InputSpec, ...]) -> CronTrigger:
    if not isinstance(item, dict):
        raise src.error(where, "must be a mapping such as {cron: '0 7 * * 1-5'}")
    for key in item:
        if key not in TRIGGER_KEYS:
            allowed = ", ".join(sorted(TRIGGER_KEYS))
            raise src.error(f"{where}.{key}", f"unknown key (allowed: {allowed})")
    if "cron" not in item:
        raise src.error(f"{where}.cron", "required: a cron expression such as '0 7 * * 1-5'")
    try:
        expr = parse_cron(item["cron"])
    except CronError as exc:
        raise src.error(f"{where}.cron", f"bad cron expression: {exc}") from None
    tz_name = item.get("timezone", "UTC")
    try:
        tz = zone(tz_name)
    except CronError as exc:
        raise src.error(f"{where}.timezone", str(exc)) from None
    if next_fire_micros(expr, tz, time.time_ns() // 1000) is None:
        raise src.error(f"{where}.cron", f"{expr.text!r} never fires")
    data = item.get("input", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise src.error(f"{where}.input", "must be a mapping of the workflow's inputs")
    problems = check_trigger_input(data, inputs)
    if problems:
        raise src.error(f"{where}.input", "; ".join(problems))
    catchup = item.get("catchup", "latest")
    if catchup not in CATCHUP:
        raise src.error(f"{where}.catchup", "must be latest or none")
    return CronTrigger(cron=expr.text, timezone=tz_name, input=data, catchup=catchup)
