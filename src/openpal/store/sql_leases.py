"""A held run's lease, written once for both stores: renewing it while the worker works,
and handing the run back to the queue. Both writes are fenced by the claim's token (a
worker whose lease was taken over changes nothing and hears False). Statements in `?`
form; the hooks are `sql_dialect`'s."""

from __future__ import annotations

from openpal.store.rows import EXECUTING
from openpal.store.sql_dialect import E, SqlStore

_RENEW = (
    "UPDATE runs SET lease_expires_at = ? WHERE id = ? AND fencing_token = ?"
    f" AND status IN ({EXECUTING})"
)
_RELEASE = (
    "UPDATE runs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,"
    " updated_at = ? WHERE id = ? AND fencing_token = ? AND status = 'running'"
)


class LeasesSql(SqlStore[E]):
    """`renew_lease` and `release_run` for `SqliteStore` and `PostgresStore`."""

    async def renew_lease(self, run_id: str, token: int, lease_seconds: float, now: int) -> bool:
        expires = now + int(lease_seconds * 1_000_000)
        done = await self.db.execute(self._sql(_RENEW), expires, run_id, token)
        return self._changed(done) == 1

    async def release_run(self, run_id: str, token: int, now: int) -> bool:
        done = await self.db.execute(self._sql(_RELEASE), now, run_id, token)
        return self._changed(done) == 1
