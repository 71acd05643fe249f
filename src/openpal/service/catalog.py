"""The workflow catalog: loads definitions, records their versions, resolves targets."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import replace
from pathlib import Path

from openpal.engine.ids import new_id, stable_id
from openpal.errors import InvalidInput, Issue, NotFound, WorkflowLoadError
from openpal.steps.python_step import check_call, confinement_problem
from openpal.store.base import Store
from openpal.store.catalog_records import VersionRecord, WorkflowRecord
from openpal.workflows.loader import load_workflow_dir, load_workflow_text
from openpal.workflows.model import WorkflowDef
from openpal.workflows.yaml_source import parse_yaml

log = logging.getLogger("openpal.catalog")

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
_MAX_RECORDS = 10_000  # workflow records kept in memory (then forgotten, all at once)


def workflow_id_for(slug: str) -> str:
    """Workflow ids are derived from the slug, so they are stable across data folders."""
    return stable_id("wf", slug)


def version_hash(wf: WorkflowDef, label: str | None) -> str:
    """A version is its YAML and its label. A label the YAML itself declares adds
    nothing, so a file and the same text deployed under its own label are one version;
    another label (or none, for a restore) makes another version of the same text."""
    if label == wf.version_label:
        return wf.content_hash
    return hashlib.sha256(json.dumps([label, wf.source_text]).encode("utf-8")).hexdigest()


class Catalog:
    """Compiled definitions by version id, backed by the versions kept in the store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._defs: dict[str, WorkflowDef] = {}
        # versions never change once stored: resolving a target reads only the
        # workflow's current-version pointer (which may move) from the store
        self._versions: dict[str, VersionRecord] = {}
        # where `python` steps of versions sent over the API are imported from: this
        # process's first workflows folder (a file's own versions use the file's folder)
        self._code_dir: str | None = None
        # the file of each workflow loaded from a workflows folder (for `FolderWatch`)
        self.files: dict[str, str] = {}
        # workflow records by id or slug, kept only while the store announces every
        # workflow change to this process (`catalog` events; from the first `resync`
        # on): a start then resolves its target without a read. `_generation` counts
        # changes, so a read that raced a change is not kept.
        self._records: dict[str, WorkflowRecord] = {}
        self._announced = False
        self._generation = 0

    def changed(self) -> None:
        """A workflow changed (here or in another process), or events may have been
        missed: forget the records kept. Also the sign that changes are announced."""
        self._announced = True
        self._generation += 1
        self._records.clear()

    def forget_records(self) -> None:
        """This process changed a workflow: forget at once (its own event comes later)."""
        self._generation += 1
        self._records.clear()

    async def workflow(self, id_or_slug: str) -> WorkflowRecord | None:
        """A live workflow by id or slug (from memory while changes are announced)."""
        if self._announced:
            kept = self._records.get(id_or_slug)
            if kept is not None:
                return kept
        generation = self._generation
        record = await self._store.get_workflow(id_or_slug)
        if record is not None and self._announced and generation == self._generation:
            if len(self._records) >= _MAX_RECORDS:
                self._records.clear()
            self._records[id_or_slug] = record
        return record

    async def load(self, dirs: list[Path], *, examples: bool) -> list[WorkflowRecord]:
        """Load every workflow file of `dirs` (and the bundled examples) into the store.

        A file whose content changed becomes a new version. Load errors stop the
        start-up: a half-loaded catalog would silently drop workflows. Known content
        leaves a pointer set over the API (promote, restore, delete) where it is
        (`Store.save_workflow_version`); the workflows still deleted are not returned.
        """
        defs: dict[str, WorkflowDef] = {}
        for folder in dirs:
            if not folder.exists():
                if folder != Path("workflows"):
                    raise WorkflowLoadError(str(folder), "<root>", "workflows folder not found")
                continue
            if self._code_dir is None:
                self._code_dir = str(folder.resolve())
            for wf in load_workflow_dir(folder):
                defs[wf.slug] = wf
                self.files[wf.slug] = wf.source_path or ""
        if examples:
            for wf in load_workflow_dir(EXAMPLES_DIR):
                defs.setdefault(wf.slug, wf)  # a user's workflow of the same name wins
        records = []
        for wf in defs.values():
            # openpal's own examples may change under their label from one release to the next
            record, _ = await self.register(wf, check_label=wf.slug in self.files)
            if record.deleted_at is None:
                records.append(record)
        return records

    async def _check_label(self, wf: WorkflowDef) -> None:
        """A `version:` label names one content: a file reusing a stored version's label
        for other content is refused (else the edit would silently make a second 1.0.0)."""
        label = wf.version_label
        if label is None:
            return
        workflow_id = workflow_id_for(wf.slug)
        found = await self._store.find_version(workflow_id, label)
        if found is None or found.content_hash == wf.content_hash:
            return
        offset, labelled = 0, []
        while True:  # a label reused before this check existed: any same content passes
            page, total = await self._store.list_versions(workflow_id, limit=500, offset=offset)
            labelled += [v for v in page if v.version_label == label]
            offset += len(page)
            if not page or offset >= total:
                break
        if not labelled or any(v.content_hash == wf.content_hash for v in labelled):
            return
        taken = max(labelled, key=lambda v: v.seq)
        source = taken.source_path or "deployed over the API"
        file = wf.source_path or "<workflow>"
        line = (
            parse_yaml(wf.source_text, file).line("version")
            if file.endswith(("yaml", "yml"))
            else None
        )
        raise WorkflowLoadError(
            file,
            "version",
            f"version {label!r} of {wf.slug!r} is already version {taken.seq} ({taken.id},"
            f" sha256 {taken.content_hash[:12]}, from {source}) with other content:"
            " change the label (or remove it) to make a new version",
            line=line,
        )

    async def register(
        self, wf: WorkflowDef, *, check_label: bool = True
    ) -> tuple[WorkflowRecord, VersionRecord]:
        """Store `wf` as its workflow's current version and keep it compiled (a label
        already used for other content is a `WorkflowLoadError`)."""
        if check_label:
            await self._check_label(wf)
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
        self.forget_records()
        self._defs[version.id] = wf
        self._versions[version.id] = version
        log.info("workflow %s: version %s (%s)", wf.slug, version.seq, version.id)
        return record, version

    async def deploy(
        self, wf: WorkflowDef, *, label: str | None, activate: bool
    ) -> tuple[WorkflowRecord, VersionRecord]:
        """Store `wf` (sent over the API, no source file) as a version labelled `label`;
        with `activate` it becomes current for every process at once (each resolves
        targets through the store's pointer and compiles versions it has not seen).

        YAML sent over the API is confined: its `python` steps may call only code in
        this process's workflows folder (refused here, before anything is stored)."""
        if wf.source_path is None:
            problems: list[Issue] = [
                Issue(f"steps.{spec.name}.with.function", why, "not_allowed")
                for spec in wf.steps
                if spec.type == "python"
                and (
                    why := confinement_problem(
                        str(spec.with_.get("function")), self._code_dir, unknown_ok=True
                    )
                )
            ]
            if not problems:
                problems = await asyncio.to_thread(self._call_problems, wf)
            if problems:
                raise InvalidInput(problems)
        wf = replace(wf, source_path=None, base_dir=self._code_dir)
        record, version = await self._store.deploy_workflow_version(
            workflow_id=workflow_id_for(wf.slug),
            slug=wf.slug,
            name=wf.title or wf.slug,
            description=wf.description,
            version_id=new_id("ver"),
            version_label=label,
            content_hash=version_hash(wf, label),
            yaml_content=wf.source_text,
            activate=activate,
            now=time.time_ns() // 1000,
        )
        self.forget_records()
        if version.source_path is None:  # a reused file version keeps its own folder
            self._defs.setdefault(version.id, wf)
        self._versions[version.id] = version
        log.info("workflow %s: deployed version %s (%s)", wf.slug, version.seq, version.id)
        return record, version

    def _call_problems(self, wf: WorkflowDef) -> list[Issue]:
        """A deployed version's `python` steps that call code of this process's workflows
        folder: it imports and takes their arguments, as a file's steps are checked. Only
        modules found in that folder are imported; one found nowhere here is left to the
        process that has it."""
        out: list[Issue] = []
        for spec in wf.steps:
            function = str(spec.with_.get("function"))
            if spec.type != "python" or self._code_dir is None:
                continue
            if confinement_problem(function, self._code_dir) is None:  # a module of the folder
                out += [
                    Issue(f"steps.{spec.name}.with.{field}", why, "invalid_workflow")
                    for field, why in check_call(function, spec.with_.get("args"), self._code_dir)
                ]
        return out

    async def definition(self, version_id: str) -> WorkflowDef:
        """The compiled definition of a version (recompiled from the store if needed)."""
        wf = self._defs.get(version_id)
        if wf is not None:
            return wf
        version = await self._store.get_version(version_id)
        if version is None:
            raise NotFound(f"workflow version {version_id} not found")
        base_dir = str(Path(version.source_path).parent) if version.source_path else self._code_dir
        # compiled off the event loop: a large definition takes up to a second
        wf = await asyncio.to_thread(
            load_workflow_text,
            version.yaml_content,
            source_path=version.source_path,
            base_dir=base_dir,
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
        record = await self.workflow(workflow_id)
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
        record = await self.workflow(name)
        if record is None and "." in name:  # dotted folder path: the last part is the slug
            record = await self.workflow(name.rsplit(".", 1)[1])
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
