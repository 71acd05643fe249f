"""API keys, dashboard sessions and the reads of workflows and their versions, written
once for both stores (the `# -- API keys`, `# -- dashboard sessions` and `# -- workflows`
parts of `Store`; the writes of workflows are `deploys_sql`'s). Statements in `?` form;
the hooks are `sql_dialect`'s."""

from __future__ import annotations

from openpal.store.catalog_records import ApiKeyRecord, VersionRecord, WorkflowRecord
from openpal.store.rows import V_COLS, WF_COLS, escape_like, ver_from_row, wf_from_row
from openpal.store.sql_dialect import E, Insert, SqlStore

_KEY = Insert("api_keys", ("id", "tenant_id", "name", "key_hash", "prefix", "created_at"))
_KEY_COLS = ", ".join((*_KEY.columns, "revoked_at"))
_FIND_KEY = f"SELECT {_KEY_COLS} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL"
_COUNT_KEYS = "SELECT COUNT(*) FROM api_keys"
_LIST_KEYS = f"SELECT {_KEY_COLS} FROM api_keys ORDER BY created_at, id"
_REVOKE_KEY = "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
_END_SESSIONS = "DELETE FROM sessions WHERE key_id = ?"
_SESSION = Insert("sessions", ("id_hash", "key_id", "created_at", "expires_at"))
_FIND_SESSION = (
    f"SELECT {', '.join('k.' + c for c in _KEY_COLS.split(', '))}"
    " FROM sessions s JOIN api_keys k ON k.id = s.key_id"
    " WHERE s.id_hash = ? AND s.expires_at > ? AND k.revoked_at IS NULL"
)
_END_SESSION = "DELETE FROM sessions WHERE id_hash = ? OR expires_at <= ?"
_EXPIRED_SESSIONS = "DELETE FROM sessions WHERE expires_at <= ?"

_WF_FROM = "FROM workflows w LEFT JOIN workflow_versions v ON v.id = w.current_version_id"
_WORKFLOW = f"SELECT {WF_COLS} {_WF_FROM} WHERE (w.id = ? OR w.slug = ?)"
_ALIVE = " AND w.deleted_at IS NULL"
_SEARCH = "(w.slug LIKE ? ESCAPE '\\' OR w.name LIKE ? ESCAPE '\\')"

_COUNT_VERSIONS = "SELECT COUNT(*) FROM workflow_versions WHERE workflow_id = ?"
_VERSIONS = (
    f"SELECT {V_COLS} FROM workflow_versions WHERE workflow_id = ?"
    " ORDER BY seq DESC LIMIT ? OFFSET ?"
)
_VERSION = f"SELECT {V_COLS} FROM workflow_versions WHERE id = ?"
_FIND_VERSION = (
    f"SELECT {V_COLS} FROM workflow_versions WHERE workflow_id = ?"
    " AND (version_label = ? OR id = ?) ORDER BY seq DESC LIMIT 1"
)


class CatalogSql(SqlStore[E]):
    """API keys and the workflow reads of `SqliteStore` and `PostgresStore`."""

    # -- API keys ---------------------------------------------------------
    async def create_api_key(self, key: ApiKeyRecord) -> None:
        row = {
            "id": key.id,
            "tenant_id": key.tenant_id,
            "name": key.name,
            "key_hash": key.key_hash,
            "prefix": key.prefix,
            "created_at": key.created_at,
        }
        await self.db.execute(self._sql(_KEY.sql), *_KEY.values(row))

    async def find_api_key(self, key_hash: str) -> ApiKeyRecord | None:
        row = await self._point().fetchrow(self._sql(_FIND_KEY), key_hash)
        return ApiKeyRecord(*row) if row else None

    async def count_api_keys(self) -> int:
        return int(await self.db.fetchval(_COUNT_KEYS))

    async def list_api_keys(self) -> list[ApiKeyRecord]:
        return [ApiKeyRecord(*row) for row in await self.db.fetch(_LIST_KEYS)]

    async def revoke_api_key(self, key_id: str, now: int) -> bool:
        done = self._changed(await self.db.execute(self._sql(_REVOKE_KEY), now, key_id))
        await self.db.execute(self._sql(_END_SESSIONS), key_id)
        return done > 0

    # -- dashboard sessions -----------------------------------------------
    async def create_session(self, id_hash: str, key_id: str, now: int, expires_at: int) -> None:
        row = {"id_hash": id_hash, "key_id": key_id, "created_at": now, "expires_at": expires_at}
        await self.db.execute(self._sql(_SESSION.sql), *_SESSION.values(row))
        await self.db.execute(self._sql(_EXPIRED_SESSIONS), now)  # sessions never signed out

    async def find_session(self, id_hash: str, now: int) -> ApiKeyRecord | None:
        row = await self._point().fetchrow(self._sql(_FIND_SESSION), id_hash, now)
        return ApiKeyRecord(*row) if row else None

    async def delete_session(self, id_hash: str, now: int) -> None:
        await self.db.execute(self._sql(_END_SESSION), id_hash, now)

    # -- workflows --------------------------------------------------------
    async def get_workflow(
        self, id_or_slug: str, *, include_deleted: bool = False
    ) -> WorkflowRecord | None:
        sql = _WORKFLOW if include_deleted else _WORKFLOW + _ALIVE
        row = await self._point().fetchrow(self._sql(sql), id_or_slug, id_or_slug)
        return wf_from_row(tuple(row)) if row else None

    async def list_workflows(
        self, *, search: str | None, name: str | None, limit: int, offset: int
    ) -> tuple[list[WorkflowRecord], int]:
        where, args = ["w.deleted_at IS NULL"], []
        if search:
            where.append(_SEARCH)
            args += ["%" + escape_like(search) + "%"] * 2
        if name:
            where.append("w.slug = ?")
            args.append(name)
        cond = " AND ".join(where)
        total = await self.db.fetchval(
            self._sql(f"SELECT COUNT(*) FROM workflows w WHERE {cond}"), *args
        )
        rows = await self.db.fetch(
            self._sql(f"SELECT {WF_COLS} {_WF_FROM} WHERE {cond} ORDER BY w.slug LIMIT ? OFFSET ?"),
            *args,
            limit,
            offset,
        )
        return [wf_from_row(tuple(r)) for r in rows], int(total)

    async def list_versions(
        self, workflow_id: str, *, limit: int, offset: int
    ) -> tuple[list[VersionRecord], int]:
        total = await self.db.fetchval(self._sql(_COUNT_VERSIONS), workflow_id)
        rows = await self.db.fetch(self._sql(_VERSIONS), workflow_id, limit, offset)
        return [ver_from_row(tuple(r)) for r in rows], int(total)

    async def get_version(self, version_id: str) -> VersionRecord | None:
        row = await self._point().fetchrow(self._sql(_VERSION), version_id)
        return ver_from_row(tuple(row)) if row else None

    async def find_version(self, workflow_id: str, label: str) -> VersionRecord | None:
        row = await self._point().fetchrow(self._sql(_FIND_VERSION), workflow_id, label, label)
        return ver_from_row(tuple(row)) if row else None
