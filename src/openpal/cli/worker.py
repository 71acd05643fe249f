"""`openpal worker`: execute runs from the shared database, with no HTTP API.

Start as many as you like, on as many machines, next to `openpal serve
--no-worker` API processes on the same PostgreSQL database. SIGTERM or Ctrl-C
drains: running steps finish, checkpoint, and their runs go back to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

import click

from openpal.cli._store import data_dir_option, database_url_option, load_settings
from openpal.cli.serve import (
    concurrency_option,
    log_level_option,
    no_examples_option,
    setup_logging,
    workflows_option,
)
from openpal.settings import Settings

log = logging.getLogger("openpal.worker")


@click.command()
@data_dir_option
@database_url_option
@workflows_option
@no_examples_option
@concurrency_option
@log_level_option
def worker(
    data_dir: Path,
    database_url: str | None,
    workflows_dirs: tuple[Path, ...],
    no_examples: bool,
    concurrency: int | None,
    log_level: str | None,
) -> None:
    """Run workflows from the queue (no API); stop with SIGTERM or Ctrl-C."""
    settings = load_settings(
        data_dir=data_dir,
        database_url=database_url,
        concurrency=concurrency,
        workflows_dirs=workflows_dirs or None,
        log_level=log_level,
        load_examples=False if no_examples else None,
        run_api=False,
    )
    setup_logging(settings)
    click.echo(
        f"openpal worker: {settings.concurrency} at once (data: {settings.describe_database()})"
    )
    try:
        _run(settings)
    except OSError as exc:
        raise click.ClickException(
            f"cannot reach the database at {settings.describe_database()}: {exc}"
        ) from exc


def _run(settings: Settings) -> None:
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    with runner:
        runner.run(_serve_forever(settings))


async def _serve_forever(settings: Settings) -> None:
    from openpal.runtime import Runtime

    runtime = Runtime(settings, workers=True, api=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await runtime.start()
    log.info("worker ready")
    try:
        await stop.wait()
        log.info("stopping: draining running executions")
    finally:
        with contextlib.suppress(asyncio.CancelledError):
            await runtime.stop()
