"""Automations (the /v1 name of workflows): list and look up, versions, and deploys over
the API — a version sent as YAML or copied, promote, restore, delete — kept in the
database, so every API and worker process runs what was deployed at once.

Rules (docs/automations.md):
- An automation is named by its `wf_…` id, `workflows.<slug>` or `<slug>`;
  `agents.<x>` is never found (openpal runs workflows only).
- A version sent to an unknown slug creates the automation; the YAML's `name:` must be
  the automation's slug (a version cannot rename one).
- A version is its YAML and its label (`catalog.version_hash`): sending the same pair
  again returns the version already stored.
- The current-version pointer set here outlives restarts: a folder load moves it only
  to content the store has never seen (`Store.save_workflow_version`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from openpal.errors import InvalidInput, Issue, NotFound, WorkflowLoadError
from openpal.service.catalog import Catalog
from openpal.store.base import Store
from openpal.store.catalog_records import VersionRecord, WorkflowRecord
from openpal.workflows.loader import SLUG, load_workflow_text
from openpal.workflows.model import WorkflowDef
from openpal.workflows.yaml_source import parse_yaml

# the file name load errors of a YAML sent over the API carry
YAML_FILE = "<yaml>"
KINDS = ("workflow", "agent")


def _names(ident: str) -> list[str]:
    """The slugs or ids `ident` may stand for, most specific first."""
    kind, _, rest = ident.partition(".")
    if kind == "agents" and rest:
        raise NotFound(f"automation {ident!r}: openpal has no agents, only workflows")
    name = rest if kind == "workflows" and rest else ident
    if "." in name:  # a dotted folder path: the last part is the slug
        return [name, name.rsplit(".", 1)[1]]
    return [name]


def _load(text: str, slug: str) -> WorkflowDef:
    """Compile a YAML sent for automation `slug`; a 400 naming the field otherwise."""
    try:
        wf = load_workflow_text(text, source_path=YAML_FILE)
        if wf.slug != slug:
            raise WorkflowLoadError(
                YAML_FILE,
                "name",
                f"is {wf.slug!r} but this automation is {slug!r}: a version cannot rename an"
                f" automation (send it to workflows.{wf.slug} to create that one)",
                line=parse_yaml(text, YAML_FILE).line("name"),
            )
    except WorkflowLoadError as exc:
        field = "yaml" if exc.field == "<root>" else f"yaml.{exc.field}"
        raise InvalidInput([Issue(field, str(exc), exc.code)]) from None
    return wf


class AutomationService:
    """The automation use cases over the store and the catalog."""

    def __init__(self, store: Store, catalog: Catalog) -> None:
        self.store = store
        self.catalog = catalog

    async def search(
        self,
        *,
        search: str | None,
        kind: str | None,
        folder_id: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[WorkflowRecord], int]:
        """A page of automations, by slug. openpal has workflows only and no folders:
        `kind="agent"` and any folder but the root (`"null"`) are empty pages."""
        if kind == "agent" or folder_id not in (None, "null"):
            return [], 0
        return await self.store.list_automations(search=search, limit=limit, offset=offset)

    async def find(self, ident: str, *, include_deleted: bool = False) -> WorkflowRecord:
        """The automation `ident` names (NotFound otherwise)."""
        for name in _names(ident):
            found = await self.store.get_workflow(name, include_deleted=include_deleted)
            if found is not None:
                return found
        raise NotFound(f"automation {ident!r} not found")

    async def current(self, record: WorkflowRecord) -> WorkflowDef | None:
        """The compiled current version of an automation (None when it has none)."""
        if record.current_version_id is None:
            return None
        return await self.catalog.definition(record.current_version_id)

    async def versions(
        self, ident: str, *, limit: int, offset: int
    ) -> tuple[WorkflowRecord, list[VersionRecord], int]:
        """An automation and a page of its versions, newest first, with their total."""
        record = await self.find(ident)
        found, total = await self.store.list_versions(record.id, limit=limit, offset=offset)
        return record, found, total

    async def _version(self, record: WorkflowRecord, version_id: str) -> VersionRecord:
        """One version of `record`, by id (or label: the newest carrying it)."""
        found = await self.store.find_version(record.id, version_id)
        if found is None:
            raise NotFound(f"version {version_id!r} of automation {record.slug!r} not found")
        return found

    async def create_version(
        self,
        ident: str,
        *,
        label: str | None,
        yaml: str | None,
        history_id: str | None,
        activate: bool,
    ) -> tuple[WorkflowRecord, VersionRecord]:
        """Store a version labelled `label` (None: the label the YAML declares, or the
        copied version's), from `yaml` or copied from the version `history_id`; with
        `activate` it becomes current (creating the automation, or restoring a deleted
        one, when needed). Without, it waits for a promote, which needs a current version
        to stay live meanwhile."""
        try:
            record: WorkflowRecord | None = await self.find(ident, include_deleted=True)
        except NotFound:
            record = None
        if record is not None:
            slug = record.slug
        elif history_id is None and not ident.startswith("wf_"):
            slug = _names(ident)[0]
            if not SLUG.match(slug):
                raise NotFound(
                    f"automation {ident!r} not found (a new one needs a slug: lower-case"
                    " letters, digits, - and _)"
                )
        else:
            raise NotFound(f"automation {ident!r} not found")
        if history_id is not None:
            assert record is not None
            source = await self._version(record, history_id)
            wf = await self.catalog.definition(source.id)
            label = source.version_label if label is None else label
        else:
            # the 1 MiB of YAML the API allows takes about a second to compile: off the loop
            wf = await asyncio.to_thread(_load, yaml or "", slug)
            wf = replace(wf, source_path=None)  # no file an operator wrote: confined code
            label = wf.version_label if label is None else label
        live = record is not None and record.deleted_at is None and record.current_version_id
        if not activate and not live:
            raise InvalidInput(
                [
                    Issue(
                        "activate",
                        f"false needs a current version to stay live until the promote;"
                        f" automation {slug!r} has none (send activate: true)",
                    )
                ]
            )
        return await self.catalog.deploy(wf, label=label, activate=activate)

    async def promote(self, ident: str, version_id: str) -> tuple[WorkflowRecord, VersionRecord]:
        """Make one of the automation's versions current, as it is (no new version)."""
        record = await self.find(ident)
        version = await self._version(record, version_id)
        wf = await self.catalog.definition(version.id)
        moved = await self.store.set_current_version(
            record.id,
            version.id,
            name=wf.title or wf.slug,
            description=wf.description,
            now=time.time_ns() // 1000,
        )
        self.catalog.forget_records()
        if moved is None:  # deleted meanwhile
            raise NotFound(f"automation {ident!r} not found")
        return moved, version

    async def restore(self, ident: str, version_id: str) -> tuple[WorkflowRecord, VersionRecord]:
        """Make an old version's content current again as an untagged version (the same
        one when that content was already stored untagged)."""
        record = await self.find(ident)
        version = await self._version(record, version_id)
        wf = await self.catalog.definition(version.id)
        return await self.catalog.deploy(wf, label=None, activate=True)

    async def delete(self, ident: str) -> WorkflowRecord:
        """Soft-delete an automation: gone from lists, lookups and run targets; its
        versions and runs stay. A version sent to its slug later brings it back."""
        record = await self.find(ident)
        deleted = await self.store.delete_workflow(record.id, time.time_ns() // 1000)
        self.catalog.forget_records()
        if not deleted:
            raise NotFound(f"automation {ident!r} not found")
        return record
