"""File values: how a file input or artifact looks to steps, templates and the wire.

In the store a file is a small JSON reference (`FileRef.to_json`); when a run
executes, references in its input are turned back into `FileRef` objects so
steps can `read()` them and templates can read `name`, `mimeType`, `size`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

FILE_MARKER = "fileId"


@dataclass(frozen=True)
class FileRef:
    """A stored file: content-addressed id plus what the uploader told us."""

    file_id: str  # "sha256:<hex>"
    name: str
    mime_type: str
    size: int
    path: Path | None = None  # local path when the blob store is a folder

    def read(self) -> bytes:
        """The whole content (use `open()` for big files)."""
        return self._local().read_bytes()

    def open(self) -> BinaryIO:
        """A binary file object positioned at the start."""
        return self._local().open("rb")

    def _local(self) -> Path:
        if self.path is None:
            raise FileNotFoundError(f"file {self.name!r} ({self.file_id}) has no local copy")
        return self.path

    def to_json(self) -> dict[str, Any]:
        return {
            FILE_MARKER: self.file_id,
            "name": self.name,
            "mimeType": self.mime_type,
            "size": self.size,
        }

    # Liquid templates look attributes up like mapping keys.
    def __getitem__(self, key: str) -> Any:
        return self.to_json()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.to_json()

    @staticmethod
    def is_ref(value: Any) -> bool:
        """True for the JSON form of a file reference."""
        return isinstance(value, dict) and isinstance(value.get(FILE_MARKER), str)


def to_jsonable(value: Any) -> Any:
    """`json.dumps(default=...)` hook: file objects become their references."""
    if isinstance(value, FileRef):
        return value.to_json()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_ARTIFACT_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
MAX_ARTIFACT_PATH = 200


def check_artifact_path(path: str) -> str | None:
    """Why `path` cannot name an artifact (relative, `a-z A-Z 0-9 . _ -` segments joined
    by `/`, no `..`), or None."""
    if not isinstance(path, str) or not path:
        return "must be a non-empty relative path such as reports/summary.txt"
    if len(path) > MAX_ARTIFACT_PATH:
        return f"must be at most {MAX_ARTIFACT_PATH} characters"
    for segment in path.split("/"):
        if segment in ("", ".", "..") or not _ARTIFACT_SEGMENT.match(segment):
            return (
                f"segment {segment!r} is not allowed (use letters, digits, . _ -; no empty,"
                " '.' or '..' segments, no leading /)"
            )
    return None


def file_ids(value: Any) -> set[str]:
    """Every stored file a value refers to (`FileRef`s and their JSON form, nested)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, FileRef):
            found.add(item.file_id)
        elif isinstance(item, dict):
            if FileRef.is_ref(item):
                found.add(item[FILE_MARKER])
            else:
                stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found
