"""Reading JSONL lines into DuckDB's `lines` table, and quarantining the lines it cannot read.

A clean file costs one DuckDB read. When DuckDB refuses the file (not JSON, not UTF-8, a lone
surrogate, a list where a record belongs), the lines are sorted in Python: the unreadable ones
become `unreadable_lines` rows (with their reason and the line, free text redacted) and the
rest is read, so a bad line costs its own record, never the file.
"""

from __future__ import annotations

import json
import re
import tempfile
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from retail_sync.shopify.free_text import (
    DROP_FREE_TEXT,
    FreeTextPolicy,
    free_text_replacements,
    redact_text,
)

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
    replacements = free_text_replacements(columns, free_text)
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
        "raw_payload": _safe_text(redact_text(raw, parsed, free_text)),
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
