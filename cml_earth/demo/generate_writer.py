"""The bulk writer of ``flask demo generate``: planned rows go to the database in batches.

``Writer`` takes rows table by table from the planners (``generate_people``, ``generate_content``)
and inserts them on one connection, ``BATCH`` rows at a time: Core ``insert()`` executemany
everywhere, or COPY on PostgreSQL for the big tables (stories, comments, reactions,
notifications), which is several times faster there. ``Counts`` keeps what was written, per table,
for the command's summary; the progress bar moves by each batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import insert

BATCH = 10_000


@dataclass
class Counts:
    """What was written, per table."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, number: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + number


class Writer:
    """Batched inserts on one connection: Core executemany, or COPY on PostgreSQL."""

    def __init__(self, connection, progress: Callable[[int], None], counts: Counts):
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.progress = progress
        self.counts = counts

    def write(self, table, columns: tuple[str, ...], rows: Iterable[tuple], copy=False) -> None:
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self._flush(table, columns, batch, copy)
                batch = []
        if batch:
            self._flush(table, columns, batch, copy)

    def _flush(self, table, columns, batch, copy) -> None:
        if copy and self.postgres:
            raw = self.connection.connection.driver_connection
            names = ", ".join(columns)
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as out,  # model names only
            ):
                for row in batch:
                    out.write_row(row)
        else:
            self.connection.execute(
                insert(table), [dict(zip(columns, row, strict=True)) for row in batch]
            )
        self.counts.add(table.name, len(batch))
        self.progress(len(batch))
