"""`openpal keys …`: create API keys (printed once, stored hashed)."""

from __future__ import annotations

from pathlib import Path

import click

from openpal.cli._store import data_dir_option, database_url_option, load_settings, with_store
from openpal.service.keys import mint_key
from openpal.settings import Settings
from openpal.store.base import Store


def ensure_first_key(settings: Settings) -> str | None:
    """On an empty database, mint a key, write it to `<data dir>/api-key` (0600)
    and return it; None when keys already exist."""

    async def op(store: Store) -> str | None:
        if await store.count_api_keys() > 0:
            return None
        secret, record = mint_key("default")
        await store.create_api_key(record)
        return secret

    secret = with_store(settings, op)
    if secret is not None:
        write_key_file(settings.api_key_file, secret)
    return secret


def write_key_file(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(secret + "\n", encoding="utf-8")


@click.group()
def keys() -> None:
    """Manage API keys."""


@keys.command("create")
@click.option("--name", default="cli", show_default=True, help="A label to recognise the key.")
@click.option(
    "--tenant",
    default="default",
    show_default=True,
    help="The tenant the key acts for: it sees and starts only that tenant's runs.",
)
@data_dir_option
@database_url_option
def create(name: str, tenant: str, data_dir: Path, database_url: str | None) -> None:
    """Create a key and print it (it is shown only this once)."""
    if not tenant or len(tenant) > 100 or not tenant.replace("-", "").replace("_", "").isalnum():
        raise click.UsageError("--tenant must be 1-100 letters, digits, - or _")
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    secret, record = mint_key(name, tenant)

    async def op(store: Store) -> None:
        await store.create_api_key(record)

    with_store(settings, op)
    click.echo(secret)
