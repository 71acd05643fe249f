"""`openpal serve` (API + workers in one process) and `openpal db upgrade`."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from openpal.cli.keys import data_dir_option, ensure_first_key
from openpal.settings import Settings, SettingsError
from openpal.store.sqlite_engine import apply_migrations, connect


@click.command()
@click.option("--host", envvar="OPENPAL_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="OPENPAL_PORT", type=int, default=8000, show_default=True)
@data_dir_option
@click.option(
    "--workflows",
    "workflows_dirs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Folder of *.yaml workflows (repeatable; env OPENPAL_WORKFLOWS_DIR).",
)
@click.option("--no-examples", is_flag=True, help="Do not load the bundled example workflows.")
@click.option(
    "--concurrency",
    type=int,
    default=None,
    help="Runs executed at once by this process (env OPENPAL_CONCURRENCY, default 8).",
)
@click.option("--no-worker", is_flag=True, help="Serve the API only; run no workflows here.")
@click.option("--log-level", default=None, help="debug, info, warning, error.")
def serve(
    host: str,
    port: int,
    data_dir: Path,
    workflows_dirs: tuple[Path, ...],
    no_examples: bool,
    concurrency: int | None,
    no_worker: bool,
    log_level: str | None,
) -> None:
    """Serve the API and run workflows, on an embedded database in --data-dir."""
    import uvicorn

    from openpal.api.app import create_app

    try:
        settings = Settings.from_env().with_(
            host=host,
            port=port,
            data_dir=data_dir,
            concurrency=concurrency,
            workflows_dirs=workflows_dirs or None,
            log_level=log_level,
            load_examples=False if no_examples else None,
            run_workers=False if no_worker else None,
        )
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    if settings.concurrency < 1:
        raise click.UsageError("--concurrency must be at least 1")
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    secret = ensure_first_key(settings)
    if secret:
        click.echo(f"Created an API key (saved to {settings.api_key_file}):\n\n    {secret}\n")
    click.echo(
        f"openpal serving on http://{settings.host}:{settings.port}  "
        f"(data: {settings.data_dir.resolve()})"
    )
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@data_dir_option
def upgrade(data_dir: Path) -> None:
    """Apply pending migrations."""
    settings = Settings.from_env().with_(data_dir=data_dir)
    settings.database_path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(settings.database_path)
    try:
        applied = apply_migrations(conn)
    finally:
        conn.close()
    click.echo("applied: " + ", ".join(applied) if applied else "database is up to date")


@db.command("prune")
@data_dir_option
@click.option(
    "--older-than-days",
    type=float,
    default=None,
    help="Delete finished runs completed longer ago than this "
    "(default OPENPAL_RETENTION_DAYS, 30).",
)
def prune_cmd(data_dir: Path, older_than_days: float | None) -> None:
    """Delete finished runs (and their steps) older than the retention age, in batches."""
    import asyncio

    from openpal.service.retention import prune
    from openpal.store.sqlite import SqliteStore

    settings = Settings.from_env().with_(data_dir=data_dir)
    days = settings.retention_days if older_than_days is None else older_than_days
    if days <= 0:
        raise click.UsageError("--older-than-days must be more than 0")

    async def main() -> int:
        store = SqliteStore(settings.database_path)
        try:
            return await prune(store, days)
        finally:
            await store.close()

    click.echo(f"deleted {asyncio.run(main())} runs finished more than {days:g} days ago")
