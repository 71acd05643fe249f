"""The bundled migrations: one numbered sequence, one SQL file per backend per step.

`migrations/sqlite/0003_x.sql` and `migrations/postgres/0003_x.sql` are the same
step for the two databases; a database records the numbers it has applied in
`schema_migrations`, so both move through the same sequence.
"""

from __future__ import annotations

from importlib import resources
from typing import Literal

Backend = Literal["sqlite", "postgres"]


def bundled_migrations(backend: Backend) -> list[tuple[int, str, str]]:
    """(number, file name, sql) of every migration for `backend`, in order."""
    folder = resources.files("openpal.store").joinpath("migrations", backend)
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def split_sql(sql: str) -> list[str]:
    """Statements of a migration file (comment lines dropped; no `;` inside strings)."""
    lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
