"""Workflow deploys over the API: versions sent as YAML, promote, soft delete, and the
automation search, for both stores (the `# -- workflow deploys` part of `Store`).

The SQL is written once with `?` placeholders; PostgreSQL gets them numbered
(`$1`, `$2`, …). Each store class inherits its mixin. The rule these operations
share with the folder loader (`save_workflow_version`): the current-version pointer
remembers who set it (`current_set_by`, migration 0016), so a promote, restore or
delete made here survives a restart that reloads the same folder.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from typing import Any

import asyncpg

from openpal.errors import NotFound
from openpal.store.pg_engine import PgEngine
from openpal.store.records import VersionRecord, WorkflowRecord
from openpal.store.rows import V_COLS, WF_COLS, escape_like, ver_from_row, wf_from_row
from openpal.store.sqlite_engine import SqliteEngine

_NEW_WORKFLOW = (
    "INSERT INTO workflows (id, slug, name, description, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO NOTHING"
)
_WORKFLOW_ID = "SELECT id FROM workflows WHERE slug = ?"
_SAME_CONTENT = f"SELECT {V_COLS} FROM workflow_versions WHERE workflow_id = ? AND content_hash = ?"
_NEXT_SEQ = "SELECT COALESCE(MAX(seq), 0) + 1 FROM workflow_versions WHERE workflow_id = ?"
_INSERT_VERSION = f"INSERT INTO workflow_versions ({V_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
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


def _numbered(sql: str) -> str:
    """`?` placeholders → PostgreSQL's `$1`, `$2`, … (no `?` appears in the SQL text)."""
    n = itertools.count(1)
    return re.sub(r"\?", lambda _: f"${next(n)}", sql)


def _search(search: str | None) -> tuple[str, list[str]]:
    """The WHERE clause and its arguments of an automation search."""
    where = "w.deleted_at IS NULL"
    if not search:
        return where, []
    pattern = "%" + escape_like(search.lower()) + "%"
    return where + _MATCH, [pattern] * 3


def _version_values(
    version_id: str, workflow_id: str, seq: int, label: str | None, digest: str, yaml: str, now: int
) -> tuple[Any, ...]:
    """The row of a new version sent over the API: it has no source file."""
    return (version_id, workflow_id, seq, label, digest, yaml, None, now)


class SqliteDeploys:
    """The workflow-deploy operations of `SqliteStore`."""

    db: SqliteEngine

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
        def op(c: sqlite3.Connection) -> tuple[WorkflowRecord, VersionRecord]:
            if activate:
                c.execute(_NEW_WORKFLOW, (workflow_id, slug, name, description, now, now))
            found = c.execute(_WORKFLOW_ID, (slug,)).fetchone()
            if found is None:
                raise NotFound(f"workflow {slug!r} not found (a candidate needs a workflow)")
            wf_id = found[0]
            row = c.execute(_SAME_CONTENT, (wf_id, content_hash)).fetchone()
            if row is None:
                seq = c.execute(_NEXT_SEQ, (wf_id,)).fetchone()[0]
                row = _version_values(
                    version_id, wf_id, seq, version_label, content_hash, yaml_content, now
                )
                c.execute(_INSERT_VERSION, row)
            version = ver_from_row(tuple(row))
            if activate:
                c.execute(_POINT, (version.id, name, description, now, wf_id))
            return wf_from_row(c.execute(_ONE, (wf_id,)).fetchone()), version

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
    """The workflow-deploy operations of `PostgresStore`."""

    db: PgEngine

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
        async def op(c: asyncpg.Connection) -> tuple[WorkflowRecord, VersionRecord]:
            if activate:
                await c.execute(
                    _numbered(_NEW_WORKFLOW), workflow_id, slug, name, description, now, now
                )
            # the row lock makes deploys (and folder loads) of one workflow agree on seq
            wf_id = await c.fetchval(_numbered(_WORKFLOW_ID) + " FOR UPDATE", slug)
            if wf_id is None:
                raise NotFound(f"workflow {slug!r} not found (a candidate needs a workflow)")
            row = await c.fetchrow(_numbered(_SAME_CONTENT), wf_id, content_hash)
            if row is None:
                seq = await c.fetchval(_numbered(_NEXT_SEQ), wf_id)
                values = _version_values(
                    version_id, wf_id, seq, version_label, content_hash, yaml_content, now
                )
                await c.execute(_numbered(_INSERT_VERSION), *values)
                version = ver_from_row(values)
            else:
                version = ver_from_row(tuple(row))
            if activate:
                await c.execute(_numbered(_POINT), version.id, name, description, now, wf_id)
            wf = await c.fetchrow(_numbered(_ONE), wf_id)
            return wf_from_row(tuple(wf)), version

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
                _numbered(_PROMOTE),
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
            return wf_from_row(tuple(await c.fetchrow(_numbered(_ONE), workflow_id)))

        return await self.db.tx(op)

    async def delete_workflow(self, workflow_id: str, now: int) -> bool:
        done = await self.db.execute(_numbered(_DELETE), now, now, workflow_id)
        return bool(done != "UPDATE 0")

    async def list_automations(
        self, *, search: str | None, limit: int, offset: int
    ) -> tuple[list[WorkflowRecord], int]:
        where, args = _search(search)
        total = await self.db.fetchval(
            _numbered(f"SELECT COUNT(*) FROM workflows w WHERE {where}"), *args
        )
        rows = await self.db.fetch(
            _numbered(f"SELECT {WF_COLS} {_FROM} WHERE {where} ORDER BY w.slug LIMIT ? OFFSET ?"),
            *args,
            limit,
            offset,
        )
        return [wf_from_row(tuple(r)) for r in rows], int(total)
