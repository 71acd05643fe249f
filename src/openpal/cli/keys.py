"""`openpal keys …`: create API keys (printed once, stored hashed), list and revoke them."""

from __future__ import annotations

from pathlib import Path

import click

from openpal.cli._store import data_dir_option, database_url_option, load_settings, with_store
from openpal.engine.dates import iso
from openpal.errors import NotFound
from openpal.private import private_file
from openpal.service.keys import mint_key, revoke_key
from openpal.settings import Settings
from openpal.store.base import Store
from openpal.store.catalog_records import ApiKeyRecord


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
    private_file(path)
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


@keys.command("list")
@data_dir_option
@database_url_option
def list_keys(data_dir: Path, database_url: str | None) -> None:
    """List keys: id, prefix, tenant, name, created, revoked (never the secret)."""
    settings = load_settings(data_dir=data_dir, database_url=database_url)

    async def op(store: Store) -> list[ApiKeyRecord]:
        return await store.list_api_keys()

    click.echo("ID\tPREFIX\tTENANT\tNAME\tCREATED\tREVOKED")
    for k in with_store(settings, op):
        row = (k.id, k.prefix, k.tenant_id, k.name, iso(k.created_at), iso(k.revoked_at) or "-")
        click.echo("\t".join(str(v) for v in row))


@keys.command("revoke")
@click.argument("key")
@data_dir_option
@database_url_option
def revoke(key: str, data_dir: Path, database_url: str | None) -> None:
    """Revoke KEY (its id, or its prefix as `keys list` shows it): it authenticates
    nothing from now on, in every server process, and its dashboard sessions end."""
    settings = load_settings(data_dir=data_dir, database_url=database_url)

    async def op(store: Store) -> ApiKeyRecord:
        return await revoke_key(store, key)

    try:
        done = with_store(settings, op)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"revoked {done.id} ({done.prefix}…, tenant {done.tenant_id})")
