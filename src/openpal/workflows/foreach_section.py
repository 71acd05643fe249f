"""A step's fan-out keys (`forEach`, `max_parallel`, `on_item_failure`), checked at load.

  - name: fetch
    type: python
    forEach: "{{ steps.split.output.items }}"   # a template giving a list, or a literal list
    max_parallel: 8                             # items at once (default 4)
    on_item_failure: collect                    # fail_fast (default) | collect
    with: {function: "steps:fetch", args: {url: "{{ item.url }}", n: "{{ item_index }}"}}

The element list is rendered when the step starts; a literal list longer than
`OPENPAL_MAX_FOREACH_ITEMS` is refused here, a rendered one fails the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpal.settings import Settings
from openpal.steps.invoke import INVOKE
from openpal.workflows.model import DEFAULT_MAX_PARALLEL, ON_ITEM_FAILURE
from openpal.workflows.yaml_source import Source

__all__ = ["FOREACH_KEYS", "FanOutKeys", "parse_fan_out"]

FOREACH_KEYS = {"forEach", "max_parallel", "on_item_failure"}
# steps that park the run (or start a child run): one of them per item makes no sense
NOT_PER_ITEM = {"control.wait", "control.approval", INVOKE}


@dataclass(frozen=True)
class FanOutKeys:
    """The checked keys, as `StepSpec` takes them."""

    for_each: Any = None
    max_parallel: int = DEFAULT_MAX_PARALLEL
    on_item_failure: str = ON_ITEM_FAILURE[0]


def max_items() -> int:
    """The configured bound on one `forEach` list (OPENPAL_MAX_FOREACH_ITEMS)."""
    return Settings.from_env().max_foreach_items


def parse_fan_out(item: dict[str, Any], where: str, step_type: str, src: Source) -> FanOutKeys:
    """The fan-out keys of the step at `where` (`steps[3]`); a step without `forEach`
    may not carry the other two."""
    if "forEach" not in item:
        for key in ("max_parallel", "on_item_failure"):
            if key in item:
                raise src.error(f"{where}.{key}", "only for a step with forEach")
        return FanOutKeys()
    field = f"{where}.forEach"
    if step_type in NOT_PER_ITEM:
        raise src.error(field, f"a {step_type} step cannot run once per item")
    value = item["forEach"]
    if isinstance(value, list):
        limit = max_items()
        if len(value) > limit:
            raise src.error(
                field,
                f"{len(value)} items, over the limit of {limit} (OPENPAL_MAX_FOREACH_ITEMS)",
            )
    elif not isinstance(value, str) or "{{" not in value:
        raise src.error(
            field, 'must be a template giving a list ("{{ steps.split.output.items }}") or a list'
        )
    parallel = item.get("max_parallel", DEFAULT_MAX_PARALLEL)
    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise src.error(f"{where}.max_parallel", "must be an integer of at least 1")
    policy = item.get("on_item_failure", ON_ITEM_FAILURE[0])
    if policy not in ON_ITEM_FAILURE:
        raise src.error(f"{where}.on_item_failure", f"must be one of {', '.join(ON_ITEM_FAILURE)}")
    return FanOutKeys(value, parallel, policy)
