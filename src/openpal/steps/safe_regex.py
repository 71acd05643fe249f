"""Regular expressions from workflows, run by RE2: linear time, whatever the pattern.

Python's `re` backtracks (`(a+)+$` on 28 letters takes seconds) and holds the GIL
for a whole search, so a pattern from a workflow or a schema could stall every run
of the process. RE2 (google-re2) has no backtracking: a search is linear in the
text. It has no backreferences (`\\1`, `(?P=name)`), lookaround (`(?=`, `(?!`,
`(?<=`, `(?<!`), possessive or atomic groups; such a pattern is an error that
names the construct. Other differences from `re`: `$` without the `m` flag
matches only at the very end of the text, and `\\d`, `\\w`, `\\s` are ASCII.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]

__all__ = ["RegexError", "compile_safe", "parse_flags"]

_FLAG_LETTERS = "imsx"
_FLAG_SEPARATORS = set("|, ")
_UNSUPPORTED = (
    ("(?=", "lookahead"),
    ("(?!", "negative lookahead"),
    ("(?<=", "lookbehind"),
    ("(?<!", "negative lookbehind"),
    ("(?P=", "a named backreference"),
    ("(?>", "an atomic group"),
    ("(?#", "an inline comment"),
)


class RegexError(ValueError):
    """A pattern RE2 cannot run; the message names the construct."""


def parse_flags(spec: object) -> str:
    """`"i|m"`, `"im"` or `"i, s"` → the flag letters, e.g. `"im"` (ValueError if unknown)."""
    letters = ""
    for letter in str(spec or ""):
        if letter in _FLAG_SEPARATORS:
            continue
        if letter not in _FLAG_LETTERS:
            raise ValueError(f"unknown regex flag {letter!r} (use i, m, s, x)")
        if letter not in letters:
            letters += letter
    return "".join(sorted(letters))


def compile_safe(pattern: str, flags: str = "", max_chars: int | None = None) -> Any:
    """`pattern` compiled by RE2 with `flags` (letters of `imsx`); `RegexError` if it is
    longer than `max_chars` or uses what RE2 lacks (backreferences, lookaround)."""
    if max_chars is not None and len(pattern) > max_chars:
        raise RegexError(
            f"pattern is {len(pattern)} characters; the limit is {max_chars}"
            " (OPENPAL_REGEX_MAX_PATTERN_CHARS)"
        )
    return _compile(pattern, flags)


@lru_cache(maxsize=1024)
def _compile(pattern: str, flags: str) -> Any:
    source = _strip_verbose(pattern) if "x" in flags else pattern
    inline = flags.replace("x", "")
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(f"(?{inline}){source}" if inline else source, options)
    except re2.error as exc:
        raise RegexError(_explain(source, exc)) from None


def _explain(pattern: str, exc: Exception) -> str:
    detail = exc.args[0] if exc.args else exc
    reason = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    for token, name in _UNSUPPORTED:
        if token in pattern:
            return f"{name} ({token}…) is not supported: patterns run in linear time (RE2)"
    if "invalid escape sequence: \\" in reason and reason[-1:].isdigit():
        return (
            f"a backreference ({reason.rsplit(': ', 1)[-1]}) is not supported:"
            " patterns run in linear time (RE2)"
        )
    return f"invalid regular expression: {reason}"


def _strip_verbose(pattern: str) -> str:
    """The `x` flag: whitespace and `#` comments outside classes and escapes removed.
    A `]` first in a class (`[]a]`, `[^]a]`) is a literal, as in `re` and RE2."""
    out: list[str] = []
    in_class = escaped = in_comment = False
    class_start = 0  # index in `out` where the current class's members begin
    for char in pattern:
        if in_comment:
            in_comment = char != "\n"
        elif escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif in_class:
            if char == "^" and len(out) == class_start and out[-1] == "[":
                class_start += 1
            else:
                in_class = char != "]" or len(out) == class_start
            out.append(char)
        elif char == "[":
            out.append(char)
            in_class = True
            class_start = len(out)
        elif char == "#":
            in_comment = True
        elif not char.isspace():
            out.append(char)
    return "".join(out)
