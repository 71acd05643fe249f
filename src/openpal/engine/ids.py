"""Identifiers: time-ordered, URL-safe, prefixed by kind (`exec_…`, `wf_…`, `key_…`)."""

from __future__ import annotations

import hashlib
import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def _b32(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def new_id(prefix: str, now_micros: int | None = None) -> str:
    """`<prefix>_` + 10 chars of millisecond time + 16 random chars (a ULID, lower-cased)."""
    ms = (now_micros if now_micros is not None else time.time_ns() // 1000) // 1000
    rand = int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_b32(ms, 10)}{_b32(rand, 16)}"


def stable_id(prefix: str, key: str) -> str:
    """The same id for the same key, forever (workflow ids are stable per slug)."""
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:15], "big")
    return f"{prefix}_{_b32(digest, 24)}"
