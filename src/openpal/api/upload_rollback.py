"""Taking back what a refused request stored: the API's blob store notes each file a
request stores (whether its content was new to the store every process shares, and the
stamp that store left on it); when the request is answered with an error, or fails,
the files it created that nothing refers to are taken back.

Blobs are content-addressed, so a file may be shared. One is taken back only when this
request created its content, no run, uploaded file or upload chunk refers to it
(`Store.referenced_files`; the PostgreSQL blob store re-checks as it deletes), and it
still bears this request's stamp: any request of any process that stored the same
content since restamped it, and one storing it after the take-back stores it anew
(`BlobStore.take_back`). A store that cannot tell (S3) keeps everything for the
retention sweep."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any

from openpal.blobs.base import BlobStore, PutByStored, Stored
from openpal.files import FileRef
from openpal.store.base import Store

log = logging.getLogger("openpal.api")

# what the current request stored
_stored: ContextVar[list[Stored] | None] = ContextVar("openpal_stored", default=None)


class TrackingBlobStore(PutByStored):
    """A `BlobStore` that records, per request, what was stored through it."""

    def __init__(self, inner: BlobStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def put_stored(
        self, chunks: AsyncIterator[bytes], *, name: str, mime_type: str, max_bytes: int
    ) -> Stored:
        stored = await self.inner.put_stored(
            chunks, name=name, mime_type=mime_type, max_bytes=max_bytes
        )
        ledger = _stored.get()
        if ledger is not None:
            ledger.append(stored)
        return stored

    async def take_back(self, file_id: str, stamp: tuple[int, ...]) -> bool:
        return await self.inner.take_back(file_id, stamp)

    async def candidates(self, older_than: int) -> list[str]:
        return await self.inner.candidates(older_than)

    async def delete(self, file_ids: list[str], older_than: int) -> int:
        return await self.inner.delete(file_ids, older_than)

    async def resolve(self, ref: dict[str, object]) -> FileRef:
        return await self.inner.resolve(ref)


def begin() -> tuple[list[Stored], object]:
    """Start noting what the current request stores: (its ledger, a token for `end`)."""
    ledger: list[Stored] = []
    return ledger, _stored.set(ledger)


def end(token: object, ledger: list[Stored]) -> None:
    """Stop noting what the current request stores."""
    _stored.reset(token)  # type: ignore[arg-type]


async def discard(ledger: list[Stored], store: Store, blobs: BlobStore) -> None:
    """Take back the files a refused request created that nothing refers to."""
    mine = {s.ref.file_id: s.stamp for s in ledger if s.created}
    # stored twice by this request: the second store restamped it, and it was not new
    for s in ledger:
        if not s.created and s.ref.file_id in mine and s.stamp > mine[s.ref.file_id]:
            mine[s.ref.file_id] = s.stamp
    if not mine:
        return
    try:
        live = await store.referenced_files(sorted(mine))
        for file_id, stamp in mine.items():
            if file_id not in live:
                await blobs.take_back(file_id, stamp)
    except Exception:  # the answer stands; a later sweep collects what is left
        log.warning("could not delete the files of a refused request", exc_info=True)
