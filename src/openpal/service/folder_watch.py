"""Live workflow folders: a YAML file changed or added while the server runs becomes a
new version of its workflow, without a restart.

The folders are polled (each file's mtime and size, every `interval` seconds): portable,
and cheap for the tens of files a folder holds. A file that no longer loads is logged
with its file, line and field, and its workflow keeps serving the version it had. A
deleted file is logged too, and its workflow keeps serving its last version (delete a
workflow over the API to take it away). Only `*.yaml` / `*.yml` files are watched:
Python code (`python` step modules, `Workflow` objects in `*.py`) is imported once per
process, so a change to it needs a restart.

Every process watching the same folder stores the same content, which the store keeps
as one version (the same content is found, under the workflow's row lock on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from openpal.errors import WorkflowLoadError
from openpal.service.catalog import Catalog
from openpal.workflows.loader import load_workflow_file
from openpal.workflows.yaml_source import parse_yaml

__all__ = ["FolderWatch"]

log = logging.getLogger("openpal.catalog")

_Stamp = tuple[int, int]  # mtime in ns, size in bytes


class FolderWatch:
    """Polls `dirs` and registers the workflow files that changed with `catalog`."""

    def __init__(self, catalog: Catalog, dirs: list[Path], interval: float = 1.0) -> None:
        self._catalog = catalog
        self._dirs = [d.resolve() for d in dirs]
        self._interval = interval
        self._seen: dict[Path, _Stamp] = {}

    def start(self) -> None:
        """Remember the files as they are now: call it before the catalog's first load,
        so an edit made while that load runs is picked up by the first poll."""
        self._seen = self._scan()

    def _scan(self) -> dict[Path, _Stamp]:
        found: dict[Path, _Stamp] = {}
        for folder in self._dirs:
            try:
                entries = list(folder.iterdir())
            except OSError:
                continue  # a folder gone (or not there yet): nothing to load from it
            for path in entries:
                if path.suffix not in (".yaml", ".yml"):
                    continue
                try:
                    stat = path.stat()
                except OSError:
                    continue
                if path.is_file():
                    found[path] = (stat.st_mtime_ns, stat.st_size)
        return found

    async def run_forever(self) -> None:
        """Poll until cancelled; one bad poll is logged, the next one tries again."""
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("watching the workflow folders failed; trying again")

    async def poll(self) -> list[Path]:
        """Load the files that changed since the last poll; the files loaded."""
        now = await asyncio.to_thread(self._scan)
        loaded = []
        for path in sorted(set(self._seen) - set(now)):
            slugs = [slug for slug, file in self._catalog.files.items() if file == str(path)]
            log.warning(
                "workflow file %s was deleted; %s keeps serving its last version",
                path,
                ", ".join(slugs) or "its workflow",
            )
        for path, stamp in sorted(now.items()):
            if self._seen.get(path) != stamp and await self._load(path):
                loaded.append(path)
        self._seen = now
        return loaded

    async def _load(self, path: Path) -> bool:
        try:
            # may import the modules of its python steps: off the event loop
            wf = await asyncio.to_thread(load_workflow_file, path)
            owner = self._catalog.files.get(wf.slug)
            if owner and owner != wf.source_path and Path(owner).is_file():
                raise WorkflowLoadError(
                    str(path),
                    "name",
                    f"workflow {wf.slug!r} is also defined in {owner}",
                    line=parse_yaml(wf.source_text, str(path)).line("name"),
                )
            _, version = await self._catalog.register(wf)
        except WorkflowLoadError as exc:
            log.error("workflow file not loaded, the version before keeps serving: %s", exc)
            return False
        self._catalog.files[wf.slug] = wf.source_path or str(path)
        log.info(
            "workflow file %s changed: %s is at version %s (%s)",
            path,
            wf.slug,
            version.seq,
            version.id,
        )
        return True
