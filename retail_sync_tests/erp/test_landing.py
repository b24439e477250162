"""Landing ERP reads into the lake: GL lines for a window and subsidiary, accounts, periods and
on-hand, against the NetSuite simulator serving the hand-written tiny world; re-runs are
byte-identical."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from retail_sync.erp.landing import land_accounts, land_gl_lines, land_on_hand, land_periods
from retail_sync.erp.netsuite import NetSuiteERP
from retail_sync.sandbox.netsuite import start_netsuite_simulator
from retail_sync.sandbox.serving import RunningServer
from retail_sync.warehouse.lake import PARTITION_FILE
from retail_sync_tests.conftest import TINY_WORLD
from retail_sync_tests.erp.conftest import make_client


@pytest.fixture
def tiny_netsuite(tmp_path: Path) -> Iterator[RunningServer]:
    server = start_netsuite_simulator(TINY_WORLD, state_dir=tmp_path / "state")
    yield server
    server.stop()


def _world_lines(subsidiary: str, start: date, end: date) -> list[tuple[str, Decimal, Decimal]]:
    lines = []
    for raw in (TINY_WORLD / "erp" / "journal_entries.jsonl").read_text().splitlines():
        if not raw.strip():
            continue
        entry = json.loads(raw)
        if entry["subsidiary"] != subsidiary:
            continue
        if not start <= date.fromisoformat(entry["trandate"]) <= end:
            continue
        for line in entry["lines"]:
            lines.append(
                (
                    str(entry["id"]),
                    Decimal(line["debit"] or "0"),
                    Decimal(line["credit"] or "0"),
                )
            )
    return sorted(lines)


def test_gl_lines_land_per_subsidiary_and_window(
    tiny_netsuite: RunningServer, tmp_path: Path
) -> None:
    erp = NetSuiteERP(make_client(tiny_netsuite))
    start, end = date(2026, 9, 1), date(2026, 11, 30)
    directory = tmp_path / "gl" / "shop=north" / "date=2026-09-01"
    stats = land_gl_lines(erp, start=start, end=end, subsidiary_id="1", directory=directory)
    expected = _world_lines("1", start, end)
    assert stats.rows == len(expected) > 0
    landed = duckdb.sql(
        f"select transaction_id, debit, credit from '{directory / PARTITION_FILE}'"
    ).fetchall()
    assert sorted(landed) == expected

    first = (directory / PARTITION_FILE).read_bytes()
    land_gl_lines(erp, start=start, end=end, subsidiary_id="1", directory=directory)
    assert (directory / PARTITION_FILE).read_bytes() == first


def test_reference_tables_and_on_hand(tiny_netsuite: RunningServer, tmp_path: Path) -> None:
    erp = NetSuiteERP(make_client(tiny_netsuite))
    accounts = land_accounts(erp, directory=tmp_path / "accounts")
    world_accounts = json.loads((TINY_WORLD / "erp" / "accounts.json").read_text())
    assert accounts.rows == len(world_accounts)
    periods = land_periods(erp, directory=tmp_path / "periods")
    statuses = duckdb.sql(
        f"select distinct status from '{tmp_path / 'periods' / PARTITION_FILE}'"
    ).fetchall()
    assert periods.rows > 0 and {row[0] for row in statuses} <= {"open", "locked", "closed"}

    as_of = date.fromisoformat(json.loads((TINY_WORLD / "world.json").read_text())["start"])
    on_hand = land_on_hand(erp, as_of=as_of, subsidiary_id="2", directory=tmp_path / "on_hand")
    locations = duckdb.sql(
        f"select distinct location_name from '{tmp_path / 'on_hand' / PARTITION_FILE}'"
    ).fetchall()
    assert on_hand.rows > 0
    assert locations == [("Lager München",)]
