"""Workflow versions, for both stores: those a process loads from its workflows folder
(`save_workflow_version`) and those deployed over the API — versions sent as YAML,
promote, soft delete — with the automation search (the `# -- workflow deploys` part of
`Store`).

The SQL is written once with `?` placeholders; PostgreSQL gets them numbered
(`$1`, `$2`, …). Each store class inherits its mixin. Both ways in store a version the
same way (`_sqlite_put` / `_pg_put`: the same content is reused, new content gets the
next seq) and differ in the pointer: the current-version pointer remembers who set it
(`current_set_by`, migration 0016), so a promote, restore or delete made over the API
survives a restart that reloads the same folder (`_Put.load_moves_pointer`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openpal.errors import NotFound
from openpal.store.catalog_records import VersionRecord, WorkflowRecord
from openpal.store.rows import (
    V_COLS,
    WF_COLS,
    escape_like,
    numbered,
    ver_from_row,
    wf_from_row,
)
from openpal.store.sqlite_engine import SqliteEngine

if TYPE_CHECKING:  # the embedded default runs without asyncpg installed
    import asyncpg

    from openpal.store.pg_engine import PgEngine

_NEW_WORKFLOW = (
    "INSERT INTO workflows (id, slug, name, description, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO NOTHING"
)
_WORKFLOW = (
    "SELECT id, current_version_id, current_set_by, deleted_at FROM workflows WHERE slug = ?"
)
_SAME_CONTENT = f"SELECT {V_COLS} FROM workflow_versions WHERE workflow_id = ? AND content_hash = ?"
_NEXT_SEQ = "SELECT COALESCE(MAX(seq), 0) + 1 FROM workflow_versions WHERE workflow_id = ?"
_INSERT_VERSION = f"INSERT INTO workflow_versions ({V_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_LOAD_POINT = (
    "UPDATE workflows SET current_version_id = ?, name = ?, description = ?, updated_at = ?,"
    " current_set_by = 'load', deleted_at = NULL WHERE id = ?"
)
_POINT = (
    "UPDATE workflows SET current_version_id = ?, name = ?, description = ?, updated_at = ?,"
    " current_set_by = 'api', deleted_at = NULL WHERE id = ?"
)
_PROMOTE = (
    "UPDATE workflows SET current_version_id = ?, name = ?, description = ?, updated_at = ?,"
    " current_set_by = 'api' WHERE id = ? AND deleted_at IS NULL AND EXISTS"
    " (SELECT 1 FROM workflow_versions WHERE id = ? AND workflow_id = ?)"
)
_DELETE = "UPDATE workflows SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL"
_FROM = "FROM workflows w LEFT JOIN workflow_versions v ON v.id = w.current_version_id"
_ONE = f"SELECT {WF_COLS} {_FROM} WHERE w.id = ?"
_MATCH = (
    " AND ("
    + " OR ".join(
        f"LOWER(COALESCE({col}, '')) LIKE ? ESCAPE '\\'"
        for col in ("w.slug", "w.name", "w.description")
    )
    + ")"
)


def _search(search: str | None) -> tuple[str, list[str]]:
    """The WHERE clause and its arguments of an automation search."""
    where = "w.deleted_at IS NULL"
    if not search:
        return where, []
    pattern = "%" + escape_like(search.lower()) + "%"
    return where + _MATCH, [pattern] * 3


@dataclass(frozen=True)
class _NewVersion:
    """A version to store under workflow `slug` (`source_path`: None when sent over the API)."""

    slug: str
    id: str
    label: str | None
    content_hash: str
    yaml: str
    source_path: str | None
    now: int

    def row(self, workflow_id: str, seq: int) -> tuple[object, ...]:
        """Its `workflow_versions` row (`V_COLS`)."""
        return (
            self.id, workflow_id, seq, self.label, self.content_hash, self.yaml,
            self.source_path, self.now,
        )  # fmt: skip


@dataclass(frozen=True)
class _Put:
    """A version stored (or found) under a workflow, and that workflow's row before."""

    workflow_id: str
    current: str | None  # the current-version pointer
    set_by: str  # who set it: 'load' or 'api'
    deleted_at: int | None
    version: VersionRecord
    new: bool  # the content was new to the workflow

    def load_moves_pointer(self) -> bool:
        """The folder load's rule: new content moves the pointer; known content only while
        the pointer is the folder's own (set by a load, the workflow not deleted)."""
        folders = self.set_by == "load" and self.deleted_at is None
        return (self.new or folders) and self.current != self.version.id


