"""WAL checkpoints off the commit path: a thread of their own, not the writer's COMMIT.

SQLite's default copies the write-ahead log back into the database file inside the
COMMIT that grows the log past 1,000 pages (`wal_autocheckpoint`): that commit then
also copies up to 4 MB and fsyncs the database file, and every operation batched with
it (other runs' checkpoints, starts, ends) waits for that. Under a heavy write load
(big inputs and outputs) it happened every few seconds and was the tail of everyone's
latency. Here the writer's connection never checkpoints (`wal_autocheckpoint=0`);
after commits, this thread runs a PASSIVE checkpoint on its own connection, which
waits for no reader or writer: the writer keeps committing meanwhile.

SQLite starts the log over only when a checkpoint has copied all of it before the next
write begins, which a steady stream of commits rarely allows: past `RESTART_BYTES` the
checkpoint is a RESTART, which holds new writes back while it copies the little the
passive ones left (waiting at most `BUSY_MS` for readers, else it tries again later),
so the log stays bounded. The writer's own checkpoint is left only as a last resort,
far past that (`WRITER_PAGES`).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("openpal.store")

AFTER_SECONDS = 0.2  # gather this long's commits into one checkpoint
RESTART_BYTES = 16 << 20  # a log this long is started over (a RESTART checkpoint)
BUSY_MS = 100  # how long a RESTART waits for readers before it gives up for now
WRITER_PAGES = 32_768  # the writer's own checkpoint (128 MiB of 4 KiB pages): last resort


class WalCheckpointer:
    """Checkpoints the WAL of `path` on its own thread, some time after commits."""

    def __init__(self, path: Path, connect: Callable[[Path], sqlite3.Connection]) -> None:
        self._conn = connect(path)
        self._conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        self._page = int(self._conn.execute("PRAGMA page_size").fetchone()[0])
        self._wrote = threading.Event()
        self._stop = threading.Event()
        self.checkpoints = 0  # done so far (for tests and curiosity)
        self._thread = threading.Thread(target=self._loop, name="openpal-wal", daemon=True)
        self._thread.start()

    def wrote(self) -> None:
        """The writer committed: a checkpoint is due soon."""
        self._wrote.set()

    def _loop(self) -> None:
        while True:
            self._wrote.wait()
            self._wrote.clear()
            if self._stop.wait(AFTER_SECONDS):  # commits keep coming meanwhile
                break
            frames = self._checkpoint("PASSIVE")
            if frames * self._page > RESTART_BYTES:
                self._checkpoint("RESTART")
        self._checkpoint("PASSIVE")  # at close (the last connection to close empties the log)
        self._conn.close()

    def _checkpoint(self, mode: str) -> int:
        """Run one checkpoint: the frames in the log when it ran (0 if it failed)."""
        try:
            _, frames, _ = self._conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        except sqlite3.Error as exc:  # a file gone, say: the next commit tries again
            log.warning("WAL checkpoint (%s) failed: %s", mode, exc)
            return 0
        self.checkpoints += 1
        return max(0, int(frames))

    def close(self) -> None:
        """Stop after one last checkpoint (call it once the writer has stopped)."""
        self._stop.set()
        self._wrote.set()
        self._thread.join()
