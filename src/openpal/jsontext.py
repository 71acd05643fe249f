"""JSON text openpal writes (stored values, responses): always RFC 8259.

Python's `json` writes NaN/Infinity (not JSON) and keeps lone surrogates (not UTF-8
encodable). Written here: a non-finite float becomes `null` (as JavaScript's
`JSON.stringify` does), a lone surrogate becomes U+FFFD, and a NUL in plain text that a
PostgreSQL text column cannot hold is written as the six characters `\\u0000`."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def finite(value: Any) -> Any:
    """`value` with every non-finite float replaced by None and every lone surrogate in a
    string (or key) by U+FFFD; other objects are left for the encoder's `default`."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {finite(k) if isinstance(k, str) else k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def dumps(
    value: Any,
    *,
    default: Callable[[Any], Any] | None = None,
    separators: tuple[str, str] | None = (",", ":"),
) -> str:
    """`value` as RFC 8259 JSON text (UTF-8 encodable; no NaN/Infinity)."""
    wrapped = None if default is None else (lambda o: finite(default(o)))
    try:
        text = json.dumps(
            value, ensure_ascii=False, separators=separators, default=default, allow_nan=False
        )
    except ValueError as exc:
        if "float" not in str(exc):  # a circular reference: the caller's problem
            raise
        text = json.dumps(
            finite(value),
            ensure_ascii=False,
            separators=separators,
            default=wrapped,
            allow_nan=False,
        )
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def loads(text: str) -> Any:
    """JSON text openpal wrote, reading NaN/Infinity written by older versions as null."""
    return json.loads(text, parse_constant=lambda _name: None)


def storable_text(text: str) -> str:
    """Plain text (an error, a traceback) a text column of every store can hold: NUL is
    written as the six characters `\\u0000` and a lone surrogate as U+FFFD, so the rest
    of the message survives."""
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text
