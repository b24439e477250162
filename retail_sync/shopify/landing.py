"""Land JSONL records (bulk output, or paged nodes written in the same shape) as Parquet partitions.

DuckDB reads the JSONL once into an in-memory table (spilling to `work_dir` beyond
`memory_limit`), then per entity drops duplicate ids, validates, and hands the good rows, sorted by
id, to a writer thread that cuts them into fixed-size batches for the lake's atomic
`write_partition` while DuckDB works on the next entity. Identical input always gives
byte-identical files. Malformed records go to the `quarantine` table with their reason and payload.

A line DuckDB cannot read (not JSON, not UTF-8, a lone surrogate, a list where a record or an
object belongs) fails the whole read; only then does `load_lines` sort the file's lines in Python,
quarantine the unreadable ones (with the reason and the line) and read the rest, so a clean file
costs one DuckDB read and a bad line costs its own record, never the file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import tempfile
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from duckdb.func import ARROW as ARROW_UDF

from retail_sync.errors import ConfigurationError
from retail_sync.shopify.tables import (
    FREE_TEXT_FIELDS,
    QUARANTINE_SCHEMA,
    Entity,
    of_record_type,
)
from retail_sync.warehouse.lake import write_partition

BATCH_ROWS = 65_536


def connect(
    work_dir: Path, *, threads: int = 2, memory_limit: str = "768MB"
) -> duckdb.DuckDBPyConnection:
    """A scratch in-memory DuckDB, spilling to `work_dir` past `memory_limit`, in UTC.

    In memory rather than a database file: the read and the entity passes never wait on a disk
    write, and a table bigger than `memory_limit` still leaves memory through the spill directory.
    """
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": threads,
            "memory_limit": memory_limit,
            "temp_directory": str(work_dir / "duckdb-spill"),
            "preserve_insertion_order": False,
        },
    )
    con.execute("SET TimeZone = 'UTC'")
    return con


# -- free text that can carry PII ---------------------------------------------------------------

FREE_TEXT_KEY_ENV = "RETAIL_SYNC_PII_HASH_KEY"
MIN_FREE_TEXT_KEY_LENGTH = 32
HASH_PREFIX = "hmac-sha256:"
_HASH_FUNCTION = "retail_sync_free_text_hash"


class FreeTextSettingError(ConfigurationError):
    """Landing free text was asked for without a usable hash key."""


@dataclass(frozen=True)
class FreeTextPolicy:
    """How free-text fields that can carry PII (`tables.FREE_TEXT_FIELDS`) land.

    Without a key (the default) they land as null. With one, as `hmac-sha256:<hex>` of the text
    keyed with it: equal notes stay comparable, and without the key no dictionary of likely
    emails, names or phones can be hashed to match them.
    """

    hash_key: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_setting(
        cls, land_hashed: bool, environ: Mapping[str, str] | None = None
    ) -> FreeTextPolicy:
        """The policy for the `land_free_text` setting; the key comes from `FREE_TEXT_KEY_ENV`."""
        if not land_hashed:
            return cls()
        key = (os.environ if environ is None else environ).get(FREE_TEXT_KEY_ENV, "")
        if len(key) < MIN_FREE_TEXT_KEY_LENGTH:
            state = "is not set" if not key else f"is shorter than {MIN_FREE_TEXT_KEY_LENGTH}"
            raise FreeTextSettingError(
                f"shopify land_free_text is on but {FREE_TEXT_KEY_ENV} {state}: set it to a "
                f"secret of at least {MIN_FREE_TEXT_KEY_LENGTH} characters (it keys the "
                "HMAC-SHA256 of refund notes), or turn land_free_text off"
            )
        return cls(key.encode())

    def hashed(self, text: str) -> str:
        if self.hash_key is None:
            raise FreeTextSettingError("free text is dropped: there is no key to hash it with")
        digest = hmac.new(self.hash_key, text.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return HASH_PREFIX + digest.hexdigest()

    def sql(self, expression: str) -> str:
        """SQL: what lands in place of the free text `expression` (see `register`)."""
        return f"{_HASH_FUNCTION}({expression})" if self.hash_key else "NULL::VARCHAR"

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Give `con` the hash function `sql` names; the key stays in Python, never in SQL."""
        if self.hash_key is None:
            return

        def hash_column(values: pa.Array) -> pa.Array:
            return pa.array(
                [None if v is None else self.hashed(v) for v in values.to_pylist()], pa.string()
            )

        varchar = duckdb.sqltype("VARCHAR")
        con.create_function(
            _HASH_FUNCTION,
            hash_column,
            [varchar],
            varchar,
            type=ARROW_UDF,
            side_effects=False,
        )

    def redact(self, value: Any) -> Any:
        """A parsed JSON value of a free-text field, as it may be kept."""
        if value is None or self.hash_key is None:
            return None
        return self.hashed(value if isinstance(value, str) else json.dumps(value))


