"""Server logs: one line per event, human or JSON (`OPENPAL_LOG_FORMAT=json`), carrying
the run id, step, attempt, worker id and request id of whatever the line is about.

Those fields live in context variables, so they follow the work: set once where a
run's execution starts (`bind(run_id=…)`), where a step attempt starts, where a worker
claims, where a request arrives; asyncio tasks and `asyncio.to_thread` calls started
from there inherit them, so a step's own `ctx.logger` lines carry them too.

    openpal.worker: run run_9f… failed at step 'check': ValueError: total mismatch
      (human)  2026-11-30 04:20:01,123 WARNING openpal.worker [run=run_9f… step=check attempt=3]: …
      (json)   {"ts": "2026-11-30T04:20:01.123Z", "level": "WARNING", "logger": "openpal.worker",
                "message": "…", "run_id": "run_9f…", "step": "check", "attempt": 3}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from openpal.engine.dates import iso

__all__ = ["FIELDS", "bind", "configure", "context"]

FIELDS = ("run_id", "step", "attempt", "worker_id", "request_id")
_vars: dict[str, ContextVar[Any]] = {name: ContextVar(f"openpal_log_{name}") for name in FIELDS}


def context() -> dict[str, Any]:
    """The fields bound where the caller runs (absent ones left out)."""
    found = {}
    for name, var in _vars.items():
        value = var.get(None)
        if value is not None:
            found[name] = value
    return found


def set_fields(**fields: Any) -> None:
    """Bind fields for the rest of the current task (and what it starts)."""
    for name, value in fields.items():
        _vars[name].set(value)


@contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Bind fields for the duration of a block."""
    tokens = [(_vars[name], _vars[name].set(value)) for name, value in fields.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class _ContextFilter(logging.Filter):
    """Copies the bound fields onto each record (a field the call passed wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in context().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class HumanFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(where)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        shown = [
            f"{short}={getattr(record, name)}"
            for name, short in (
                ("run_id", "run"),
                ("step", "step"),
                ("attempt", "attempt"),
                ("worker_id", "worker"),
                ("request_id", "request"),
            )
            if getattr(record, name, None) is not None
        ]
        record.where = f" [{' '.join(shown)}]" if shown else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a traceback is one string field (`exc`)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": iso(int(record.created * 1_000_000)),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str, fmt: str = "text") -> None:
    """Log to stderr at `level`, as `text` (human) or `json`; replaces earlier handlers."""
    if fmt not in ("text", "json"):
        raise ValueError(f"log format {fmt!r}: use text or json")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else HumanFormatter())
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
