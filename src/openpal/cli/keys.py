"""`openpal keys …`: create API keys (printed once, stored hashed)."""

from __future__ import annotations

from pathlib import Path

import click

from openpal.service.keys import mint_key
from openpal.settings import Settings
from openpal.store.sqlite import SqliteStore


def ensure_first_key(settings: Settings) -> str | None:
    """On an empty data folder, mint a key, write it to `<data dir>/api-key` (0600)
    and return it; None when keys already exist."""
    store = SqliteStore(settings.database_path)
    try:
        if store.count_api_keys_sync() > 0:
            return None
        secret, record = mint_key("default")
        store.create_api_key_sync(record)
    finally:
        store.db.close()
    write_key_file(settings.api_key_file, secret)
    return secret


def write_key_file(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(secret + "\n", encoding="utf-8")


data_dir_option = click.option(
    "--data-dir",
    envvar="OPENPAL_DATA_DIR",
    type=click.Path(path_type=Path),
    default=".openpal",
    show_default=True,
    help="Database, files and the first API key.",
)


@click.group()
def keys() -> None:
    """Manage API keys."""


@keys.command("create")
@click.option("--name", default="cli", show_default=True, help="A label to recognise the key.")
@data_dir_option
def create(name: str, data_dir: Path) -> None:
    """Create a key and print it (it is shown only this once)."""
    settings = Settings.from_env().with_(data_dir=data_dir)
    store = SqliteStore(settings.database_path)
    try:
        secret, record = mint_key(name)
        store.create_api_key_sync(record)
    finally:
        store.db.close()
    click.echo(secret)
