"""Evaluate a suite over lake partitions and return plain results.

Per partition, DuckDB reads the partition's Parquet as view `t`:

- Structural expectations (present, decimal, known value, in range) run in Great Expectations
  when the partition has at most `gx_row_limit` rows (only the columns they need are loaded
  into pandas); above that the same rules run in DuckDB as one aggregate scan
  (`count(*) filter (where <violated>)` per expectation), so memory stays flat.
- Uniqueness and relational expectations (sums, cross-table) are always DuckDB aggregates.

Results over several partitions add up; the sample names the partition of each offending id.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from retail_sync.quality.expectations import (
    DECIMAL_PATTERN,
    FUTURE_SLACK_DAYS,
    Expectation,
    Input,
    Suite,
)
from retail_sync.warehouse.lake import Lake

if TYPE_CHECKING:
    import duckdb

GX_ROW_LIMIT = 200_000
SAMPLE_SIZE = 10
STRUCTURAL = ("not_null", "decimal", "in_set", "between")
Engine = Literal["great_expectations", "duckdb"]


@dataclass(frozen=True)
class PartitionRef:
    """One (shop, business date) partition; both `None` for an unpartitioned snapshot."""

    shop: str | None = None
    date: str | None = None

    @property
    def label(self) -> str:
        return f"{self.shop}/{self.date}" if self.shop else "snapshot"


@dataclass
class ExpectationResult:
    """The outcome of one expectation over every partition evaluated."""

    expectation: Expectation
    element_count: int = 0
    unexpected_count: int = 0
    sample: list[dict[str, str]] = field(default_factory=list)
    engines: set[str] = field(default_factory=set)
    failed_partitions: list[str] = field(default_factory=list)
    missing_partitions: list[str] = field(default_factory=list)
    parameters: dict[str, object] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.expectation.name

    @property
    def success(self) -> bool:
        return self.unexpected_count == 0

    @property
    def unexpected_percent(self) -> float:
        if not self.element_count:
            return 0.0 if not self.unexpected_count else 100.0
        return round(100.0 * self.unexpected_count / self.element_count, 4)


@dataclass
class SuiteResult:
    """Every expectation's result for one suite, and how long the evaluation took."""

    suite: Suite
    results: list[ExpectationResult]
    rows: int
    seconds: float

    def by_name(self) -> dict[str, ExpectationResult]:
        return {result.name: result for result in self.results}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _files(directory: Path) -> str | None:
    """The DuckDB glob of a directory's Parquet (sub-folders included), or None if it has none."""
    if not directory.exists() or next(directory.rglob("*.parquet"), None) is None:
        return None
    return _quote(str(directory / "**" / "*.parquet"))


def _input_dir(lake: Lake, source: Input, partition: PartitionRef) -> Path:
    if source.scope == "snapshot":
        return lake.partition_dir(source.zone, source.source, source.entity)
    if source.scope == "shop":
        return lake.partition_dir(source.zone, source.source, source.entity, shop=partition.shop)
    return lake.partition_dir(
        source.zone, source.source, source.entity, shop=partition.shop, date=partition.date
    )


