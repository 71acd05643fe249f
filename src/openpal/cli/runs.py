"""`openpal run …` and `openpal runs list|get|cancel|watch`: on top of the SDK only."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table

from openpal.cli._sdk import client, connection_options, echo_json, exit_for, out_console
from openpal.client import EigenpalClient, Run

_COLOURS = {
    "completed": "green",
    "failed": "red",
    "cancelled": "yellow",
    "rejected": "magenta",
    "running": "cyan",
    "skipped": "dim",
    "not_run": "dim",
    "pending": "white",
}


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def build_input(
    inputs: tuple[str, ...], input_json: str | None, files: tuple[str, ...]
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if input_json:
        try:
            loaded = json.loads(input_json)
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--input-json") from exc
        if not isinstance(loaded, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--input-json")
        data.update(loaded)
    for item in inputs:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not key=value", param_hint="--input")
        data[key] = _parse_value(value)
    for item in files:
        key, sep, value = item.partition("=@")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not key=@path", param_hint="--file")
        path = Path(value)
        if not path.is_file():
            raise click.BadParameter(f"{value}: no such file", param_hint="--file")
        data[key] = path
    return data


def steps_table(run: Run) -> Table:
    table = Table(title=f"{run.id}  {run.status}", title_justify="left")
    for col in ("step", "status", "attempts", "ms"):
        table.add_column(col)
    for s in run.steps or ():
        colour = _COLOURS.get(s.status, "white")
        table.add_row(
            s.step_name,
            f"[{colour}]{s.status}[/]",
            str(s.attempts),
            "" if s.duration_ms is None else str(s.duration_ms),
        )
    return table


def print_step_logs(run: Run) -> None:
    """What each step logged or printed, and the traceback of a failed one."""
    for s in run.steps or ():
        if not s.logs and not s.traceback:
            continue
        click.echo(f"--- {s.step_name} ({s.status}, attempt {s.attempts})")
        for line in s.logs:
            at = iso_clock(line.get("at"))
            click.echo(f"{at} {line.get('level') or line.get('stream')} {line.get('text')}")
        if s.traceback:
            click.echo(s.traceback.rstrip())


def iso_clock(micros: Any) -> str:
    """`HH:MM:SS.mmm` (UTC) of a µs timestamp."""
    if not isinstance(micros, int):
        return "--:--:--"
    seconds, rest = divmod(micros, 1_000_000)
    return time.strftime("%H:%M:%S", time.gmtime(seconds)) + f".{rest // 1000:03d}"


def watch_run(c: EigenpalClient, run_id: str, *, live: bool, interval: float = 0.3) -> Run:
    """Poll the run (with its steps) until it ends, showing progress on a terminal."""
    console = Console(stderr=True)
    run = c.runs.get(run_id, include="detail").run
    if not live or not console.is_terminal:
        while not run.terminal:
            time.sleep(interval)
            run = c.runs.get(run_id, include="detail").run
        return run
    with Live(steps_table(run), console=console, refresh_per_second=8) as display:
        while not run.terminal:
            time.sleep(interval)
            run = c.runs.get(run_id, include="detail").run
            display.update(steps_table(run))
    return run


def report(run: Run, as_json: bool) -> None:
    if as_json:
        echo_json(run)
    else:
        click.echo(f"{run.id} {run.status}")
        if run.output is not None:
            click.echo(json.dumps(run.output, indent=2, ensure_ascii=False, default=str))
        if run.error:
            click.echo(f"error: {run.error}", err=True)


@click.command("run")
@click.argument("target")
@click.option(
    "--input", "inputs", multiple=True, help="key=value (value parsed as JSON if it can be)."
)
@click.option("--input-json", default=None, help="A JSON object of inputs.")
@click.option("--file", "files", multiple=True, help="key=@path: a file input.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the run to end.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@connection_options
def run_cmd(
    target: str,
    inputs: tuple[str, ...],
    input_json: str | None,
    files: tuple[str, ...],
    wait: bool,
    as_json: bool,
    api_key: str | None,
    base_url: str | None,
) -> None:
    """Start a run of TARGET (workflows.<slug>); exit 0 completed, 1 failed, 3 cancelled,
    4 rejected, 5 timeout, 6 API error, 2 usage error."""
    data = build_input(inputs, input_json, files)
    with client(api_key, base_url) as c:
        started = c.run(target, data)
        if not wait:
            if as_json:
                echo_json(started)
            else:
                click.echo(f"{started.id} {started.status}")
            return
        final = watch_run(c, started.id, live=not as_json)
        report(final, as_json)
    exit_for(final.status, final.error_code)


@click.group("runs")
def runs() -> None:
    """List, inspect, follow and cancel runs."""


@runs.command("list")
@click.option("--type", "type_", default=None)
@click.option("--source", default=None, help="Workflow id or slug (comma-separated).")
@click.option("--status", default=None, help="Statuses, comma-separated.")
@click.option("--from", "from_date", default=None, help="ISO-8601 or now()-7d.")
@click.option("--to", "to_date", default=None)
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--offset", type=int, default=None)
@click.option("--json", "as_json", is_flag=True)
@connection_options
def list_cmd(
    type_: str | None,
    source: str | None,
    status: str | None,
    from_date: str | None,
    to_date: str | None,
    limit: int,
    offset: int | None,
    as_json: bool,
    api_key: str | None,
    base_url: str | None,
) -> None:
    """Runs, newest first."""
    with client(api_key, base_url) as c:
        page = c.runs.list(
            type=type_,
            source=source,
            status=status,
            from_date=from_date,
            to_date=to_date,
            limit=limit,
            offset=offset,
        )
    if as_json:
        echo_json({"runs": [r.raw for r in page.runs], "nextCursor": page.next_cursor})
        return
    table = Table()
    for col in ("id", "workflow", "status", "trigger", "created", "ms"):
        table.add_column(col)
    for r in page.runs:
        colour = _COLOURS.get(r.status, "white")
        table.add_row(
            r.id,
            r.source_name or "",
            f"[{colour}]{r.status}[/]",
            r.trigger_type or "",
            r.created_at or "",
            "" if r.duration_ms is None else str(r.duration_ms),
        )
    out_console().print(table)


@runs.command("get")
@click.argument("run_id")
@click.option("--detail", is_flag=True, help="Include input and per-step executions.")
@click.option("--json", "as_json", is_flag=True)
@connection_options
def get_cmd(
    run_id: str, detail: bool, as_json: bool, api_key: str | None, base_url: str | None
) -> None:
    """One run."""
    with client(api_key, base_url) as c:
        run = c.runs.get(run_id, include="detail" if detail else None).run
    if as_json:
        echo_json(run.raw)
    elif detail:
        out_console().print(steps_table(run))
        print_step_logs(run)
        print_family(run)
        report(run, False)
    else:
        report(run, False)


def print_family(run: Run) -> None:
    """The run's parent and child runs (`workflow.invoke`), when it has any."""
    if run.parent_execution_id:
        click.echo(f"parent run: {run.parent_execution_id}")
    for child in run.raw.get("childExecutions") or []:
        said = [child.get(k) for k in ("id", "workflow", "status", "error") if child.get(k)]
        click.echo("child run: " + " ".join(str(x) for x in said))


@runs.command("cancel")
@click.argument("run_id")
@connection_options
def cancel_cmd(run_id: str, api_key: str | None, base_url: str | None) -> None:
    """Cancel a run (idempotent)."""
    with client(api_key, base_url) as c:
        result = c.runs.cancel(run_id)
    click.echo(
        f"{result['id']} {result['status']}"
        + (" (cancel requested)" if result.get("status") in ("running", "finalizing") else "")
    )


@runs.command("watch")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True)
@connection_options
def watch_cmd(run_id: str, as_json: bool, api_key: str | None, base_url: str | None) -> None:
    """Follow a run until it ends; exits like `openpal run`."""
    with client(api_key, base_url) as c:
        final = watch_run(c, run_id, live=not as_json)
    if not as_json:
        print_step_logs(final)
    report(final, as_json)
    exit_for(final.status, final.error_code)
