"""Shared CLI plumbing: the SDK client from flags/env, exit codes, JSON output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from typing import Any, TypeVar

import click
from rich.console import Console

from openpal.client import EigenpalClient, EigenpalError, EigenpalTimeoutError
from openpal.settings import Settings

# Exit codes scripts can rely on (2 is click's usage error).
EXIT = {"completed": 0, "failed": 1, "cancelled": 3, "rejected": 4, "timeout": 5, "error": 6}

F = TypeVar("F", bound=Callable[..., Any])


def connection_options(func: F) -> F:
    """--api-key / --base-url, falling back to the SDK's environment variables (and, for
    the key, to `<data dir>/api-key`)."""
    func = click.option(
        "--base-url", default=None, help="Server URL (env EIGENPAL_BASE_URL / OPENPAL_BASE_URL)."
    )(func)
    return click.option(
        "--api-key",
        default=None,
        help="API key (env EIGENPAL_API_KEY / OPENPAL_API_KEY; else <data dir>/api-key).",
    )(func)


def saved_key() -> str | None:
    """The key `openpal serve` wrote to `<data dir>/api-key` (OPENPAL_DATA_DIR, default
    `.openpal`), when no key is given by flag or environment."""
    if any(os.environ.get(name) for name in ("EIGENPAL_API_KEY", "OPENPAL_API_KEY")):
        return None
    try:
        return Settings.from_env().api_key_file.read_text().strip() or None
    except OSError:
        return None


@contextmanager
def client(api_key: str | None, base_url: str | None) -> Iterator[EigenpalClient]:
    """An SDK client; API errors become a message on stderr and exit code 6. The key:
    `--api-key`, else the environment, else the one the server saved in the data folder."""
    try:
        c = EigenpalClient(api_key=api_key or saved_key(), base_url=base_url)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        with c:
            yield c
    except EigenpalTimeoutError as exc:
        click.echo(f"timeout: {exc}", err=True)
        sys.exit(EXIT["timeout"])
    except EigenpalError as exc:
        rid = f" (request {exc.request_id})" if exc.request_id else ""
        click.echo(f"error: {exc}{rid}", err=True)
        for issue in exc.issues[1:]:
            click.echo(f"  {issue.get('field')}: {issue.get('message')}", err=True)
        sys.exit(EXIT["error"])


def out_console() -> Console:
    """stdout; wide when piped, so ids and times are never cut."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def to_plain(value: Any) -> Any:
    """What `--json` prints, in the wire's camelCase everywhere: an SDK object as the
    server sent it (`raw`), else its fields renamed (never the keys of user data)."""
    raw = getattr(value, "raw", None)
    if isinstance(raw, dict) and raw:
        return raw
    if is_dataclass(value) and not isinstance(value, type):
        data = asdict(value)
        data.pop("raw", None)
        return {_camel(k): v for k, v in data.items()}
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(to_plain(value), indent=2, default=str, ensure_ascii=False))


def exit_for(status: str, error_code: str | None = None) -> None:
    """The exit code of a run that ended: a run failed over its deadline exits 5."""
    if status == "failed" and error_code == "deadline_exceeded":
        sys.exit(EXIT["timeout"])
    sys.exit(EXIT.get(status, EXIT["error"]))
