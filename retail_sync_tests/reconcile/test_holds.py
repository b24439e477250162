"""recon.holds: an ERP row the adapter could not read holds its shop-day (and only that one)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from retail_sync.defs.keys import partition_key
from retail_sync.erp.landing import QUARANTINE_SCHEMA, quarantine_dir
from retail_sync.reconcile.engine import reconciliation_connection
from retail_sync.warehouse.lake import write_table_partition
from retail_sync_tests.reconcile.harness import land_world

pytestmark = pytest.mark.e2e
WORLD = Path(__file__).parent / "worlds" / "order_duplicate_posting"


def test_a_quarantined_gl_line_holds_its_shop_day(tmp_path: Path) -> None:
    lake, shops = land_world(WORLD, tmp_path / "work")
    shop = shops[0].id
    with reconciliation_connection(lake, shops) as connection:
        before = connection.execute(
            "select count(*) from recon.holds where reason = 'erp_quarantined'"
        ).fetchone()
    assert before == (0,)

    row = {"id": "7", "debit": "12,50"}
    write_table_partition(
        quarantine_dir(lake, "gl_lines", shop=shop, date="2026-10-31"),
        pa.Table.from_pylist(
            [
                {
                    "source_table": "gl_lines",
                    "record_key": "7:1",
                    "reason": "debit '12,50' is not a decimal amount",
                    "raw_payload": json.dumps(row),
                    "subsidiary_id": shops[0].erp_subsidiary_id,
                    "window_start": date(2026, 10, 31),
                    "window_end": date(2026, 11, 1),
                    "partition": partition_key(date(2026, 10, 31), shop),
                }
            ],
            schema=QUARANTINE_SCHEMA,
        ),
    )
    with reconciliation_connection(lake, shops) as connection:
        holds = connection.execute(
            "select shop_id, business_date, domain, shopify_ref, detail from recon.holds "
            "where reason = 'erp_quarantined'"
        ).fetchall()
    assert holds == [
        (
            shop,
            date(2026, 10, 31),
            "ledger",
            "erp:gl_lines:7:1",
            "ERP gl_lines row quarantined by landing: debit '12,50' is not a decimal amount",
        )
    ]
