"""The `openpal` command: a group and one module per command group."""

from __future__ import annotations

import click

from openpal import __version__
from openpal.cli.keys import keys
from openpal.cli.runs import run_cmd, runs
from openpal.cli.schedules import schedules
from openpal.cli.serve import db, serve
from openpal.cli.worker import worker
from openpal.cli.workflows import workflows


@click.group()
@click.version_option(__version__, prog_name="openpal")
def cli() -> None:
    """openpal: durable workflow runs behind the EigenPal v1 runs API."""


cli.add_command(serve)
cli.add_command(worker)
cli.add_command(keys)
cli.add_command(db)
cli.add_command(run_cmd)
cli.add_command(runs)
cli.add_command(workflows)
cli.add_command(schedules)


def main() -> None:
    cli()