DROP_FREE_TEXT = FreeTextPolicy()
_FREE_TEXT_NAMES = frozenset(name for _, name in FREE_TEXT_FIELDS)
# A free-text key with a string value (or the cut-off start of one) in a line that is not JSON.
_FREE_TEXT_IN_TEXT = re.compile(
    r'("(?:' + "|".join(map(re.escape, sorted(_FREE_TEXT_NAMES))) + r')"\s*:\s*)'
    r'("(?:[^"\\]|\\.)*(?:"|\\?$)|[^,}\]]+)'
)


def _free_text_replacements(columns: Mapping[str, str], free_text: FreeTextPolicy) -> list[str]:
    """`SELECT * REPLACE` items putting `free_text`'s value in place of each free-text field."""
    items = []
    for column, name in FREE_TEXT_FIELDS:
        if column in columns:
            value = free_text.sql(f'element."{name}"')
            items.append(
                f'list_transform("{column}", lambda element: '
                f'struct_update(element, "{name}" := {value})) AS "{column}"'
            )
    return items


def _redact_parsed(value: Any, free_text: FreeTextPolicy) -> tuple[Any, bool]:
    """`value` with every free-text key's value redacted (iteratively: lines nest deeply)."""
    changed = False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if key in _FREE_TEXT_NAMES and child is not None:
                    item[key] = free_text.redact(child)
                    changed = True
                else:
                    stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return value, changed


def _redact_text(line: str, parsed: Any, free_text: FreeTextPolicy) -> str:
    """A raw line as quarantine may keep it: free text redacted, parsed or not."""
    if isinstance(parsed, dict | list):
        value, changed = _redact_parsed(parsed, free_text)
        return json.dumps(value, separators=(",", ":")) if changed else line

    def replace(match: re.Match[str]) -> str:
        value = free_text.redact(match.group(2))
        return match.group(1) + ("null" if value is None else json.dumps(value))

    return _FREE_TEXT_IN_TEXT.sub(replace, line)


# -- reading the lines --------------------------------------------------------------------------

_UNREADABLE_COLUMNS = (
    "record_gid VARCHAR, record_id BIGINT, reason VARCHAR, raw_payload VARCHAR, record_type VARCHAR"
)
_UNREADABLE_SCHEMA = pa.schema(
    [
        ("record_gid", pa.string()),
        ("record_id", pa.int64()),
        ("reason", pa.string()),
        ("raw_payload", pa.string()),
        ("record_type", pa.string()),
    ]
)
_READ_ERRORS = (duckdb.InvalidInputException, duckdb.ConversionException)


@dataclass(frozen=True)
class UnreadableLine:
    """A line (or a node meant to become one) that cannot be landed: quarantined as it came."""

    reason: str
    raw: str
    gid: str | None = None


