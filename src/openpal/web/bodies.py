"""Request bodies read with their limits enforced while reading, and JSON parsed into a
400 envelope (never a 500) whatever the bytes are.

JSON is RFC 8259 strict: UTF-8 only, no NaN/Infinity, no lone surrogates (escaped or
not), nesting at most `MAX_JSON_DEPTH` deep, integers within `MAX_JSON_INT` and floats
finite, at most `MAX_JSON_VALUES` values; anything else is a 400 naming the field (or
its JSON path). The checks are C-speed scans; a body over `OFFLOAD_BYTES` is parsed in
a worker process (`load_json`), a smaller one on the event loop."""

from __future__ import annotations

import asyncio
import json
import math
import operator
import re
from collections.abc import AsyncIterable
from itertools import accumulate, count
from typing import Any, NoReturn

from starlette.requests import Request

from openpal.errors import InvalidInput, Issue, PayloadTooLarge, RateLimited

MAX_JSON_BODY = 8 * 1024 * 1024  # a JSON request body; bigger inputs belong in files
MAX_JSON_DEPTH = 64  # arrays/objects inside one another; real inputs nest a few levels
MAX_JSON_INT = 2**63  # integers must lie strictly between -2**63 and 2**63 (64-bit)
# Array elements and object members in one body: parsing runs on the event loop, and
# 8 MiB of tiny values took seconds (100,000 take ~0.1 s at worst). Bigger data: files.
MAX_JSON_VALUES = 100_000
# A body bigger than this is parsed in a worker process (`load_json`): even the C-speed
# checks and `json.loads` of 8 MiB hold the GIL for 50-200 ms, a stall for every other
# request; a sender of big bodies waits for the few workers instead.
OFFLOAD_BYTES = 256 * 1024
OFFLOAD_AT_ONCE = 2  # big bodies parsed at once per process (others queue)
OFFLOAD_WAITING = 16  # big bodies queued for parsing per process (past it: 429, retry)
OFFLOAD_SECONDS = 10.0
OFFLOAD_MEMORY_MB = 1024

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_OPEN_CLOSE = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")  # 1 + (+1 open | -1 close)
_NOT_BRACKET = bytes(c for c in range(256) if c not in b"[]{}")
# A number that may lie outside openpal's bounds has 19 digits in a row (an integer of 18
# digits lies within 2**63; a float needs 309 digits or a 3-digit exponent to overflow)
# or a 3-digit exponent: found with a translation and substring searches (C speed).
_NUMBER_CHARS = bytes(
    ord("0") if 48 <= c <= 57 else ord("e") if c in b"eE" else ord("+") if c in b"+-" else 32
    for c in range(256)
)
_LONG_NUMBER = (b"0" * 19, b"e000", b"e+000")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


