"""Options and helpers shared by commands that open the database themselves."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from openpal.private import private_dir
from openpal.settings import Settings, SettingsError
from openpal.store.base import Store
from openpal.store.factory import make_store

T = TypeVar("T")

data_dir_option = click.option(
    "--data-dir",
    envvar="OPENPAL_DATA_DIR",
    type=click.Path(path_type=Path),
    default=".openpal",
    show_default=True,
    help="Database (SQLite), files and the first API key.",
)

database_url_option = click.option(
    "--database-url",
    default=None,
    metavar="URL",
    help="postgresql://user:pass@host:port/db (env OPENPAL_DATABASE_URL); "
    "unset: the SQLite file in --data-dir.",
)


def load_settings(**changes: Any) -> Settings:
    """Settings from the environment with the command's flags (None: unset) on top."""
    try:
        return Settings.from_env().with_(**changes)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc


def with_store(settings: Settings, op: Callable[[Store], Awaitable[T]]) -> T:
    """Open the store (migrating it), run `op`, close it; errors become CLI errors."""

    async def main() -> T:
        store = make_store(
            settings.database_url, settings.database_path, pool_size=settings.db_pool_size
        )
        await store.open()
        try:
            return await op(store)
        finally:
            await store.close()

    if settings.database_url is None:
        private_dir(settings.database_path.parent)
    try:
        return asyncio.run(main())
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(
            f"cannot reach the database at {settings.describe_database()}: {exc}"
        ) from exc
