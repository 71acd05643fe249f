"""Blob store in any S3-compatible object store (AWS S3, MinIO, Ceph, R2, …), with a
local cache. An option for deployments whose files should not live in the database.

    OPENPAL_BLOB_STORE=s3
    OPENPAL_S3_BUCKET=openpal-files          # must exist
    OPENPAL_S3_PREFIX=prod/                  # optional key prefix
    OPENPAL_S3_ENDPOINT_URL=http://minio:9000   # optional, for S3-compatible servers
    AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION as usual for boto3

Objects are content-addressed (`<prefix>sha256/ab/<hex>`): storing the same content
again rewrites the object, which renews its last-modified time, so a garbage
collection running at that moment keeps it. Needs `pip install 'openpal[s3]'`.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from openpal.blobs.base import PutByStored, Stored
from openpal.blobs.local import LocalBlobStore
from openpal.files import FileRef

__all__ = ["S3BlobStore", "s3_from_env"]


class S3BlobStore(PutByStored):
    """`BlobStore` whose source of truth is a bucket; the folder is a cache."""

    def __init__(self, client: Any, bucket: str, cache: LocalBlobStore, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.cache = cache

    def _key(self, file_id: str) -> str:
        hexd = file_id.partition(":")[2]
        return f"{self.prefix}sha256/{hexd[:2]}/{hexd}"

    async def put_stored(
        self, chunks: AsyncIterator[bytes], *, name: str, mime_type: str, max_bytes: int
    ) -> Stored:
        cached = await self.cache.put_stored(
            chunks, name=name, mime_type=mime_type, max_bytes=max_bytes
        )
        ref = cached.ref
        if ref.path is None:
            raise RuntimeError("the local blob cache returned no path")
        await asyncio.to_thread(
            self.client.upload_file, str(ref.path), self.bucket, self._key(ref.file_id)
        )
        # a bucket cannot say whether another machine stored the same object a moment
        # ago, so nothing here is ever taken back: the retention sweep collects it
        return Stored(ref, None, cached.stamp)

    async def take_back(self, file_id: str, stamp: tuple[int, ...]) -> bool:
        return False

    async def resolve(self, ref: dict[str, object]) -> FileRef:
        file_id = str(ref["fileId"])
        if self.cache.local_path(file_id) is None:
            await asyncio.to_thread(self._download, file_id)
        return await self.cache.resolve(ref)

    def _download(self, file_id: str) -> None:
        import hashlib

        from botocore.exceptions import ClientError

        hexd = file_id.partition(":")[2]
        fd, tmp_name = tempfile.mkstemp(dir=self.cache.root / "tmp")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            try:
                self.client.download_file(self.bucket, self._key(file_id), tmp_name)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    return  # unknown file: it resolves without a local copy
                raise
            digest = hashlib.sha256()
            with tmp.open("rb") as f:
                while chunk := f.read(1024 * 1024):
                    digest.update(chunk)
            if digest.hexdigest() != hexd:
                raise OSError(f"file {file_id}: stored content does not match its hash")
            self.cache.adopt(tmp, hexd)
        finally:
            tmp.unlink(missing_ok=True)

    async def candidates(self, older_than: int) -> list[str]:
        return await asyncio.to_thread(self._candidates, older_than)

    def _candidates(self, older_than: int) -> list[str]:
        found = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}sha256/"
        )
        for page in pages:
            for obj in page.get("Contents", []):
                if int(obj["LastModified"].timestamp() * 1_000_000) < older_than:
                    found.append("sha256:" + obj["Key"].rsplit("/", 1)[-1])
        return sorted(set(found) | set(self.cache._candidates(older_than)))

    async def delete(self, file_ids: list[str], older_than: int) -> int:
        return await asyncio.to_thread(self._delete, file_ids, older_than)

    def _delete(self, file_ids: list[str], older_than: int) -> int:
        from botocore.exceptions import ClientError

        deleted = 0
        for file_id in file_ids:
            key = self._key(file_id)
            try:  # re-check the age just before deleting: stored again means in use
                head = self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError:
                head = None
            if head is not None:
                if int(head["LastModified"].timestamp() * 1_000_000) >= older_than:
                    continue
                self.client.delete_object(Bucket=self.bucket, Key=key)
                deleted += 1
            self.cache._delete([file_id], older_than)
        return deleted


def s3_from_env(cache: LocalBlobStore, env: dict[str, str] | None = None) -> S3BlobStore:
    """An `S3BlobStore` configured from `OPENPAL_S3_*` (and boto3's usual AWS_* variables)."""
    env = dict(os.environ) if env is None else env
    bucket = env.get("OPENPAL_S3_BUCKET")
    if not bucket:
        raise ValueError("OPENPAL_BLOB_STORE=s3 needs OPENPAL_S3_BUCKET")
    try:
        import boto3
    except ModuleNotFoundError:
        raise ValueError("the S3 blob store needs boto3: pip install 'openpal[s3]'") from None
    client = boto3.client("s3", endpoint_url=env.get("OPENPAL_S3_ENDPOINT_URL") or None)
    return S3BlobStore(client, bucket, cache, prefix=env.get("OPENPAL_S3_PREFIX", ""))
