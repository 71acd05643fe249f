"""The blob store interface: where uploaded files and artifacts live."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO, Protocol

from openpal.files import FileRef


@dataclass(frozen=True)
class Stored:
    """What one `put_stored` did: the file, whether this call created its content in
    the store every process shares (False: it was there; None: the store cannot tell),
    and the stamp it left (opaque; a later store of the same content leaves another)."""

    ref: FileRef
    created: bool | None
    stamp: tuple[int, ...]


class BlobStore(Protocol):
    """Content-addressed file storage."""

    async def put_stream(
        self, chunks: AsyncIterator[bytes], *, name: str, mime_type: str, max_bytes: int
    ) -> FileRef:
        """Store a stream; raises `PayloadTooLarge` past `max_bytes` and keeps nothing."""
        ...

    async def put_stored(
        self, chunks: AsyncIterator[bytes], *, name: str, mime_type: str, max_bytes: int
    ) -> Stored:
        """`put_stream`, telling whether the content was new and the stamp it left."""
        ...

    async def take_back(self, file_id: str, stamp: tuple[int, ...]) -> bool:
        """Delete a file this process created, only if nothing stored the same content
        since (its stamp is still `stamp`) and (where the store can tell) nothing refers
        to it; True when deleted. A refused request undoes its own new files with it,
        safely against any other process storing the same content at the same time."""
        ...

    async def candidates(self, older_than: int) -> list[str]:
        """Ids of stored files last written before `older_than` (µs since the epoch):
        what a garbage collection may consider. A file stored again (same content)
        counts as written anew."""
        ...

    async def delete(self, file_ids: list[str], older_than: int) -> int:
        """Delete these files, each only if it is still older than `older_than` and (where
        the store can tell) no run refers to it; returns how many were deleted."""
        ...

    async def resolve(self, ref: dict[str, object]) -> FileRef:
        """A stored JSON reference turned back into a readable `FileRef` (with a local
        path when the content exists; fetched first if it lives elsewhere)."""
        ...


class PutByStored:
    """`put_stream` for a blob store that implements `put_stored`: one definition of it."""

    async def put_stored(
        self, chunks: AsyncIterator[bytes], *, name: str, mime_type: str, max_bytes: int
    ) -> Stored:
        raise NotImplementedError

    async def put_stream(
        self, chunks: AsyncIterator[bytes], *, name: str, mime_type: str, max_bytes: int
    ) -> FileRef:
        stored = await self.put_stored(chunks, name=name, mime_type=mime_type, max_bytes=max_bytes)
        return stored.ref


READ_BYTES = 1024 * 1024


async def read_chunks(file: IO[bytes], size: int = READ_BYTES) -> AsyncIterator[bytes]:
    """An open file's content from where it stands, in chunks of `size`, each read in a
    thread (a disk read never stalls the event loop)."""
    while chunk := await asyncio.to_thread(file.read, size):
        yield chunk
