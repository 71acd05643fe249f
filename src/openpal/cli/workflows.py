"""`openpal workflows list|get`."""

from __future__ import annotations

import click
from rich.table import Table

from openpal.cli._sdk import client, connection_options, echo_json, out_console, to_plain


@click.group("workflows")
def workflows() -> None:
    """Workflows on the server."""


@workflows.command("list")
@click.option("--json", "as_json", is_flag=True)
@connection_options
def list_cmd(as_json: bool, api_key: str | None, base_url: str | None) -> None:
    """Every workflow."""
    with client(api_key, base_url) as c:
        page = c.workflows.list(limit=100)
    if as_json:
        echo_json([to_plain(w) for w in page.data])
        return
    table = Table()
    for col in ("slug", "id", "version", "description"):
        table.add_column(col)
    for w in page.data:
        table.add_row(w.slug or "", w.id, w.version or "", w.description or "")
    out_console().print(table)


@workflows.command("get")
@click.argument("workflow")
@click.option("--json", "as_json", is_flag=True)
@connection_options
def get_cmd(workflow: str, as_json: bool, api_key: str | None, base_url: str | None) -> None:
    """A workflow (id or slug) and its YAML."""
    with client(api_key, base_url) as c:
        wf = c.workflows.get(workflow)
    if as_json:
        echo_json(wf)
    else:
        click.echo(f"{wf.slug} {wf.id} version {wf.version}\n")
        click.echo(wf.yaml_content or "")
