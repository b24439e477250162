"""Lake layout and atomic Parquet partition writes.

A partition is one Parquet file,
`<lake>/<zone>/<source>/<entity>/shop=<shop>/date=<date>/part-0.parquet`.
It is written beside its final name and renamed over it, so a re-run replaces it whole and a crash
mid-write leaves the previous version readable.

Every path segment is checked before anything is written: a shop id or a date that is not of its
form, or a path that would resolve outside the lake root, is a `LakePathError`, never a write.
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date as calendar_date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from retail_sync.errors import RetailSyncError
from retail_sync.shops import is_shop_id

PARTITION_FILE = "part-0.parquet"
# Temporary files never end in `.parquet`, so a reader's `*.parquet` glob cannot see them.
IN_PROGRESS_SUFFIX = ".inprogress"
# Zones, sources and entities are our own names (`raw`, `shopify`, `order_line_items`).
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
# A temporary file is `.part-0.parquet.<host>.<pid namespace>.<pid>.<token>.inprogress`: the
# writer that made it is told apart from every other writer (thread, process, container, host),
# and whether it still runs can be checked. The pid namespace matters: containers sharing a host
# name (host networking) and a lake volume see each other's process ids as "not running".
TEMPORARY_PATTERN = re.compile(
    re.escape(f".{PARTITION_FILE}.")
    + r"(?P<host>[A-Za-z0-9-]+)\.(?P<namespace>\d+)\.(?P<pid>\d+)\.(?P<token>[0-9a-f]{32})"
    + re.escape(IN_PROGRESS_SUFFIX)
)
# A leftover whose writer cannot be checked (another host or container, a name from an older
# version, a process id reused since) is removed once it is this old: no partition write comes
# near a day, and until then a leftover costs only disk (readers never see it).
STALE_AFTER_SECONDS = 24 * 60 * 60


class LakePathError(RetailSyncError):
    """A lake path holds a segment that is not of its form, or would lie outside the lake root."""


@dataclass(frozen=True)
class Lake:
    """The root of the Parquet lake and the paths inside it."""

    root: Path

    def entity_dir(self, zone: str, source: str, entity: str) -> Path:
        for kind, name in (("zone", zone), ("source", source), ("entity", entity)):
            if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
                raise LakePathError(f"lake {kind} {name!r} is not a plain lower-case name")
        return self._inside(self.root / zone / source / entity)

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
            check_shop_segment(shop)
            path = path / f"shop={shop}"
        if date is not None:
            check_date_segment(date)
            path = path / f"date={date}"
        return self._inside(path)

    def glob(self, zone: str, source: str, entity: str) -> str:
        """A DuckDB `read_parquet` pattern over every partition of an entity."""
        return str(self.entity_dir(zone, source, entity) / "**" / "*.parquet")

    def _inside(self, path: Path) -> Path:
        """`path`, once it is known to resolve (symbolic links followed) under the lake root."""
        root = self.root.resolve()
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            raise LakePathError(f"lake path {path} resolves to {resolved}, outside the lake {root}")
        return path


def check_shop_segment(shop: object) -> None:
    """A `shop=` segment holds a shop id (retail_sync.shops.SHOP_ID_PATTERN), nothing else."""
    if not is_shop_id(shop):
        raise LakePathError(f"lake partition shop {shop!r} is not a shop id")


def check_date_segment(value: object) -> None:
    """A `date=` segment holds a calendar date as YYYY-MM-DD, nothing else."""
    if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
        raise LakePathError(f"lake partition date {value!r} is not a YYYY-MM-DD date")
    try:
        calendar_date.fromisoformat(value)
    except ValueError:
        raise LakePathError(f"lake partition date {value!r} is not a calendar date") from None


def check_partition_directory(directory: Path) -> None:
    """Refuse a directory that climbs (`..`) or whose `shop=`/`date=` segments are not of form.

    `Lake.partition_dir` also checks the path resolves under the lake root; this check covers
    directories a caller extended itself (a quarantine's `source=<family>`).
    """
    if ".." in directory.parts:
        raise LakePathError(f"lake partition {directory} climbs out of its folder ('..')")
    # Only the partition's own segments: the folders above the lake root are the operator's.
    for part in directory.parts[-3:]:
        if part.startswith("shop="):
            check_shop_segment(part.removeprefix("shop="))
        elif part.startswith("date="):
            check_date_segment(part.removeprefix("date="))


def write_partition(
    directory: Path,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch | pa.Table],
    *,
    compression: str = "zstd",
) -> int:
    """Stream `batches` into the partition file in `directory`, replacing it atomically.

    Returns the number of rows written. Identical input gives byte-identical files. Writers of the
    same partition may run at once: each writes its own temporary file and the last rename wins.
    """
    check_partition_directory(directory)
    directory.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(directory)
    final = directory / PARTITION_FILE
    temporary = directory / temporary_name()
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


def temporary_name() -> str:
    """A temporary file name no other writer (thread, process, container or host) can share."""
    writer = f"{_host()}.{_pid_namespace()}.{os.getpid()}"
    return f".{PARTITION_FILE}.{writer}.{uuid.uuid4().hex}{IN_PROGRESS_SUFFIX}"


def remove_stale_temporaries(directory: Path, *, now: float | None = None) -> list[Path]:
    """Remove the temporary files in `directory` whose writer is provably gone; return them.

    Provably gone: the name says this host and pid namespace and a process id that is not
    running, or the file is older than STALE_AFTER_SECONDS (the only test for a writer elsewhere).
    A live writer's file, another thread's of this process included, is never touched.
    """
    now = time.time() if now is None else now
    removed = []
    here = (_host(), str(_pid_namespace()))
    for candidate in directory.glob(f".{PARTITION_FILE}.*{IN_PROGRESS_SUFFIX}"):
        match = TEMPORARY_PATTERN.fullmatch(candidate.name)
        checkable = match is not None and (match["host"], match["namespace"]) == here
        if checkable and match is not None and not _process_alive(int(match["pid"])):
            stale = True
        else:
            try:
                stale = now - candidate.stat().st_mtime > STALE_AFTER_SECONDS
            except FileNotFoundError:  # its writer renamed or removed it just now
                continue
        if stale:
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:63] or "host"


def _pid_namespace() -> int:
    """The inode of this process's pid namespace (Linux), or 0 where it cannot be known."""
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def _process_alive(pid: int) -> bool:
    if os.name != "posix" or _pid_namespace() == 0:
        return True  # cannot tell: only the age decides
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # running, as another user
        return True
    except OverflowError:  # not a process id this system can have
        return False
    return True


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
