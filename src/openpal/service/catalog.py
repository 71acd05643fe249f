"""The workflow catalog: loads definitions, records their versions, resolves targets."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from openpal.engine.ids import new_id, stable_id
from openpal.errors import NotFound, WorkflowLoadError
from openpal.store.base import Store
from openpal.store.records import VersionRecord, WorkflowRecord
from openpal.workflows.loader import load_workflow_dir, load_workflow_text
from openpal.workflows.model import WorkflowDef

log = logging.getLogger("openpal.catalog")

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


def workflow_id_for(slug: str) -> str:
    """Workflow ids are derived from the slug, so they are stable across data folders."""
    return stable_id("wf", slug)


class Catalog:
    """Compiled definitions by version id, backed by the versions kept in the store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._defs: dict[str, WorkflowDef] = {}
        # versions never change once stored: resolving a target reads only the
        # workflow's current-version pointer (which may move) from the store
        self._versions: dict[str, VersionRecord] = {}

    async def load(self, dirs: list[Path], *, examples: bool) -> list[WorkflowRecord]:
        """Load every workflow file of `dirs` (and the bundled examples) into the store.

        A file whose content changed becomes a new version. Load errors stop the
        start-up: a half-loaded catalog would silently drop workflows.
        """
        defs: dict[str, WorkflowDef] = {}
        for folder in dirs:
            if not folder.exists():
                if folder != Path("workflows"):
                    raise WorkflowLoadError(str(folder), "<root>", "workflows folder not found")
                continue
            for wf in load_workflow_dir(folder):
                defs[wf.slug] = wf
        if examples:
            for wf in load_workflow_dir(EXAMPLES_DIR):
                defs.setdefault(wf.slug, wf)  # a user's workflow of the same name wins
        records = []
        for wf in defs.values():
            record, _ = await self.register(wf)
            records.append(record)
        return records

    async def register(self, wf: WorkflowDef) -> tuple[WorkflowRecord, VersionRecord]:
        """Store `wf` as its workflow's current version and keep it compiled."""
        record, version = await self._store.save_workflow_version(
            workflow_id=workflow_id_for(wf.slug),
            slug=wf.slug,
            name=wf.title or wf.slug,
            description=wf.description,
            version_id=new_id("ver"),
            version_label=wf.version_label,
            content_hash=wf.content_hash,
            yaml_content=wf.source_text,
            source_path=wf.source_path,
            now=time.time_ns() // 1000,
        )
        self._defs[version.id] = wf
        self._versions[version.id] = version
        log.info("workflow %s: version %s (%s)", wf.slug, version.seq, version.id)
        return record, version

    async def definition(self, version_id: str) -> WorkflowDef:
        """The compiled definition of a version (recompiled from the store if needed)."""
        wf = self._defs.get(version_id)
        if wf is not None:
            return wf
        version = await self._store.get_version(version_id)
        if version is None:
            raise NotFound(f"workflow version {version_id} not found")
        base_dir = str(Path(version.source_path).parent) if version.source_path else None
        wf = load_workflow_text(
            version.yaml_content, source_path=version.source_path, base_dir=base_dir
        )
        self._defs[version_id] = wf
        return wf

    async def _version(self, version_id: str) -> VersionRecord | None:
        found = self._versions.get(version_id)
        if found is None:
            found = await self._store.get_version(version_id)
            if found is not None:
                self._versions[version_id] = found
        return found

    async def resolve_version(
        self, workflow_id: str, version_id: str
    ) -> tuple[WorkflowRecord, VersionRecord, WorkflowDef]:
        """A workflow at one exact version (a rerun of the original version)."""
        record = await self._store.get_workflow(workflow_id)
        found = await self._version(version_id)
        if record is None or found is None or found.workflow_id != record.id:
            raise NotFound(f"workflow version {version_id} of {workflow_id} not found")
        return record, found, await self.definition(found.id)

    async def resolve(
        self, target: str, version: str | None
    ) -> tuple[WorkflowRecord, VersionRecord, WorkflowDef]:
        """`workflows.<slug|id>` (or a bare slug), optionally at a version label."""
        kind, _, name = target.partition(".")
        if kind == "agents":
            raise NotFound(f"{target}: agents are not supported by openpal; run a workflow")
        if kind != "workflows" or not name:
            name = target  # friendly: a bare slug or id
        record = await self._store.get_workflow(name)
        if record is None and "." in name:  # dotted folder path: the last part is the slug
            record = await self._store.get_workflow(name.rsplit(".", 1)[1])
        if record is None:
            raise NotFound(f"workflow {name!r} not found")
        if version is None or version == "latest":
            if record.current_version_id is None:
                raise NotFound(f"workflow {record.slug!r} has no version")
            found = await self._version(record.current_version_id)
        else:
            found = await self._store.find_version(record.id, version)
        if found is None:
            raise NotFound(f"workflow {record.slug!r} has no version {version!r}")
        return record, found, await self.definition(found.id)
