"""Taking back what a refused request stored: the API's blob store notes each file a
request stores (and whether its content was new to this process); when the request
is answered with an error, or fails, the new files nothing refers to are deleted.

Blobs are content-addressed, so a file may be shared: one is deleted only when its
content was not stored before this request, no other request of this process is
storing the same content now, and no run, uploaded file or upload chunk refers to it
(`Store.referenced_files`, re-checked by the blob store as it deletes)."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Any

from openpal.blobs.base import BlobStore
from openpal.files import FileRef
from openpal.store.base import Store

log = logging.getLogger("openpal.api")

# (file id, content already stored before) of each file the current request stored
_stored: ContextVar[list[tuple[str, bool]] | None] = ContextVar("openpal_stored", default=None)
# file ids that requests of this process have stored and not yet settled
_open: Counter[str] = Counter()


class TrackingBlobStore:
    """A `BlobStore` that records, per request, what was stored through it."""

    def __init__(self, inner: BlobStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def put_stream(
        self, chunks: AsyncIterator[bytes], *, name: str, mime_type: str, max_bytes: int
    ) -> FileRef:
        ledger = _stored.get()
        if ledger is None:
            return await self.inner.put_stream(
                chunks, name=name, mime_type=mime_type, max_bytes=max_bytes
            )
        seen = _Seen(_local_lookup(self.inner))
        ref = await self.inner.put_stream(
            seen.wrap(chunks), name=name, mime_type=mime_type, max_bytes=max_bytes
        )
        ledger.append((ref.file_id, seen.existed))
        _open[ref.file_id] += 1
        return ref

    async def candidates(self, older_than: int) -> list[str]:
        return await self.inner.candidates(older_than)

    async def delete(self, file_ids: list[str], older_than: int) -> int:
        return await self.inner.delete(file_ids, older_than)

    async def resolve(self, ref: dict[str, object]) -> FileRef:
        return await self.inner.resolve(ref)


class _Seen:
    """Hashes a stream as it passes; at its end, asks whether that content is stored."""

    def __init__(self, lookup: Callable[[str], object] | None) -> None:
        self.lookup = lookup
        self.existed = True  # unknown counts as shared: never deleted

    async def wrap(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        digest = hashlib.sha256()
        async for chunk in chunks:
            digest.update(chunk)
            yield chunk
        if self.lookup is not None:
            self.existed = self.lookup(f"sha256:{digest.hexdigest()}") is not None


def _local_lookup(blobs: object) -> Callable[[str], object] | None:
    for holder in (blobs, getattr(blobs, "cache", None)):
        lookup = getattr(holder, "local_path", None)
        if callable(lookup):
            return lookup  # type: ignore[no-any-return]
    return None


def begin() -> tuple[list[tuple[str, bool]], object]:
    """Start noting what the current request stores: (its ledger, a token for `end`)."""
    ledger: list[tuple[str, bool]] = []
    return ledger, _stored.set(ledger)


def end(token: object, ledger: list[tuple[str, bool]]) -> None:
    """Stop noting what the current request stores."""
    _stored.reset(token)  # type: ignore[arg-type]
    for file_id, _ in ledger:
        _open[file_id] -= 1
        if _open[file_id] <= 0:
            del _open[file_id]


async def discard(ledger: list[tuple[str, bool]], store: Store, blobs: BlobStore) -> None:
    """Delete the files of a refused request that were new and that nothing (no other
    request of this process now, no run or upload) refers to."""
    ours = Counter(f for f, _ in ledger)
    new = sorted({f for f, existed in ledger if not existed and _open[f] <= ours[f]})
    if not new:
        return
    try:
        live = await store.referenced_files(new)
        inner = blobs.inner if isinstance(blobs, TrackingBlobStore) else blobs
        await inner.delete([f for f in new if f not in live], time.time_ns() // 1000 + 1)
    except Exception:  # the answer stands; a later sweep collects what is left
        log.warning("could not delete the files of a refused request", exc_info=True)