def _not_found(slug: str) -> NotFound:
    return NotFound(f"workflow {slug!r} not found (a candidate needs a workflow)")


def _sqlite_put(c: sqlite3.Connection, v: _NewVersion) -> _Put:
    """Store `v` under its workflow: the version with the same content when there is
    one, else a new one with the next seq."""
    found = c.execute(_WORKFLOW, (v.slug,)).fetchone()
    if found is None:
        raise _not_found(v.slug)
    wf_id, current, set_by, deleted_at = found
    row = c.execute(_SAME_CONTENT, (wf_id, v.content_hash)).fetchone()
    new = row is None
    if new:
        row = v.row(wf_id, c.execute(_NEXT_SEQ, (wf_id,)).fetchone()[0])
        c.execute(_INSERT_VERSION, row)
    return _Put(wf_id, current, set_by, deleted_at, ver_from_row(tuple(row)), new)


async def _pg_put(c: asyncpg.Connection, v: _NewVersion) -> _Put:
    """`_sqlite_put` on PostgreSQL."""
    # the row lock makes deploys and folder loads of one workflow agree on seq
    found = await c.fetchrow(numbered(_WORKFLOW) + " FOR UPDATE", v.slug)
    if found is None:
        raise _not_found(v.slug)
    wf_id, current, set_by, deleted_at = found
    row = await c.fetchrow(numbered(_SAME_CONTENT), wf_id, v.content_hash)
    new = row is None
    if new:
        row = v.row(wf_id, await c.fetchval(numbered(_NEXT_SEQ), wf_id))
        await c.execute(numbered(_INSERT_VERSION), *row)
    return _Put(wf_id, current, set_by, deleted_at, ver_from_row(tuple(row)), new)


class SqliteDeploys:
    """The workflow-version operations of `SqliteStore`."""

    db: SqliteEngine

    async def save_workflow_version(
        self,
        *,
        workflow_id: str,
        slug: str,
        name: str | None,
        description: str | None,
        version_id: str,
        version_label: str | None,
        content_hash: str,
        yaml_content: str,
        source_path: str | None,
        now: int,
    ) -> tuple[WorkflowRecord, VersionRecord]:
        new = _NewVersion(
            slug, version_id, version_label, content_hash, yaml_content, source_path, now
        )

        def op(c: sqlite3.Connection) -> tuple[WorkflowRecord, VersionRecord]:
            c.execute(_NEW_WORKFLOW, (workflow_id, slug, name, description, now, now))
            put = _sqlite_put(c, new)
            if put.load_moves_pointer():
                c.execute(_LOAD_POINT, (put.version.id, name, description, now, put.workflow_id))
            return wf_from_row(c.execute(_ONE, (put.workflow_id,)).fetchone()), put.version

        return await self.db.write(op)

    async def deploy_workflow_version(
        self,
        *,
        workflow_id: str,
        slug: str,
        name: str | None,
        description: str | None,
        version_id: str,
        version_label: str | None,
        content_hash: str,
        yaml_content: str,
        activate: bool,
        now: int,
    ) -> tuple[WorkflowRecord, VersionRecord]:
        new = _NewVersion(slug, version_id, version_label, content_hash, yaml_content, None, now)

        def op(c: sqlite3.Connection) -> tuple[WorkflowRecord, VersionRecord]:
            if activate:
                c.execute(_NEW_WORKFLOW, (workflow_id, slug, name, description, now, now))
            put = _sqlite_put(c, new)
            if activate:
                c.execute(_POINT, (put.version.id, name, description, now, put.workflow_id))
            return wf_from_row(c.execute(_ONE, (put.workflow_id,)).fetchone()), put.version

        return await self.db.write(op)

    async def set_current_version(
        self,
        workflow_id: str,
        version_id: str,
        *,
        name: str | None,
        description: str | None,
        now: int,
    ) -> WorkflowRecord | None:
        def op(c: sqlite3.Connection) -> WorkflowRecord | None:
            args = (version_id, name, description, now, workflow_id, version_id, workflow_id)
            if c.execute(_PROMOTE, args).rowcount == 0:
                return None
            return wf_from_row(c.execute(_ONE, (workflow_id,)).fetchone())

        return await self.db.write(op)

    async def delete_workflow(self, workflow_id: str, now: int) -> bool:
        def op(c: sqlite3.Connection) -> bool:
            return c.execute(_DELETE, (now, now, workflow_id)).rowcount > 0

        return await self.db.write(op)

    async def list_automations(
        self, *, search: str | None, limit: int, offset: int
    ) -> tuple[list[WorkflowRecord], int]:
        where, args = _search(search)

        def op(c: sqlite3.Connection) -> tuple[list[WorkflowRecord], int]:
            total = c.execute(f"SELECT COUNT(*) FROM workflows w WHERE {where}", args).fetchone()
            rows = c.execute(
                f"SELECT {WF_COLS} {_FROM} WHERE {where} ORDER BY w.slug LIMIT ? OFFSET ?",
                [*args, limit, offset],
            ).fetchall()
            return [wf_from_row(r) for r in rows], int(total[0])

        return await self.db.read(op)


