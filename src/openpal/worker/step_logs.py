"""What a step said while it ran, kept with the run: its `ctx.logger` lines and whatever
it printed to stdout/stderr, bounded per attempt (the last `MAX_CHARS` characters are
kept; what was cut is counted), with secrets masked.

A step attempt runs inside `capture()`; the capture travels in a context variable, so
the logging handler and the stdout/stderr proxies (installed once, on first use) route
a line to the attempt that wrote it, in whatever task or thread it runs (asyncio tasks
and `asyncio.to_thread` copy the context). Lines written outside a step go where they
always went; a step's lines are also still printed and logged as before.

An entry: `{"at": µs, "stream": "log"|"stdout"|"stderr", "level": "INFO"?, "text": …}`.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO

__all__ = ["MAX_CHARS", "StepLog", "capture", "redact"]

MAX_CHARS = 64 * 1024  # characters of one attempt's lines kept (the last ones)
MAX_LINE = 8 * 1024  # one entry's text is cut past this
STEP_LOGGER = "openpal.step"  # `ctx.logger`

_current: ContextVar[StepLog | None] = ContextVar("openpal_step_log", default=None)
_install_lock = threading.Lock()
_installed = False

# API keys (openpal's and the common `sk-…` style), bearer tokens, basic credentials
_SECRETS = re.compile(
    r"\b(opk_[A-Za-z0-9_-]{8,}|sk-[A-Za-z0-9_-]{16,})"
    r"|(?i:(authorization|proxy-authorization)\s*[:=]\s*)([^\s,;]{1,200}(?: [^\s,;]{1,2000})?)"
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with API keys, `Authorization` values and each of `secrets` masked."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "[secret]")
    return _SECRETS.sub(_mask, text)


def _mask(m: re.Match[str]) -> str:
    if m.group(1):
        return m.group(1)[:4] + "…[secret]"
    return f"{m.group(2)}{m.string[m.end(2) : m.start(3)]}[secret]"


class StepLog:
    """The lines of one step attempt, the newest `MAX_CHARS` characters of them."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = tuple(s for s in secrets if isinstance(s, str) and len(s) >= 4)
        self.entries: deque[dict[str, Any]] = deque()
        self.chars = 0
        self.dropped = 0  # entries cut to stay within MAX_CHARS
        self._partial: dict[str, str] = {}  # an unfinished printed line, per stream
        self._lock = threading.Lock()

    def add(self, stream: str, text: str, level: str | None = None) -> None:
        text = redact(text[:MAX_LINE], self.secrets)
        entry: dict[str, Any] = {"at": time.time_ns() // 1000, "stream": stream, "text": text}
        if level is not None:
            entry["level"] = level
        with self._lock:
            self.entries.append(entry)
            self.chars += len(text) + 1  # its line break: a flood of empty lines counts too
            while self.chars > MAX_CHARS and len(self.entries) > 1:
                self.chars -= len(self.entries.popleft()["text"]) + 1
                self.dropped += 1

    def write(self, stream: str, data: str) -> None:
        """Printed text: kept line by line (an unfinished line waits for its end)."""
        pending = self._partial.pop(stream, "") + data
        *lines, rest = pending.split("\n")
        for line in lines:
            self.add(stream, line)
        if rest:
            if len(rest) > MAX_LINE:
                self.add(stream, rest)
            else:
                self._partial[stream] = rest

    def result(self) -> list[dict[str, Any]] | None:
        """The entries to keep (None when the attempt said nothing)."""
        for stream, rest in list(self._partial.items()):
            self.add(stream, rest)
        self._partial.clear()
        if not self.entries and not self.dropped:
            return None
        found = list(self.entries)
        if self.dropped:
            cut = f"[{self.dropped} earlier line(s) not kept: {MAX_CHARS} characters are]"
            found.insert(0, {"at": found[0]["at"] if found else 0, "stream": "log", "text": cut})
        return found


class _Handler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log = _current.get()
        if log is None:
            return
        try:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
        except Exception:  # a bad format string must not fail the step
            text = str(record.msg)
        log.add("log", text, record.levelname)


class _Stream:
    """Stands in for sys.stdout / sys.stderr: a step's writes go to its log too."""

    def __init__(self, name: str, real: TextIO) -> None:
        self._name, self._real = name, real

    def write(self, data: str) -> int:
        log = _current.get()
        if log is not None:
            log.write(self._name, data)
        return self._real.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        logging.getLogger(STEP_LOGGER).addHandler(_Handler())
        sys.stdout = _Stream("stdout", sys.stdout)
        sys.stderr = _Stream("stderr", sys.stderr)
        _installed = True


@contextmanager
def capture(secrets: Iterable[str] = ()) -> Iterator[StepLog]:
    """Keep what the code run inside says (values in `secrets` masked)."""
    _install()
    log = StepLog(secrets)
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)
