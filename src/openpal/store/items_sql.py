"""Fan-out items (`step_items` table, migration 0026), written once for both stores.

A `forEach` step keeps each item as it ends; the write is fenced like a checkpoint (only
while the writer's token is the run's), and an item written again (a takeover re-ran an
item whose row it had not seen yet) replaces the earlier row: items are at-least-once,
their last ending wins. The step's own row goes to `step_executions` as for any step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpal.store.history_records import ItemResult
from openpal.store.records import dumps, loads
from openpal.store.sql_dialect import E, SqlStore

_COLS = ("run_id", "step_index", "item_index", "status", "output", "error", "attempts",
         "started_at", "completed_at")  # fmt: skip
# PostgreSQL needs the types of values it cannot tell from a SELECT list
_CASTS = {"step_index": "INTEGER", "item_index": "INTEGER", "attempts": "INTEGER",
          "started_at": "BIGINT", "completed_at": "BIGINT"}  # fmt: skip
_SAVE = (
    f"INSERT INTO step_items ({', '.join(_COLS)}) SELECT "
    + ", ".join(f"CAST(? AS {_CASTS[c]})" if c in _CASTS else "?" for c in _COLS)
    + " WHERE EXISTS (SELECT 1 FROM runs WHERE id = ? AND fencing_token = ?)"
    + " ON CONFLICT (run_id, step_index, item_index) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLS[3:])
)
_LIST = (
    f"SELECT {', '.join(_COLS[1:])} FROM step_items WHERE run_id = ? AND step_index = ?"
    " ORDER BY item_index"
)
_COUNTS = (
    "SELECT step_index, status, count(*) FROM step_items WHERE run_id = ?"
    " GROUP BY step_index, status"
)


def _item(row: Sequence[Any]) -> ItemResult:
    values = list(row)
    values[3] = loads(values[3])
    return ItemResult(*values)


class ItemsSql(SqlStore[E]):
    """The `# -- fan-out items` part of `Store` for `SqliteStore` and `PostgresStore`."""

    async def save_item(self, run_id: str, token: int, item: ItemResult) -> bool:
        output = None if item.output is None else dumps(item.output)
        # (the SELECT's WHERE keeps SQLite from reading ON CONFLICT as a join's ON)
        done = await self.db.execute(
            self._sql(_SAVE),
            run_id, item.step_index, item.item_index, item.status, output, item.error,
            item.attempts, item.started_at, item.completed_at, run_id, token,
        )  # fmt: skip
        return self._changed(done) == 1

    async def list_items(self, run_id: str, step_index: int) -> list[ItemResult]:
        rows = await self._point().fetch(self._sql(_LIST), run_id, step_index)
        return [_item(r) for r in rows]

    async def count_items(self, run_id: str) -> dict[int, dict[str, int]]:
        counts: dict[int, dict[str, int]] = {}
        for step_index, status, n in await self.db.fetch(self._sql(_COUNTS), run_id):
            counts.setdefault(int(step_index), {})[str(status)] = int(n)
        return counts
