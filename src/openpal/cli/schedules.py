"""`openpal schedules list|pause|resume`: the cron schedules of workflows (`triggers:`),
read and changed in the database directly, like `openpal keys` (no server needed; every
server process sees a pause at its next look, within a second)."""

from __future__ import annotations

from pathlib import Path

import click

from openpal.cli._store import data_dir_option, database_url_option, load_settings, with_store
from openpal.engine.dates import iso
from openpal.errors import NotFound
from openpal.service.schedules import schedule_rows, set_paused
from openpal.store.base import Store
from openpal.store.catalog_records import ScheduleRecord


@click.group()
def schedules() -> None:
    """List, pause and resume cron schedules."""


def _target(text: str) -> tuple[str, int | None]:
    """`slug` (every schedule of the workflow) or `slug/<n>` (its n-th trigger, from 0)."""
    slug, slash, number = text.partition("/")
    if not slash:
        return slug, None
    if not number.isdigit():
        raise click.UsageError(f"{text!r}: expected WORKFLOW or WORKFLOW/N (N from 0)")
    return slug, int(number)


def _echo(rows: list[tuple[str, ScheduleRecord]]) -> None:
    click.echo("SCHEDULE\tCRON\tTIMEZONE\tSTATE\tNEXT\tLAST FIRED\tLAST RUN")
    for name, s in rows:
        state = "paused" if s.paused else "active"
        row = (
            name,
            s.cron,
            s.timezone,
            state,
            "-" if s.paused else iso(s.next_fire_at),
            iso(s.last_fired_at) or "-",
            s.last_run_id or "-",
        )
        click.echo("\t".join(str(v) for v in row))


@schedules.command("list")
@click.argument("workflow", required=False)
@data_dir_option
@database_url_option
def list_schedules(workflow: str | None, data_dir: Path, database_url: str | None) -> None:
    """List schedules (of WORKFLOW, or of every workflow) with their next fire time (UTC).

    Schedules are stored by a running `openpal serve` or `openpal worker` when it loads
    a workflow version with `triggers:`."""
    settings = load_settings(data_dir=data_dir, database_url=database_url)

    async def op(store: Store) -> list[tuple[str, ScheduleRecord]]:
        return list(await schedule_rows(store, workflow))

    try:
        _echo(with_store(settings, op))
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc


def _set(target: str, paused: bool, data_dir: Path, database_url: str | None) -> None:
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    slug, index = _target(target)

    async def op(store: Store) -> list[tuple[str, ScheduleRecord]]:
        await set_paused(store, slug, index, paused)
        return list(await schedule_rows(store, slug))

    try:
        _echo(with_store(settings, op))
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc


@schedules.command("pause")
@click.argument("target", metavar="WORKFLOW[/N]")
@data_dir_option
@database_url_option
def pause(target: str, data_dir: Path, database_url: str | None) -> None:
    """Pause every schedule of WORKFLOW, or only its N-th (from 0): no runs until resumed."""
    _set(target, True, data_dir, database_url)


@schedules.command("resume")
@click.argument("target", metavar="WORKFLOW[/N]")
@data_dir_option
@database_url_option
def resume(target: str, data_dir: Path, database_url: str | None) -> None:
    """Resume schedules: the next run is at the first tick after now (ticks that fell
    in the pause are not caught up)."""
    _set(target, False, data_dir, database_url)
