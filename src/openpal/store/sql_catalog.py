"""API keys and the reads of workflows and their versions, written once for both stores
(the `# -- API keys` and `# -- workflows` parts of `Store`; the writes of workflows are
`deploys_sql`'s). Statements in `?` form; the hooks are `sql_dialect`'s."""

from __future__ import annotations

from openpal.store.records import ApiKeyRecord, VersionRecord, WorkflowRecord
from openpal.store.rows import V_COLS, WF_COLS, escape_like, ver_from_row, wf_from_row
from openpal.store.sql_dialect import E, Insert, SqlStore

_KEY = Insert("api_keys", ("id", "tenant_id", "name", "key_hash", "prefix", "created_at"))
_FIND_KEY = f"SELECT {', '.join(_KEY.columns)} FROM api_keys WHERE key_hash = ?"
_COUNT_KEYS = "SELECT COUNT(*) FROM api_keys"

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
