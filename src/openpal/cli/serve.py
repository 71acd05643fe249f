"""`openpal serve` (API, and workers unless --no-worker) and `openpal db …`."""

from __future__ import annotations

from pathlib import Path

import click

from openpal import logs, tracing
from openpal.cli._store import data_dir_option, database_url_option, load_settings, with_store
from openpal.cli.keys import ensure_first_key
from openpal.private import private_dir
from openpal.settings import Settings
from openpal.store.base import Store

workflows_option = click.option(
    "--workflows",
    "workflows_dirs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Folder of *.yaml workflows (repeatable; env OPENPAL_WORKFLOWS_DIR).",
)
no_examples_option = click.option(
    "--no-examples", is_flag=True, help="Do not load the bundled example workflows."
)
concurrency_option = click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Runs executed at once by this process (env OPENPAL_CONCURRENCY, default 8).",
)
log_level_option = click.option("--log-level", default=None, help="debug, info, warning, error.")


def setup_logging(settings: Settings) -> None:
    """Server logs as configured, and OpenTelemetry traces when `OTEL_*` asks for them."""
    logs.configure(settings.log_level, settings.log_format)
    tracing.configure()


@click.command()
@click.option("--host", envvar="OPENPAL_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="OPENPAL_PORT", type=int, default=8000, show_default=True)
@data_dir_option
@database_url_option
@workflows_option
@no_examples_option
@concurrency_option
@click.option("--no-worker", is_flag=True, help="Serve the API only; run no workflows here.")
@log_level_option
def serve(
    host: str,
    port: int,
    data_dir: Path,
    database_url: str | None,
    workflows_dirs: tuple[Path, ...],
    no_examples: bool,
    concurrency: int | None,
    no_worker: bool,
    log_level: str | None,
) -> None:
    """Serve the API and run workflows (SQLite in --data-dir unless a database URL is set)."""
    import uvicorn

    from openpal.api.answered import KeepAlive
    from openpal.api.app import create_app
    from openpal.api.connections import guarded_protocol

    settings = load_settings(
        host=host,
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        concurrency=concurrency,
        workflows_dirs=workflows_dirs or None,
        log_level=log_level,
        load_examples=False if no_examples else None,
        run_workers=False if no_worker else None,
    )
    setup_logging(settings)
    secret = ensure_first_key(settings)
    if secret:
        click.echo(f"Created an API key (saved to {settings.api_key_file}):\n\n    {secret}\n")
    role = "API only" if not settings.run_workers else f"API + {settings.concurrency} workers"
    click.echo(
        f"openpal serving on http://{settings.host}:{settings.port}  ({role};"
        f" data: {settings.describe_database()})\n"
        f"dashboard: http://{settings.host}:{settings.port}/  (sign in with an API key)"
    )
    app = KeepAlive(create_app(settings))  # a failure already answered keeps its connection
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        http=guarded_protocol(settings),  # header/body timeouts, connections per client
    )


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@data_dir_option
@database_url_option
def upgrade(data_dir: Path, database_url: str | None) -> None:
    """Apply pending migrations (safe while other openpal processes start or run)."""
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    if settings.database_url:
        import asyncio

        from openpal.store.pg_engine import migrate

        try:
            applied = asyncio.run(migrate(settings.database_url))
        except OSError as exc:
            raise click.ClickException(
                f"cannot reach the database at {settings.describe_database()}: {exc}"
            ) from exc
    else:
        from openpal.store.sqlite_engine import apply_migrations, connect

        private_dir(settings.database_path.parent)
        conn = connect(settings.database_path)
        try:
            applied = apply_migrations(conn)
        finally:
            conn.close()
    click.echo("applied: " + ", ".join(applied) if applied else "database is up to date")


@db.command("prune")
@data_dir_option
@database_url_option
@click.option(
    "--older-than-days",
    type=float,
    default=None,
    help="Delete finished runs completed longer ago than this "
    "(default OPENPAL_RETENTION_DAYS, 30).",
)
@click.option(
    "--file-grace-seconds",
    type=float,
    default=3600.0,
    show_default=True,
    help="Keep unreferenced files younger than this (an upload precedes its run).",
)
def prune_cmd(
    data_dir: Path,
    database_url: str | None,
    older_than_days: float | None,
    file_grace_seconds: float,
) -> None:
    """Delete finished runs (and their steps) and uploaded files older than the retention
    age, in batches, then the stored files nothing refers to any more."""
    from openpal.blobs.factory import make_blob_store
    from openpal.service.retention import collect_files, prune, prune_files

    settings = load_settings(data_dir=data_dir, database_url=database_url)
    days = settings.retention_days if older_than_days is None else older_than_days
    if days <= 0:
        raise click.UsageError("--older-than-days must be more than 0")
    if file_grace_seconds < 0:
        raise click.UsageError("--file-grace-seconds must be at least 0")

    async def op(store: Store) -> tuple[int, int, int]:
        blobs = make_blob_store(
            store,
            settings.blobs_dir,
            postgres=settings.database_url is not None,
            kind=settings.blob_store,
        )
        runs = await prune(store, days)
        uploads = await prune_files(store, days)
        return runs, uploads, await collect_files(store, blobs, grace_seconds=file_grace_seconds)

    runs, uploads, files = with_store(settings, op)
    also = f" ({uploads} uploaded files created before then)" if uploads else ""
    click.echo(
        f"deleted {runs} runs finished more than {days:g} days ago{also}, and {files} unused files"
    )
