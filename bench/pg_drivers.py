"""Which PostgreSQL driver for the store? asyncpg vs psycopg 3 (async, pooled).

Measures what the store does most: a one-row INSERT, a primary-key SELECT of a
wide row, and a guarded UPDATE … RETURNING, each its own transaction, from 1
and from 32 concurrent tasks on a pool of 10 connections.

    python bench/pg_drivers.py postgresql://postgres@127.0.0.1:55432/postgres
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable

N = 3000
COLS = ", ".join(f"c{i} TEXT" for i in range(20))
SETUP = (
    f"DROP TABLE IF EXISTS bench_t; CREATE TABLE bench_t (id TEXT PRIMARY KEY, n BIGINT, {COLS})"
)


async def timed(label: str, tasks: int, op: Callable[[int], Awaitable[None]]) -> None:
    per = N // tasks

    async def worker(w: int) -> None:
        for i in range(per):
            await op(w * per + i)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(tasks)))
    dt = time.perf_counter() - t0
    print(f"  {label:<28} x{tasks:<3} {N / dt:8.0f} ops/s  {dt / N * 1e6:7.0f} µs/op")


async def bench_asyncpg(url: str) -> None:
    import asyncpg

    pool = await asyncpg.create_pool(url, min_size=10, max_size=10)
    await pool.execute(SETUP)
    vals = ["x" * 40] * 20
    cols = ", ".join(f"c{i}" for i in range(20))
    marks = ", ".join(f"${i + 3}" for i in range(20))
    for tasks in (1, 32):
        await pool.execute("TRUNCATE bench_t")

        async def ins(i: int) -> None:
            await pool.execute(
                f"INSERT INTO bench_t (id, n, {cols}) VALUES ($1, $2, {marks})", f"r{i}", i, *vals
            )

        async def sel(i: int) -> None:
            await pool.fetchrow("SELECT * FROM bench_t WHERE id = $1", f"r{i}")

        async def upd(i: int) -> None:
            await pool.fetchrow(
                "UPDATE bench_t SET n = n + 1 WHERE id = $1 AND n >= 0 RETURNING *", f"r{i}"
            )

        await timed("asyncpg insert", tasks, ins)
        await timed("asyncpg select", tasks, sel)
        await timed("asyncpg update returning", tasks, upd)
    await pool.close()


async def bench_psycopg(url: str) -> None:
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(url, min_size=10, max_size=10, open=False)
    await pool.open()
    async with pool.connection() as c:
        for stmt in SETUP.split("; "):
            await c.execute(stmt)
    vals = ["x" * 40] * 20
    cols = ", ".join(f"c{i}" for i in range(20))
    marks = ", ".join(["%s"] * 20)
    for tasks in (1, 32):
        async with pool.connection() as c:
            await c.execute("TRUNCATE bench_t")

        async def ins(i: int) -> None:
            async with pool.connection() as c:
                await c.execute(
                    f"INSERT INTO bench_t (id, n, {cols}) VALUES (%s, %s, {marks})",
                    (f"r{i}", i, *vals),
                )

        async def sel(i: int) -> None:
            async with pool.connection() as c:
                await (
                    await c.execute("SELECT * FROM bench_t WHERE id = %s", (f"r{i}",))
                ).fetchone()

        async def upd(i: int) -> None:
            async with pool.connection() as c:
                await (
                    await c.execute(
                        "UPDATE bench_t SET n = n + 1 WHERE id = %s AND n >= 0 RETURNING *",
                        (f"r{i}",),
                    )
                ).fetchone()

        await timed("psycopg insert", tasks, ins)
        await timed("psycopg select", tasks, sel)
        await timed("psycopg update returning", tasks, upd)
    await pool.close()


async def main(url: str) -> None:
    await bench_asyncpg(url)
    await bench_psycopg(url)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
