"""What the statements written once for both stores (`sql_catalog`, `sql_runs`) leave to
each database: placeholders, lists of values, row locks, where a point read runs, and
how a write reports the rows it changed.

The statements are written with `?` marks. SQLite runs them as they are; PostgreSQL
gets them numbered (`$1`, `$2`, …, by `rows.numbered`, once per text). Both engines
offer one small async surface (`Engine`): `fetch`, `fetchrow`, `fetchval`, `execute`,
and `tx`, which runs a body in one transaction on a connection with the same calls
(`Conn`). A body is a coroutine function written once; SQLite's writer thread runs it
to its end in one step (`SqliteEngine.tx`), so writes keep their group commit.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from openpal.store.rows import Marks, dollar_marks, numbered, qmarks
from openpal.store.sqlite_engine import SqliteEngine

if TYPE_CHECKING:  # the embedded default runs without asyncpg installed
    from openpal.store.pg_engine import PgEngine

T = TypeVar("T")
Row = Sequence[Any]  # a tuple from SQLite, an asyncpg.Record from PostgreSQL


class Reads(Protocol):
    """Reads of statements in the dialect's placeholders."""

    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]: ...

    async def fetchrow(self, sql: str, *args: Any) -> Row | None: ...

    async def fetchval(self, sql: str, *args: Any) -> Any: ...


class Conn(Reads, Protocol):
    """The connection a `tx` body gets: reads and writes inside one transaction."""

    async def execute(self, sql: str, *args: Any) -> object: ...

    async def executemany(self, sql: str, args: Iterable[Sequence[Any]]) -> object: ...


class Engine(Reads, Protocol):
    """What `SqliteEngine` and `PgEngine` both offer."""

    async def execute(self, sql: str, *args: Any) -> object: ...

    async def tx(self, op: Callable[[Conn], Coroutine[Any, Any, T]]) -> T: ...


class Insert:
    """An INSERT of rows given as column → value mappings, in `?` form: a row that lacks
    a column, or has one the statement does not name, is an error, never a shifted value."""

    def __init__(self, table: str, columns: Sequence[str], tail: str = "") -> None:
        self.columns = tuple(columns)
        self._names = frozenset(self.columns)
        marks = ", ".join("?" * len(self.columns))
        self.sql = f"INSERT INTO {table} ({', '.join(self.columns)}) VALUES ({marks}){tail}"

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row's values in the statement's column order."""
        if row.keys() != self._names:
            raise KeyError(f"a row of columns {sorted(row)} for an INSERT of {self.columns}")
        return tuple(row[c] for c in self.columns)


E = TypeVar("E", bound=Engine)


class SqlStore(Generic[E]):
    """The base of the shared mixins: the engine (`E`: `SqliteEngine` or `PgEngine`), and
    the hooks each database fills in."""

    db: E
    # appended to a SELECT of rows this transaction goes on to change: lock them first
    _for_update = ""
    # … or to one that may leave rows another transaction holds to a later call
    _skip_locked = ""

    def _sql(self, sql: str) -> str:
        """A statement written with `?` marks, in this database's placeholders."""
        raise NotImplementedError

    def _marks(self) -> Marks:
        """Placeholders handed out one at a time, for statements built piece by piece."""
        raise NotImplementedError

    def _one_of(self, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
        """`column` is one of the text `values`: the condition (`?` form) and its args."""
        raise NotImplementedError

    def _point(self) -> Reads:
        """Where a read of one row (or one run's few rows) by key runs."""
        raise NotImplementedError

    def _changed(self, result: object) -> int:
        """The number of rows a write changed, from what `execute` answered."""
        raise NotImplementedError


class SqliteSql(SqlStore[SqliteEngine]):
    """The hooks for SQLite: `?` as written, lists spelled out, no row locks (one writer)."""

    def _sql(self, sql: str) -> str:
        return sql

    def _marks(self) -> Marks:
        return qmarks()

    def _one_of(self, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    def _point(self) -> Reads:
        # no thread hop: a point read costs less than the switch to a reader thread
        return self.db.inline()

    def _changed(self, result: object) -> int:
        assert isinstance(result, int)  # SqliteEngine.execute: the cursor's rowcount
        return result


class PostgresSql(SqlStore["PgEngine"]):
    """The hooks for PostgreSQL: numbered marks, a list as one array argument, row locks."""

    db: PgEngine  # a string above: pg_engine imports asyncpg, which SQLite users may lack
    _for_update = " FOR UPDATE"
    _skip_locked = " FOR UPDATE SKIP LOCKED"

    def _sql(self, sql: str) -> str:
        return numbered(sql)

    def _marks(self) -> Marks:
        return dollar_marks()

    def _one_of(self, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
        # one text whatever the length: the statement is prepared once
        return f"{column} = ANY(?::text[])", [list(values)]

    def _point(self) -> Reads:
        return self.db

    def _changed(self, result: object) -> int:
        return int(str(result).split()[-1])  # the command tag: "UPDATE 1", "INSERT 0 1"
