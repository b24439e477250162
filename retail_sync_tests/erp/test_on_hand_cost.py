"""The ERP item's cost beside its on-hand (issue 15): which NetSuite field wins, its currency,
how it lands, and what a cost that cannot be read does to the row.

Rows are scripted (the SuiteQL answer NetSuite would give), through the real client and adapter.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import httpx

from retail_sync.erp import OnHand, landing
from retail_sync.erp.port import RejectedRow
from retail_sync.warehouse.lake import PARTITION_FILE, Lake
from retail_sync_tests.erp.scripted_netsuite import json_answer, scripted_erp, suiteql_rows

DAY = date(2026, 10, 1)
ROW: dict[str, Any] = {
    "item": "501",
    "itemid": "TENT-2P",
    "location": "31",
    "location_name": "Warehouse East",
    "subsidiary": "1",
    "asof": "2026-10-01",
    "quantity": "18",
}


def _read(rows: list[dict[str, Any]]) -> list[OnHand | RejectedRow]:
    return list(scripted_erp(suiteql_rows(rows)).on_hand(DAY, subsidiary_id="1"))


def test_average_cost_first_then_purchase_price_then_none() -> None:
    read = _read(
        [
            {**ROW, "averagecost": "83.955", "cost": "84.00", "currency": "USD"},
            {**ROW, "item": "504", "itemid": "STOVE", "cost": "30.00", "currency": "USD"},
            {**ROW, "item": "503", "itemid": "MAT-1", "currency": "USD"},
        ]
    )
    assert [(r.sku, r.unit_cost, r.cost_currency) for r in read if isinstance(r, OnHand)] == [
        ("TENT-2P", Decimal("83.955000"), "USD"),
        ("STOVE", Decimal("30.000000"), "USD"),
        ("MAT-1", None, None),  # no cost: no currency either
    ]


def test_the_query_asks_for_both_item_costs_and_the_subsidiary_currency() -> None:
    sent: list[str] = []

    def respond(request: httpx.Request) -> httpx.Response:
        sent.append(request.read().decode())
        return json_answer({"links": [], "count": 0, "hasMore": False, "items": []})

    erp = scripted_erp(respond)
    list(erp.on_hand(DAY, subsidiary_id="1"))
    list(erp.on_hand(None, subsidiary_id="1"))
    assert len(sent) == 2
    for body in sent:
        assert "i.averagecost, i.cost, cur.symbol AS currency" in body
        assert "LEFT JOIN currency cur ON cur.id = sub.currency" in body


def test_a_cost_that_cannot_be_read_quarantines_the_row_with_its_reason(tmp_path: Path) -> None:
    good = {**ROW, "averagecost": "83.955", "currency": "USD"}
    bad = [
        {**good, "item": "502", "averagecost": "12,50"},
        {**good, "item": "503", "averagecost": None, "cost": "1.1234567"},
        {**good, "item": "504", "cost": "1" + "0" * 14},
        {**good, "item": "505", "currency": "usd"},
    ]
    lake = Lake(tmp_path / "lake")
    directory = lake.partition_dir("raw", "erp", "on_hand", shop="north", date=DAY.isoformat())
    quarantine = landing.quarantine_dir(lake, "on_hand", shop="north", date=DAY.isoformat())
    stats = landing.land_on_hand(
        scripted_erp(suiteql_rows([good, *bad])),
        as_of=DAY,
        subsidiary_id="1",
        directory=directory,
        quarantine_directory=quarantine,
    )
    assert (stats.rows, stats.quarantined) == (1, len(bad))
    landed = duckdb.execute(
        f"select item_id, quantity_on_hand, unit_cost, unit_cost_currency "
        f"from '{directory / PARTITION_FILE}'"
    ).fetchall()
    assert landed == [("501", Decimal("18.0000"), Decimal("83.955000"), "USD")]
    reasons = dict(
        duckdb.execute(f"select record_key, reason from '{quarantine / PARTITION_FILE}'").fetchall()
    )
    assert reasons == {
        "502/31": "averagecost '12,50' is not a plain decimal number",
        "503/31": "cost '1.1234567' has more than 6 decimal places",
        "504/31": "cost '100000000000000' has more than 12 digits",
        "505/31": "currency 'usd' is not an ISO currency code",
    }


def test_on_hand_lands_the_cost_as_decimal_18_6(tmp_path: Path) -> None:
    directory = tmp_path / "on_hand"
    landing.land_on_hand(
        scripted_erp(suiteql_rows([{**ROW, "cost": "84.2", "currency": "USD"}])),
        as_of=DAY,
        subsidiary_id="1",
        directory=directory,
    )
    described = duckdb.execute(f"describe select * from '{directory / PARTITION_FILE}'").fetchall()
    types = {row[0]: row[1] for row in described}
    assert types["unit_cost"] == "DECIMAL(18,6)" and types["unit_cost_currency"] == "VARCHAR"