def _id_sql(suite: Suite, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    parts = [f"coalesce(cast({prefix}{column} as varchar), 'null')" for column in suite.id_columns]
    return " || '/' || ".join(parts)


def _upper_bound(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(days=FUTURE_SLACK_DAYS)


def _violated_sql(expectation: Expectation, now: dt.datetime) -> str:
    """SQL true for a row that violates a structural expectation."""
    column = f'"{expectation.columns[0]}"'
    missing = f"{column} is null"
    if expectation.kind == "not_null":
        return missing
    if expectation.kind == "decimal":
        text = f"cast({column} as varchar)"
        bad = (
            f"(not regexp_full_match({text}, {_quote(DECIMAL_PATTERN.strip('^$'))}) "
            f"or try_cast({text} as decimal(18, 2)) is null)"
        )
    elif expectation.kind == "in_set":
        bad = f"{column} not in ({', '.join(_quote(value) for value in expectation.value_set)})"
    elif expectation.kind == "between":
        low = _quote(expectation.min_value or "0001-01-01T00:00:00+00:00")
        high = _quote(expectation.max_value or _upper_bound(now).isoformat(timespec="seconds"))
        stamp = f"cast({column} as timestamptz)"
        bad = f"({stamp} < {low}::timestamptz or {stamp} > {high}::timestamptz)"
    else:
        raise ValueError(f"{expectation.name}: {expectation.kind} is not structural")
    if expectation.allow_null:
        return f"({column} is not null and {bad})"
    return f"({missing} or {bad})"


class _Partition:
    """One partition opened in DuckDB as view `t`."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, suite: Suite, files: str) -> None:
        self.connection = connection
        self.suite = suite
        connection.execute(
            f"create or replace view t as select * from read_parquet({files}, union_by_name = true)"
        )
        self.rows = int(self._one("select count(*) from t"))

    def _one(self, sql: str) -> Any:
        row = self.connection.execute(sql).fetchone()
        return row[0] if row else None

    def structural_duckdb(
        self, expectations: Sequence[Expectation], now: dt.datetime, sample_size: int
    ) -> dict[str, tuple[int, list[dict[str, str]]]]:
        if not expectations:
            return {}
        # One scan for every count; samples only for what failed.
        counts_sql = ", ".join(
            f"count(*) filter (where {_violated_sql(e, now)})" for e in expectations
        )
        row = self.connection.execute(f"select {counts_sql} from t").fetchone() or ()
        outcomes: dict[str, tuple[int, list[dict[str, str]]]] = {}
        for expectation, count in zip(expectations, row, strict=True):
            sample: list[dict[str, str]] = []
            if count:
                column = expectation.columns[0]
                offending = self.connection.execute(
                    f'select {_id_sql(self.suite)}, cast("{column}" as varchar) from t '
                    f"where {_violated_sql(expectation, now)} limit {sample_size}"
                ).fetchall()
                sample = [{"id": i, "value": str(v)} for i, v in offending]
            outcomes[expectation.name] = (int(count), sample)
        return outcomes

    def structural_gx(
        self, expectations: Sequence[Expectation], now: dt.datetime, sample_size: int
    ) -> dict[str, tuple[int, list[dict[str, str]]]]:
        if not expectations:
            return {}
        from retail_sync.quality.gx_suite import validate_frame

        columns: dict[str, str] = {}
        for expectation in expectations:
            column = expectation.columns[0]
            if expectation.kind == "decimal":
                columns[column] = f'cast("{column}" as varchar) as "{column}"'
            elif expectation.kind == "between":
                columns[column] = f'cast("{column}" as timestamptz) as "{column}"'
            else:
                columns.setdefault(column, f'"{column}"')
        id_columns = [f"{_id_sql(self.suite)} as __row_id"]
        frame = self.connection.execute(
            f"select {', '.join(id_columns + list(columns.values()))} from t"
        ).df()
        return validate_frame(frame, expectations, _upper_bound(now), sample_size)

    def unique(
        self, expectation: Expectation, sample_size: int
    ) -> tuple[int, list[dict[str, str]]]:
        keys = ", ".join(f'"{column}"' for column in expectation.columns)
        duplicates = (
            f"select {keys}, count(*) as copies from t where "
            + " and ".join(f'"{column}" is not null' for column in expectation.columns)
            + f" group by {keys} having count(*) > 1"
        )
        count = self._one(f"select coalesce(sum(copies), 0) from ({duplicates})")
        sample: list[dict[str, str]] = []
        if count:
            label = " || '/' || ".join(f'cast("{c}" as varchar)' for c in expectation.columns)
            sample = [
                {"id": str(i), "value": f"{copies} copies"}
                for i, copies in self.connection.execute(
                    f"select {label}, copies from ({duplicates}) order by all limit {sample_size}"
                ).fetchall()
            ]
        return int(count), sample

    def relational(
        self, lake: Lake, expectation: Expectation, partition: PartitionRef, sample_size: int
    ) -> tuple[int, list[dict[str, str]]]:
        for source in expectation.inputs:
            files = _files(_input_dir(lake, source, partition))
            if files is None:
                if source.alias == "quarantine":
                    return 0, []  # nothing was quarantined for this partition
                # Cannot be verified without its input: every row fails, and says why.
                ids = self.connection.execute(
                    f"select {_id_sql(self.suite)} from t limit {sample_size}"
                ).fetchall()
                reason = f"no {source.zone}/{source.source}/{source.entity} data to compare with"
                return self.rows, [{"id": row[0], "value": reason} for row in ids]
            self.connection.execute(
                f'create or replace view "{source.alias}" as select * from '
                f"read_parquet({files}, union_by_name = true)"
            )
        body = expectation.sql.strip()
        count = self._one(f"select count(*) from ({body})")
        sample: list[dict[str, str]] = []
        if count:
            sample = [
                {"id": str(i), "value": str(detail)}
                for i, detail in self.connection.execute(
                    f"select id, detail from ({body}) order by id limit {sample_size}"
                ).fetchall()
            ]
        return int(count), sample


def validate(
    lake: Lake,
    suite: Suite,
    partitions: Sequence[PartitionRef],
    *,
    now: dt.datetime | None = None,
    gx_row_limit: int = GX_ROW_LIMIT,
    sample_size: int = SAMPLE_SIZE,
    threads: int | None = None,
) -> SuiteResult:
    """Evaluate every expectation of `suite` over `partitions` of the lake."""
    import duckdb  # here, not at module level: the code location imports this module

    started = time.perf_counter()
    now = now or dt.datetime.now(dt.UTC)
    results = {e.name: ExpectationResult(e, parameters=e.parameters()) for e in suite.expectations}
    structural = [e for e in suite.expectations if e.kind in STRUCTURAL]
    total_rows = 0
    connection = duckdb.connect()
    try:
        connection.execute("set TimeZone = 'UTC'")
        if threads:
            connection.execute(f"set threads = {int(threads)}")
        for partition in partitions or [PartitionRef()]:
            directory = lake.partition_dir(
                suite.zone, suite.source, suite.entity, shop=partition.shop, date=partition.date
            )
            files = _files(directory)
            if files is None:
                for result in results.values():
                    result.missing_partitions.append(partition.label)
                continue
            opened = _Partition(connection, suite, files)
            total_rows += opened.rows
            engine: Engine = "great_expectations" if opened.rows <= gx_row_limit else "duckdb"
            evaluate = (
                opened.structural_gx
                if engine == "great_expectations"
                else (opened.structural_duckdb)
            )
            outcomes = evaluate(structural, now, sample_size)
            for expectation in suite.expectations:
                if expectation.kind == "unique":
                    outcomes[expectation.name] = opened.unique(expectation, sample_size)
                elif expectation.kind == "relational":
                    outcomes[expectation.name] = opened.relational(
                        lake, expectation, partition, sample_size
                    )
            for name, (count, sample) in outcomes.items():
                result = results[name]
                kind = result.expectation.kind
                result.engines.add(engine if kind in STRUCTURAL else "duckdb")
                result.element_count += opened.rows
                result.unexpected_count += count
                if count:
                    result.failed_partitions.append(partition.label)
                    room = sample_size - len(result.sample)
                    result.sample.extend(
                        {"partition": partition.label, **row} for row in sample[:room]
                    )
    finally:
        connection.close()
    return SuiteResult(
        suite, list(results.values()), total_rows, round(time.perf_counter() - started, 3)
    )