async def read_bounded(request: Request, limit: int, what: str = "<body>") -> bytes:
    """The request body, refusing (413) as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"{what}: over the {limit}-byte limit", issues=too_big(what, limit))
    return await collect_bounded(request.stream(), limit, what)


async def collect_bounded(chunks: AsyncIterable[bytes], limit: int, what: str) -> bytes:
    """`chunks` joined, refusing (413 naming `what`) as soon as they pass `limit` bytes."""
    parts, size = [], 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"{what}: over the {limit}-byte limit", issues=too_big(what, limit)
            )
        parts.append(chunk)
    return b"".join(parts)


def too_big(what: str, limit: int) -> list[Issue]:
    return [Issue(what, f"over the {limit}-byte limit", "payload_too_large")]


class _Refused(ValueError):
    """A JSON value RFC 8259 (or openpal's bounds) does not allow."""


def _bad(where: str, message: str) -> NoReturn:
    raise InvalidInput([Issue(where, message, "invalid_json")]) from None


def _too_many(where: str) -> NoReturn:
    _bad(
        where,
        f"JSON holds more than {MAX_JSON_VALUES} values (array elements and object members):"
        " send bigger data as a file",
    )


def _shape(data: bytes) -> tuple[int, int]:
    """Opening brackets and commas."""
    return data.count(b"[") + data.count(b"{"), data.count(b",")


def _long_number(data: bytes) -> bool:
    """Whether a number in `data` may lie outside openpal's bounds."""
    numbers = data.translate(_NUMBER_CHARS)
    return any(mark in numbers for mark in _LONG_NUMBER)


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def _integer(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > 19 or not -MAX_JSON_INT < int(text) < MAX_JSON_INT:
        shown = text if len(text) <= 24 else f"{text[:20]}… ({len(digits)} digits)"
        raise _Refused(
            f"integer {shown} is out of range: integers must lie between -2**63 and 2**63"
            " (send bigger ones as strings)"
        )
    return int(text)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 24 else text[:20] + "…"
        raise _Refused(f"number {shown} is out of the range of a 64-bit float")
    return value


def json_depth(data: bytes) -> int:
    """How deeply arrays and objects nest in JSON `data` (strings skipped), without
    recursion and at C speed: each bracket is 2 (open) or 0 (close), so the running sum
    less the count so far is the depth."""
    steps = (_STRING.sub(b"", data) if b'"' in data else data).translate(_OPEN_CLOSE, _NOT_BRACKET)
    return max(map(operator.sub, accumulate(steps), count(1)), default=0)


def _lone_surrogate(value: Any, path: str) -> str | None:
    """The JSON path of the first string (or key) in `value` holding a lone surrogate."""
    if isinstance(value, str):
        return path if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _SURROGATE.search(key):
                return path
            found = _lone_surrogate(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _lone_surrogate(item, f"{path}[{i}]")
            if found:
                return found
    return None


def parse_json(text: str | bytes, where: str) -> Any:
    """JSON (RFC 8259, within openpal's bounds), or a 400 naming `where`."""
    if isinstance(text, bytes | bytearray):
        data = bytes(text)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            _bad(where, f"not valid UTF-8 at byte {exc.start}: JSON must be UTF-8")
    elif _SURROGATE.search(text):
        _bad(where, "holds a lone UTF-16 surrogate: not valid Unicode text")
    else:
        data = text.encode("utf-8")
    text = text.removeprefix("\ufeff")  # RFC 8259 §8.1: a parser may ignore a BOM
    # The checks below run on the event loop: C-speed scans, no Python call per value
    # (an 8 MiB body of integers took 5 s with a hook per number, 1.5 s deeply nested),
    # strings cut out only where what they hold could change the outcome.
    strings = (data.count(b'"') - data.count(b'\\"')) // 2  # a key and a value a member
    if strings > 2 * MAX_JSON_VALUES:
        _too_many(where)
    containers, commas = _shape(data)
    stripped = False
    if strings and (containers + commas > MAX_JSON_VALUES or containers > MAX_JSON_DEPTH):
        data, stripped = _STRING.sub(b"", data), True
        containers, commas = _shape(data)
    if containers + commas > MAX_JSON_VALUES:
        _too_many(where)
    if containers > MAX_JSON_DEPTH and json_depth(data) > MAX_JSON_DEPTH:
        _bad(where, f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
    hooks: dict[str, Any] = {"parse_constant": _constant}
    if _long_number(data) and (stripped or not strings or _long_number(_STRING.sub(b"", data))):
        hooks.update(parse_int=_integer, parse_float=_number)  # numbers to check one by one
    try:
        value = json.loads(text, **hooks)
    except _Refused as exc:
        _bad(where, str(exc))
    except ValueError as exc:
        _bad(where, f"not valid JSON: {exc}")
    except RecursionError:
        _bad(where, f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
    if _ESCAPED_SURROGATE.search(text):
        path = _lone_surrogate(value, where)
        if path is not None:
            _bad(path, "holds a lone UTF-16 surrogate (\\ud800 to \\udfff): not valid Unicode text")
    return value


_offloads: asyncio.Semaphore | None = None
_waiting = 0  # big bodies parsing or queued in this process


async def load_json(data: str | bytes, where: str) -> Any:
    """`parse_json` for a request body that may be big: one over `OFFLOAD_BYTES` is
    parsed in a killable worker process (at most `OFFLOAD_AT_ONCE` at a time), so the
    event loop serves everyone else meanwhile. At most `OFFLOAD_WAITING` more wait, each
    holding its body: past that the request is answered 429 (retry in a second)."""
    global _offloads, _waiting
    if len(data) <= OFFLOAD_BYTES:
        return parse_json(data, where)
    if _waiting >= OFFLOAD_AT_ONCE + OFFLOAD_WAITING:
        raise RateLimited(
            f"{_waiting} big JSON bodies (over {OFFLOAD_BYTES // 1024} KiB) are being read"
            " in this process already; retry in a second"
        )
    from openpal.steps.sandbox import (
        SandboxCrashed,
        SandboxOutOfMemory,
        SandboxTimeout,
        run_killable,
    )

    if _offloads is None:
        _offloads = asyncio.Semaphore(OFFLOAD_AT_ONCE)
    _waiting += 1
    try:
        async with _offloads:
            ok, found = await asyncio.to_thread(
                run_killable, _parse_apart, (data, where), seconds=OFFLOAD_SECONDS,
                preload=["openpal.web.bodies"], memory_mb=OFFLOAD_MEMORY_MB,
            )  # fmt: skip
    except (SandboxTimeout, SandboxCrashed, SandboxOutOfMemory) as exc:
        _bad(where, f"JSON could not be read within openpal's limits ({exc})")
    finally:
        _waiting -= 1
    if not ok:
        raise InvalidInput([Issue(*issue) for issue in found])
    return found


def _parse_apart(data: str | bytes, where: str) -> tuple[bool, Any]:
    """In the worker: (True, the value) or (False, the issues as tuples, which pickle)."""
    try:
        return True, parse_json(data, where)
    except InvalidInput as exc:
        return False, [(i.field, i.message, i.code) for i in exc.issues]