def _columns_spec(columns: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"


def _read_sql(columns: Mapping[str, str], free_text: FreeTextPolicy) -> str:
    """SQL reading the JSONL files `?` with `columns`, free text already redacted."""
    replacements = _free_text_replacements(columns, free_text)
    select = f"* REPLACE ({', '.join(replacements)})" if replacements else "*"
    return (
        f"SELECT {select} FROM read_json(?, format='newline_delimited', "
        f"columns={_columns_spec(columns)})"
    )


def load_lines(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    columns: dict[str, str],
    *,
    free_text: FreeTextPolicy = DROP_FREE_TEXT,
    unreadable: Sequence[UnreadableLine] = (),
) -> int:
    """Read JSONL files into the `lines` table with an explicit schema; return the line count.

    Lines DuckDB cannot read, and the `unreadable` ones the caller brings, go to the
    `unreadable_lines` table, which `land` quarantines (they count as lines).
    """
    free_text.register(con)
    existing = [p for p in paths if p.exists() and p.stat().st_size > 0]
    rejected = [_unreadable_row(line.reason, line.raw, line.gid, free_text) for line in unreadable]
    if not existing:
        con.execute(
            "CREATE OR REPLACE TABLE lines AS SELECT * FROM (SELECT "
            + ", ".join(f'NULL::{kind} AS "{name}"' for name, kind in columns.items())
            + ") WHERE false"
        )
    else:
        read = f"CREATE OR REPLACE TABLE lines AS {_read_sql(columns, free_text)}"
        try:
            con.execute(read, [[str(p) for p in existing]])
        except _READ_ERRORS:
            with tempfile.TemporaryDirectory(
                prefix="unreadable-lines-", dir=_scratch_dir(con)
            ) as scratch:
                readable, bad = _sort_readable(con, existing, columns, Path(scratch), free_text)
                rejected += bad
                try:
                    con.execute(read, [[str(readable)]])
                except _READ_ERRORS:
                    readable, bad = _refused_by_duckdb(
                        con, readable, columns, Path(scratch), free_text
                    )
                    rejected += bad
                    con.execute(read, [[str(readable)]])
    con.execute(f"CREATE OR REPLACE TEMP TABLE unreadable_lines ({_UNREADABLE_COLUMNS})")
    if rejected:
        rows = pa.Table.from_pylist(rejected, schema=_UNREADABLE_SCHEMA)
        con.register("_unreadable", rows)
        try:
            con.execute("INSERT INTO unreadable_lines SELECT * FROM _unreadable")
        finally:
            con.unregister("_unreadable")
    row = con.execute("SELECT count(*) FROM lines").fetchone()
    return (int(row[0]) if row else 0) + len(rejected)


def _scratch_dir(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("SELECT current_setting('temp_directory')").fetchone()
    if not row or not row[0]:
        return None
    folder = Path(str(row[0]))
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


@dataclass(frozen=True)
class _Shape:
    """The JSON shape a DuckDB column type accepts: any value, an object, or a list."""

    kind: str
    fields: dict[str, _Shape] = field(default_factory=dict)
    element: _Shape | None = None


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def _shape(kind: str) -> _Shape:
    """The shape of a column type as `tables.py` writes them (`VARCHAR`, `STRUCT(…)`, `T[]`)."""
    kind = kind.strip()
    if kind.endswith("[]"):
        return _Shape("list", element=_shape(kind[:-2]))
    if kind.upper().startswith("STRUCT(") and kind.endswith(")"):
        members = {}
        for member in _split_top_level(kind[len("STRUCT(") : -1]):
            name, _, member_kind = member.partition(" ")
            members[name.strip('"')] = _shape(member_kind)
        return _Shape("struct", fields=members)
    return _Shape("any")


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else "a value"


def _shape_problem(value: Any, shape: _Shape, where: str) -> str | None:
    """Why `value` cannot be read as `shape` (None: it can); `where` names it."""
    if value is None or shape.kind == "any":
        return None
    if shape.kind == "struct":
        if not isinstance(value, dict):
            return f"{where}: an object was expected, got {_json_kind(value)}"
        for name, member in shape.fields.items():
            if name in value:
                problem = _shape_problem(value[name], member, f"{where}.{name}" if where else name)
                if problem:
                    return problem
        return None
    if not isinstance(value, list):
        return f"{where}: a list was expected, got {_json_kind(value)}"
    assert shape.element is not None
    for index, element in enumerate(value):
        problem = _shape_problem(element, shape.element, f"{where}[{index}]")
        if problem:
            return problem
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _lone_surrogate(value: Any) -> str | None:
    """The escape of the first lone surrogate in any key or string of `value` (JSON allows
    writing one, UTF-8 cannot hold it)."""
    stack = [value]
    while stack:
        item = stack.pop()
        texts: list[Any] = []
        if isinstance(item, dict):
            texts = list(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            texts = [item]
        for text in texts:
            if isinstance(text, str):
                found = _SURROGATE.search(text)
                if found:
                    return f"\\u{ord(found.group()):04x}"
    return None


# Python's JSON errors for text DuckDB refuses too. The others may be a leniency of DuckDB's
# (a trailing comma reads as "Expecting property name…", `nan` as "Expecting value").
_CERTAIN_SYNTAX_ERRORS = (
    "Unterminated string",
    "Invalid control character",
    "Invalid \\escape",
    "Invalid \\uXXXX escape",
    "Extra data",
    "Expecting ':' delimiter",
    "Expecting ',' delimiter",
)


@dataclass(frozen=True)
class _Suspect:
    """Why DuckDB may not read a line; `certain` where DuckDB never reads such a line."""

    reason: str
    certain: bool


def _line_problem(line: bytes, shape: _Shape) -> tuple[_Suspect | None, Any]:
    """(why DuckDB may not read `line`, or None; its parsed value when it is JSON).

    Only what DuckDB refuses wherever it occurs is certain (bytes that are not UTF-8, a lone
    surrogate, a line that is not an object, a value of the wrong shape where it reads one).
    The rest is a suspect that `_sort_readable` asks DuckDB about, so a line Python is stricter
    about than DuckDB (a trailing comma, `nan`, deep nesting) still lands, as it does when the
    whole file reads. A repeated key is left to DuckDB (`_refused_by_duckdb`): a hook catching
    it would slow every line's parse.
    """
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        return _Suspect(f"not UTF-8 (byte {error.start + 1})", certain=True), None
    try:
        value = json.loads(text)
    except RecursionError:
        return _Suspect("nested too deeply", certain=False), None
    except json.JSONDecodeError as error:
        where = f"{error.msg.removesuffix(' at')} at column {error.colno}"
        certain = error.msg.startswith(_CERTAIN_SYNTAX_ERRORS)
        return _Suspect(f"malformed JSON ({where})", certain), None
    if value is not None and not isinstance(value, dict):
        kind = _json_kind(value)
        return _Suspect(f"{kind} where a record (a JSON object) belongs", True), value
    # UTF-8 cannot hold a surrogate, so one can only come from an escape (`\\udXXX`).
    surrogate = _lone_surrogate(value) if _SURROGATE_ESCAPE.search(line) else None
    if surrogate:
        return _Suspect(f"a lone surrogate ({surrogate}) in a string", True), value
    problem = _shape_problem(value, shape, "")
    return (_Suspect(problem, True) if problem else None), value


def _legacy_id(gid: str) -> int | None:
    """The integer at the end of a gid, as `tables.legacy_id` reads it in SQL."""
    parts = gid.split("?", 1)[0].split("/")
    if len(parts) < 5 or not re.fullmatch(r"\s*[+-]?[0-9]+\s*", parts[4]):
        return None
    number = int(parts[4])
    return number if -(2**63) <= number < 2**63 else None


def _safe_text(text: str) -> str:
    """`text` with what UTF-8 cannot hold (lone surrogates) escaped, so Parquet can keep it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _unreadable_row(
    reason: str, raw: str, gid: Any, free_text: FreeTextPolicy, parsed: Any = None
) -> dict[str, Any]:
    if parsed is None and raw:
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):
            parsed = None
    if gid is None and isinstance(parsed, dict):
        gid = parsed.get("id")
    gid_text = _safe_text(gid) if isinstance(gid, str) else None
    kind = gid_text.split("/")[3] if gid_text and gid_text.startswith("gid://shopify/") else None
    return {
        "record_gid": gid_text,
        "record_id": _legacy_id(gid_text) if gid_text else None,
        "reason": _safe_text("unreadable line: " + reason),
        "raw_payload": _safe_text(_redact_text(raw, parsed, free_text)),
        "record_type": kind,
    }


def _duckdb_problem(
    con: duckdb.DuckDBPyConnection, lines: bytes, columns: Mapping[str, str], file: Path
) -> str | None:
    """Why DuckDB cannot read `lines` (JSONL) as a file (None: it reads them), without paths."""
    file.write_bytes(lines)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _probe AS SELECT * FROM read_json(?, "
            f"format='newline_delimited', columns={_columns_spec(columns)})",
            [str(file)],
        )
    except _READ_ERRORS as error:
        first = str(error).splitlines()[0] if str(error) else ""
        said = re.search(r"(?:in line \d+|at byte \d+ in line \d+): (.*)$", first)
        return (said.group(1).strip() if said else "") or "DuckDB cannot read it"
    finally:
        con.execute("DROP TABLE IF EXISTS _probe")
    return None


def _sort_readable(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    columns: Mapping[str, str],
    scratch: Path,
    free_text: FreeTextPolicy,
) -> tuple[Path, list[dict[str, Any]]]:
    """Split `paths` into one file of the lines DuckDB reads and the quarantine rows of the rest.

    Python flags suspects cheaply; DuckDB has the last word on each it is not certain of (one
    read per suspect). If the lines Python passed still fail together, `_refused_by_duckdb`
    finds the ones DuckDB refuses by halving.
    """
    shape = _shape("STRUCT(" + ", ".join(f'"{n}" {k}' for n, k in columns.items()) + ")")
    readable = scratch / "readable.jsonl"
    probe = scratch / "probe.jsonl"
    rejected: list[dict[str, Any]] = []
    with readable.open("wb") as out:
        for path in paths:
            with path.open("rb") as source:
                for raw in source:
                    line = raw.rstrip(b"\n")
                    if not line.strip():
                        continue
                    suspect, parsed = _line_problem(line, shape)
                    if suspect is not None and (
                        suspect.certain or _duckdb_problem(con, line + b"\n", columns, probe)
                    ):
                        gid = parsed.get("id") if isinstance(parsed, dict) else None
                        text = line.decode("utf-8", "backslashreplace")
                        rejected.append(
                            _unreadable_row(suspect.reason, text, gid, free_text, parsed)
                        )
                        continue
                    out.write(line + b"\n")
    return readable, rejected


def _refused_by_duckdb(
    con: duckdb.DuckDBPyConnection,
    readable: Path,
    columns: Mapping[str, str],
    scratch: Path,
    free_text: FreeTextPolicy,
) -> tuple[Path, list[dict[str, Any]]]:
    """The lines of `readable` DuckDB reads (a new file) and the quarantine rows of the rest,
    found by halving: for what Python leaves to DuckDB (a repeated key) or does not foresee."""
    offsets = array("q", [0])
    with readable.open("rb") as source:
        for line in source:
            offsets.append(offsets[-1] + len(line))
    refused: dict[int, str] = {}
    kept = scratch / "kept.jsonl"
    with readable.open("rb") as source:

        def lines_between(first: int, last: int) -> bytes:
            source.seek(offsets[first])
            return source.read(offsets[last] - offsets[first])

        _bisect(con, lines_between, 0, len(offsets) - 1, columns, scratch / "probe.jsonl", refused)
        rejected = []
        with kept.open("wb") as out:
            for index in range(len(offsets) - 1):
                line = lines_between(index, index + 1)
                if index in refused:
                    text = line.rstrip(b"\n").decode("utf-8", "backslashreplace")
                    rejected.append(_unreadable_row(refused[index], text, None, free_text))
                else:
                    out.write(line)
    return kept, rejected


def _bisect(
    con: duckdb.DuckDBPyConnection,
    lines_between: Callable[[int, int], bytes],
    first: int,
    last: int,
    columns: Mapping[str, str],
    probe: Path,
    refused: dict[int, str],
) -> None:
    """Record in `refused` each line in [first, last) DuckDB cannot read, with DuckDB's reason."""
    if first >= last:
        return
    problem = _duckdb_problem(con, lines_between(first, last), columns, probe)
    if problem is None:
        return
    if last - first == 1:
        refused[first] = problem
        return
    middle = (first + last) // 2
    _bisect(con, lines_between, first, middle, columns, probe, refused)
    _bisect(con, lines_between, middle, last, columns, probe, refused)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _fixed_batches(table: pa.Table, rows: int) -> Iterator[pa.Table]:
    """Cut `table` into contiguous tables of exactly `rows` rows (the last may be shorter).

    Each slice is one chunk, so the Parquet pages do not depend on how DuckDB batched the result.
    """
    for start in range(0, table.num_rows, rows):
        yield table.slice(start, rows).combine_chunks()


def _reason_sql(entity: Entity) -> str:
    """SQL: the first failing check's reason or NULL (full checks only where a pass fails)."""
    checks = [check for f in entity.fields for check in f.checks]
    passes = [condition for f in entity.fields for condition in f.passes]
    reason = f"coalesce({', '.join(checks)})" if checks else "NULL::VARCHAR"
    if passes:
        # CASE runs the ELSE branch only on the rows failing the conjunction.
        reason = f"CASE WHEN {' AND '.join(passes)} THEN NULL::VARCHAR ELSE {reason} END"
    return reason


def _payload_sql(entity: Entity) -> str:
    return (
        "to_json(struct_pack("
        + ", ".join(f'"{c}" := "{c}"' for c in entity.payload_columns)
        + "))::VARCHAR"
    )


def _sort_sql(entity: Entity) -> str:
    # The gid breaks ties between distinct gids carrying the same numeric id, so the order (and
    # so the file) never depends on thread scheduling.
    return ", ".join([*(f'"{c}"' for c in entity.sort), "_gid"])


def _has_duplicate_gid(entity: Entity, gids: pa.ChunkedArray) -> bool:
    """Whether a gid occurs twice (a null counts as one value) in `gids`, sorted by `_sort_sql`.

    Where the sort columns follow from the gid, rows sharing a gid are neighbours, so comparing
    each gid with the next is enough (hashing every gid costs 15–100× more).
    """
    if len(gids) < 2:
        return False
    if not entity.sort_follows_gid:
        return bool(pc.count_distinct(gids, mode="all").as_py() != len(gids))
    if gids.null_count > 1:
        return True
    return bool(pc.any(pc.equal(gids[1:], gids[:-1])).as_py())


def _judge_unique(
    con: duckdb.DuckDBPyConnection, entity: Entity, *, shop_id: str
) -> pa.Table | None:
    """Validate and sort one entity in a single pass, assuming its gids are unique.

    Returns the good rows, their rejects queued in `quarantine_rows`; or None, having queued
    nothing, when some gid occurs twice (the caller then de-duplicates first). A bulk export has
    no duplicates, so the usual case skips the dedupe aggregate, its join and a temporary table.
    """
    values = ", ".join(f'{f.value} AS "{f.column}"' for f in entity.fields)
    # Values and checks in one projection (no subquery for `_reason`): DuckDB then extracts the
    # sub-expressions they share once. Names in the payload still bind to the source's columns,
    # which take precedence over the values' aliases (`test`, `name`).
    table = con.sql(
        f"""SELECT {_sql_text(shop_id)} AS shop_id, {values}, gid AS _gid,
               {_reason_sql(entity)} AS _reason,
               CASE WHEN _reason IS NOT NULL THEN {_payload_sql(entity)} END AS _payload
        FROM ({entity.source})
        ORDER BY {_sort_sql(entity)}"""
    ).to_arrow_table()
    if _has_duplicate_gid(entity, table["_gid"]):
        return None
    extra = ["_gid", "_reason", "_payload"]
    reasons = table["_reason"]
    if reasons.null_count == table.num_rows:
        return table.drop_columns(extra)
    rejected = pc.is_valid(reasons)
    rejects = table.filter(rejected).select(
        ["_gid", entity.fields[0].column, "_reason", "_payload"]
    )
    con.register("_rejects", rejects)
    try:
        con.execute(
            f"INSERT INTO quarantine_rows SELECT {_sql_text(entity.table)}, * FROM _rejects"
        )
    finally:
        con.unregister("_rejects")
    return table.filter(pc.invert(rejected)).drop_columns(extra)


def judge_entity(con: duckdb.DuckDBPyConnection, entity: Entity, *, shop_id: str) -> pa.Table:
    """Dedupe and validate one entity: its good rows, sorted by id; rejects to `quarantine_rows`."""
    good = _judge_unique(con, entity, shop_id=shop_id)
    if good is not None:
        return good
    # Duplicates are resolved on narrow (gid, key, rank, content) rows, then joined back, so the
    # wide records stream through a hash join instead of sitting in an aggregate's state. The
    # most recent copies of a gid are current (every copy, without `latest_first`); if those
    # differ, which one is right is unknown, so each distinct one is quarantined as a conflict
    # instead of one being kept silently. Identical copies are one record: the one with the
    # smallest key stands for them (their values are equal, so which is immaterial even though
    # rowids follow DuckDB's threads). Records without a gid are copies only when identical.
    content = _payload_sql(entity)
    latest = entity.latest_first or "NULL::INTEGER"
    group = "gid, _anonymous"
    conflict = "'conflicting copies of ' || gid || ': ' || _versions || ' different records'" + (
        " || ', equally recent (' || coalesce(CAST(_latest AS VARCHAR), 'no time') || ')'"
        if entity.latest_first
        else " || ' with this id'"
    )
    values = ", ".join(f'{f.value} AS "{f.column}"' for f in entity.fields)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE checked AS
        WITH source AS ({entity.source}),
        copies AS (
            SELECT gid, _key, {latest} AS _latest, {content} AS _content,
                   CASE WHEN gid IS NULL THEN _content END AS _anonymous
            FROM source
        ),
        current_copies AS (
            SELECT * FROM copies
            QUALIFY _latest IS NOT DISTINCT FROM max(_latest) OVER (PARTITION BY {group})
        ),
        versions AS (
            SELECT {group}, _latest, min(_key) AS _chosen FROM current_copies
            GROUP BY {group}, _latest, _content
        ),
        chosen AS (
            SELECT _chosen, _latest, count(*) OVER (PARTITION BY {group}) AS _versions
            FROM versions
        ),
        deduplicated AS (
            SELECT source.*, chosen._latest, chosen._versions
            FROM source JOIN chosen ON source._key = chosen._chosen
        ),
        judged AS (
            SELECT *, CASE WHEN _versions > 1 THEN {conflict} ELSE {_reason_sql(entity)} END
                AS _reason
            FROM deduplicated
        )
        SELECT {values}, gid AS _gid, _reason,
               CASE WHEN _reason IS NOT NULL THEN {content} END AS _payload
        FROM judged"""
    )
    columns = ", ".join(f'"{f.column}"' for f in entity.fields)
    good = con.sql(
        f"SELECT {_sql_text(shop_id)} AS shop_id, {columns} FROM checked "
        f"WHERE _reason IS NULL ORDER BY {_sort_sql(entity)}"
    ).to_arrow_table()
    first_id = f'"{entity.fields[0].column}"'
    con.execute(
        f"""INSERT INTO quarantine_rows
        SELECT {_sql_text(entity.table)}, _gid, {first_id}, _reason, _payload
        FROM checked WHERE _reason IS NOT NULL"""
    )
    con.execute("DROP TABLE checked")
    return good


def write_rows(directory: Path, entity: Entity, good: pa.Table) -> int:
    """Write an entity's judged rows as its partition (atomically, in fixed-size row groups)."""
    return write_partition(directory, entity.schema, _fixed_batches(good, BATCH_ROWS))


def land_entity(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    *,
    shop_id: str,
    directory: Path,
) -> tuple[int, int]:
    """Dedupe, validate and write one entity; queue its rejects in `quarantine_rows`.

    Returns (rows written, records quarantined).
    """
    rows = write_rows(directory, entity, judge_entity(con, entity, shop_id=shop_id))
    quarantined = con.execute(
        f"SELECT count(*) FROM quarantine_rows WHERE source_table = {_sql_text(entity.table)}"
    ).fetchone()
    return rows, int(quarantined[0]) if quarantined else 0


def _quarantine_unrecognised(con: duckdb.DuckDBPyConnection, entities: Sequence[Entity]) -> None:
    """Queue in `quarantine_rows` the lines none of `entities` reads: no id, or a record type
    they do not land. Each would otherwise be skipped without a trace."""
    types = [entity.record_type for entity in entities if entity.record_type]
    if not types:
        return
    read = " OR ".join(of_record_type(kind) for kind in types)
    con.execute(
        f"""INSERT INTO quarantine_rows
        SELECT {_sql_text(entities[0].table)}, id, NULL,
            CASE WHEN id IS NULL THEN 'record without an id'
                ELSE 'record of a type this extraction does not land: ' || id END,
            to_json(lines)::VARCHAR
        FROM lines WHERE id IS NULL OR NOT ({read})"""
    )


def _quarantine_unreadable(con: duckdb.DuckDBPyConnection, entities: Sequence[Entity]) -> None:
    """Queue in `quarantine_rows` the lines `load_lines` could not read, under the table of their
    gid's type when an entity reads that type (else the extraction's first table)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'unreadable_lines'"
    ).fetchone()
    if not exists or not exists[0]:
        return
    tables = " ".join(
        f"WHEN {_sql_text(entity.record_type)} THEN {_sql_text(entity.table)}"
        for entity in entities
        if entity.record_type
    )
    table = (
        f"CASE record_type {tables} ELSE {_sql_text(entities[0].table)} END"
        if tables
        else (_sql_text(entities[0].table))
    )
    con.execute(
        f"""INSERT INTO quarantine_rows
        SELECT {table}, record_gid, record_id, reason, raw_payload FROM unreadable_lines"""
    )


def partition_label(directory: Path) -> str:
    """`shop=…/date=…`: the hive keys in a partition path."""
    return "/".join(part for part in directory.parts if "=" in part)


def land(
    con: duckdb.DuckDBPyConnection,
    entities: Sequence[Entity],
    *,
    shop_id: str,
    window_start: datetime,
    window_end: datetime,
    partition_dir_for: Callable[[str], Path],
    family: str,
) -> tuple[dict[str, int], int]:
    """Write every entity's partition and the quarantine partition from the `lines` table.

    Quarantine has one table; each extraction family owns the sub-partition
    `partition_dir_for("quarantine")/source=<family>`, so families never overwrite each other.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE quarantine_rows (source_table VARCHAR, record_gid VARCHAR, "
        "record_id BIGINT, reason VARCHAR, raw_payload VARCHAR)"
    )
    # One writer thread: an entity's Parquet file is encoded while DuckDB judges the next one.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-writer") as writer:
        written: dict[str, Future[int]] = {}
        for entity in entities:
            good = judge_entity(con, entity, shop_id=shop_id)
            written[entity.table] = writer.submit(
                write_rows, partition_dir_for(entity.table), entity, good
            )
            del good
        rows = {table: future.result() for table, future in written.items()}
    _quarantine_unrecognised(con, entities)
    _quarantine_unreadable(con, entities)
    quarantine_dir = partition_dir_for("quarantine") / f"source={family}"
    rejects = con.sql(
        f"""SELECT {_sql_text(shop_id)} AS shop_id, source_table, record_gid, record_id, reason,
               raw_payload, {_sql_text(window_start.isoformat())}::TIMESTAMPTZ AS window_start,
               {_sql_text(window_end.isoformat())}::TIMESTAMPTZ AS window_end,
               {_sql_text(partition_label(quarantine_dir))} AS partition
        FROM quarantine_rows
        ORDER BY source_table, record_gid, record_id, reason, raw_payload"""
    ).to_arrow_table()
    quarantined = write_partition(
        quarantine_dir, QUARANTINE_SCHEMA, _fixed_batches(rejects, BATCH_ROWS)
    )
    return rows, quarantined
