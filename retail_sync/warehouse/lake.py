"""Lake layout and atomic Parquet partition writes.

A partition is one Parquet file,
`<lake>/<zone>/<source>/<entity>/shop=<shop>/date=<date>/part-0.parquet`.
It is written beside its final name and renamed over it, so a re-run replaces it whole and a crash
mid-write leaves the previous version readable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

PARTITION_FILE = "part-0.parquet"
# Temporary files never end in `.parquet`, so a reader's `*.parquet` glob cannot see them.
IN_PROGRESS_SUFFIX = ".inprogress"


@dataclass(frozen=True)
class Lake:
    """The root of the Parquet lake and the paths inside it."""

    root: Path

    def entity_dir(self, zone: str, source: str, entity: str) -> Path:
        return self.root / zone / source / entity

    def partition_dir(
        self,
        zone: str,
        source: str,
        entity: str,
        *,
        shop: str | None = None,
        date: str | None = None,
    ) -> Path:
        path = self.entity_dir(zone, source, entity)
        if shop is not None:
            path = path / f"shop={shop}"
        if date is not None:
            path = path / f"date={date}"
        return path

    def glob(self, zone: str, source: str, entity: str) -> str:
        """A DuckDB `read_parquet` pattern over every partition of an entity."""
        return str(self.entity_dir(zone, source, entity) / "**" / "*.parquet")


def write_partition(
    directory: Path,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch | pa.Table],
    *,
    compression: str = "zstd",
) -> int:
    """Stream `batches` into the partition file in `directory`, replacing it atomically.

    Returns the number of rows written. Identical input gives byte-identical files.
    """
    directory.mkdir(parents=True, exist_ok=True)
    # A writer killed mid-write leaves its temporary file behind; one writer per partition
    # (the DuckDB writer pool) means any left over now is stale.
    for stale in directory.glob(f".{PARTITION_FILE}.*{IN_PROGRESS_SUFFIX}"):
        stale.unlink(missing_ok=True)
    final = directory / PARTITION_FILE
    temporary = directory / f".{PARTITION_FILE}.{uuid.uuid4().hex}{IN_PROGRESS_SUFFIX}"
    rows = 0
    try:
        with pq.ParquetWriter(temporary, schema, compression=compression) as writer:
            for batch in batches:
                table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
                if table.num_rows:
                    writer.write_table(table.cast(schema))
                    rows += table.num_rows
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        _fsync_directory(directory)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return rows


def write_table_partition(directory: Path, table: pa.Table) -> int:
    """Write an in-memory table as a partition (see `write_partition`)."""
    return write_partition(directory, table.schema, [table])


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
