"""Bounds on what a step or a run outputs: nesting depth and size, in one pass.

A step's output is stored with its checkpoint, copied into every later step's template
scope, and sent back in detail responses. Unbounded, one step returning 60 MB made a
300 MB detail response and a dashboard page no browser could open, and a structure
nested a few thousand levels deep made the JSON encoder raise `RecursionError`, which
ended the run as "internal error". Measured here without recursion (a cyclic value ends
at the depth bound) and before anything is written.
"""

from __future__ import annotations

from typing import Any

MAX_OUTPUT_DEPTH = 64  # as for JSON request bodies (`web.bodies.MAX_JSON_DEPTH`)
SIZE_SETTING = "OPENPAL_MAX_OUTPUT_CHARS"


def output_problem(value: Any, max_chars: int, what: str) -> str | None:
    """Why `value` may not be kept as `what` (None: it may): deeper than
    `MAX_OUTPUT_DEPTH` levels, or more than about `max_chars` characters of JSON."""
    size = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if depth > MAX_OUTPUT_DEPTH:
                return f"{what} is nested deeper than {MAX_OUTPUT_DEPTH} levels"
            size += 2
            if isinstance(item, dict):
                for key, inner in item.items():
                    size += len(str(key)) + 4
                    stack.append((inner, depth + 1))
            else:
                size += len(item)
                stack.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, str):
            size += len(item) + 2
        else:  # numbers, booleans, null, and what the encoder will refuse on its own
            size += 8
        if size > max_chars:
            return f"{what} is larger than {max_chars:,} characters of JSON ({SIZE_SETTING})"
    return None
