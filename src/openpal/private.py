"""Folders and files only their owner may read: the data folder (the SQLite database,
the first API key, local blobs) is another local user's business no more than a
password file is."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) 0700; a folder that exists is left as it is
    (it may be shared on purpose), the files openpal puts in it are 0600 anyway."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        folder.chmod(DIR_MODE)  # whatever the umask
    return path


def private_file(path: Path) -> Path:
    """Make sure `path` exists and is 0600 (created so, never readable in between).

    A file that exists is never opened here: closing any descriptor of a SQLite
    database drops every POSIX lock this process holds on it (its other connections'
    too), so only a missing file is created, and an existing one only chmod-ed."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    if path.stat().st_mode & 0o777 != FILE_MODE:
        path.chmod(FILE_MODE)
    return path