class PostgresDeploys:
    """The workflow-version operations of `PostgresStore`."""

    db: PgEngine

    async def save_workflow_version(
        self,
        *,
        workflow_id: str,
        slug: str,
        name: str | None,
        description: str | None,
        version_id: str,
        version_label: str | None,
        content_hash: str,
        yaml_content: str,
        source_path: str | None,
        now: int,
    ) -> tuple[WorkflowRecord, VersionRecord]:
        new = _NewVersion(
            slug, version_id, version_label, content_hash, yaml_content, source_path, now
        )

        async def op(c: asyncpg.Connection) -> tuple[WorkflowRecord, VersionRecord]:
            await c.execute(numbered(_NEW_WORKFLOW), workflow_id, slug, name, description, now, now)
            put = await _pg_put(c, new)
            if put.load_moves_pointer():
                await c.execute(
                    numbered(_LOAD_POINT), put.version.id, name, description, now, put.workflow_id
                )
            wf = await c.fetchrow(numbered(_ONE), put.workflow_id)
            return wf_from_row(tuple(wf)), put.version

        return await self.db.tx(op)

    async def deploy_workflow_version(
        self,
        *,
        workflow_id: str,
        slug: str,
        name: str | None,
        description: str | None,
        version_id: str,
        version_label: str | None,
        content_hash: str,
        yaml_content: str,
        activate: bool,
        now: int,
    ) -> tuple[WorkflowRecord, VersionRecord]:
        new = _NewVersion(slug, version_id, version_label, content_hash, yaml_content, None, now)

        async def op(c: asyncpg.Connection) -> tuple[WorkflowRecord, VersionRecord]:
            if activate:
                await c.execute(
                    numbered(_NEW_WORKFLOW), workflow_id, slug, name, description, now, now
                )
            put = await _pg_put(c, new)
            if activate:
                await c.execute(
                    numbered(_POINT), put.version.id, name, description, now, put.workflow_id
                )
            wf = await c.fetchrow(numbered(_ONE), put.workflow_id)
            return wf_from_row(tuple(wf)), put.version

        return await self.db.tx(op)

    async def set_current_version(
        self,
        workflow_id: str,
        version_id: str,
        *,
        name: str | None,
        description: str | None,
        now: int,
    ) -> WorkflowRecord | None:
        async def op(c: asyncpg.Connection) -> WorkflowRecord | None:
            done = await c.execute(
                numbered(_PROMOTE),
                version_id,
                name,
                description,
                now,
                workflow_id,
                version_id,
                workflow_id,
            )
            if done == "UPDATE 0":
                return None
            return wf_from_row(tuple(await c.fetchrow(numbered(_ONE), workflow_id)))

        return await self.db.tx(op)

    async def delete_workflow(self, workflow_id: str, now: int) -> bool:
        done = await self.db.execute(numbered(_DELETE), now, now, workflow_id)
        return bool(done != "UPDATE 0")

    async def list_automations(
        self, *, search: str | None, limit: int, offset: int
    ) -> tuple[list[WorkflowRecord], int]:
        where, args = _search(search)
        total = await self.db.fetchval(
            numbered(f"SELECT COUNT(*) FROM workflows w WHERE {where}"), *args
        )
        rows = await self.db.fetch(
            numbered(f"SELECT {WF_COLS} {_FROM} WHERE {where} ORDER BY w.slug LIMIT ? OFFSET ?"),
            *args,
            limit,
            offset,
        )
        return [wf_from_row(tuple(r)) for r in rows], int(total)
