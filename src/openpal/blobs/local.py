"""Blob store on a local folder: `<root>/sha256/ab/cdef…`, written via a temp file."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from openpal.blobs.base import PutByStored, Stored
from openpal.errors import PayloadTooLarge
from openpal.files import FileRef
from openpal.private import private_dir


class LocalBlobStore(PutByStored):
    """Files are hashed while they stream in, then renamed into place atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        private_dir(self._tmp)

    async def put_stored(
        self, chunks: AsyncIterator[bytes], *, name: str, mime_type: str, max_bytes: int
    ) -> Stored:
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp)
        tmp = Path(tmp_name)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise PayloadTooLarge(
                            f"file {name!r} is larger than the {max_bytes}-byte limit"
                        )
                    digest.update(chunk)
                    await asyncio.to_thread(out.write, chunk)
                await asyncio.to_thread(_sync, out)
            hexd = digest.hexdigest()
            final = self._path(hexd)
            private_dir(final.parent)
            created, stamp = _place(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return Stored(FileRef(f"sha256:{hexd}", name, mime_type, size, final), created, (stamp,))

    async def take_back(self, file_id: str, stamp: tuple[int, ...]) -> bool:
        return await asyncio.to_thread(self._take_back, file_id, stamp)

    def _take_back(self, file_id: str, stamp: tuple[int, ...]) -> bool:
        path = self.local_path(file_id)
        if path is None:
            return False
        # Moved aside first, then judged: a store of the same content meanwhile either
        # found the file (and restamped it: it is put back) or finds it gone and links
        # its own copy in.
        aside = self._tmp / f"take-back-{os.getpid()}-{path.name}-{time.time_ns()}"
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            return False
        try:
            if (aside.stat().st_mtime_ns,) == stamp:
                return True
            with contextlib.suppress(FileExistsError):
                os.link(aside, path)
            return False
        finally:
            aside.unlink(missing_ok=True)

    def local_path(self, file_id: str) -> Path | None:
        algo, _, hexd = file_id.partition(":")
        if algo != "sha256" or len(hexd) != 64 or not all(c in "0123456789abcdef" for c in hexd):
            return None
        path = self._path(hexd)
        return path if path.exists() else None

    async def resolve(self, ref: dict[str, object]) -> FileRef:
        file_id = str(ref["fileId"])
        return FileRef(
            file_id=file_id,
            name=str(ref.get("name") or "file"),
            mime_type=str(ref.get("mimeType") or "application/octet-stream"),
            size=int(ref.get("size") or 0),  # type: ignore[call-overload]
            path=self.local_path(file_id),
        )

    async def candidates(self, older_than: int) -> list[str]:
        return await asyncio.to_thread(self._candidates, older_than)

    def _candidates(self, older_than: int) -> list[str]:
        found = []
        for path in (self.root / "sha256").glob("??/*"):
            try:
                if path.stat().st_mtime_ns // 1000 < older_than:
                    found.append(f"sha256:{path.name}")
            except FileNotFoundError:
                continue
        return found

    async def delete(self, file_ids: list[str], older_than: int) -> int:
        return await asyncio.to_thread(self._delete, file_ids, older_than)

    def _delete(self, file_ids: list[str], older_than: int) -> int:
        deleted = 0
        for file_id in file_ids:
            path = self.local_path(file_id)
            try:  # stored again since it was listed: it is in use, keep it
                if path is None or path.stat().st_mtime_ns // 1000 >= older_than:
                    continue
                path.unlink()
            except FileNotFoundError:
                continue
            deleted += 1
        return deleted

    def adopt(self, tmp: Path, hexd: str) -> Path:
        """Move a complete, verified file (in `root/tmp`) into place under its hash."""
        final = self._path(hexd)
        private_dir(final.parent)
        os.replace(tmp, final)
        return final

    def _path(self, hexd: str) -> Path:
        return self.root / "sha256" / hexd[:2] / hexd


def _place(tmp: Path, final: Path) -> tuple[bool | None, int]:
    """Link `tmp` in as `final` unless it exists; either way stamp `final` with the time
    now: (whether this created it, the stamp). Linking, unlike renaming, cannot replace
    a file another process placed a moment ago, so "created" is the truth."""
    while True:
        stamp = time.time_ns()
        try:
            os.link(tmp, final)
            created: bool | None = True
        except FileExistsError:
            created = False
        except OSError:  # no hard links here: replace, and never take it back
            os.replace(tmp, final)
            created = None
        try:
            os.utime(final, ns=(stamp, stamp))
        except FileNotFoundError:  # taken back between the two: place it again
            continue
        return created, stamp


def _sync(f: object) -> None:
    f.flush()  # type: ignore[attr-defined]
    os.fsync(f.fileno())  # type: ignore[attr-defined]
