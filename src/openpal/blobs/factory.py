"""Pick the blob store that goes with a store: files live next to the database."""

from __future__ import annotations

from pathlib import Path

from openpal.blobs.base import BlobStore
from openpal.blobs.local import LocalBlobStore
from openpal.store.base import Store


def make_blob_store(
    store: Store, blobs_dir: Path, *, postgres: bool, kind: str | None = None
) -> BlobStore:
    """The data folder for SQLite; PostgreSQL (cached in the data folder) when the store
    is PostgreSQL, so processes on many machines read the same files; an S3-compatible
    bucket (cached likewise) with `kind="s3"` (OPENPAL_BLOB_STORE=s3)."""
    local = LocalBlobStore(blobs_dir)
    if kind == "s3":
        from openpal.blobs.s3 import s3_from_env

        return s3_from_env(local)
    if kind not in (None, "", "default"):
        raise ValueError(f"OPENPAL_BLOB_STORE={kind!r}: use s3, or leave it unset")
    if not postgres:
        return local
    from openpal.blobs.postgres import PgBlobStore
    from openpal.store.postgres import PostgresStore

    if not isinstance(store, PostgresStore):
        raise TypeError("a PostgreSQL blob store needs the PostgreSQL store")
    return PgBlobStore(store.db, local)
