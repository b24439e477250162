"""The analyst catalog: raw views over every lake entity with hive columns, staging models from
sql/, models waiting for data reported not fatal, and a publish never blocked by an open reader."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from retail_sync.warehouse.catalog import publish_catalog
from retail_sync.warehouse.lake import Lake, write_table_partition


def _gl_partition(lake: Lake, shop: str, day: str, memo: str, header_memo: str) -> None:
    table = pa.table(
        {
            "transaction_id": ["90001", "90001"],
            "line_id": ["1", "2"],
            "external_id": ["shopify-s-order-1", "shopify-s-order-1"],
            "document_number": ["JE1", "JE1"],
            "trandate": pa.array([date.fromisoformat(day)] * 2, pa.date32()),
            "period_id": ["210", "210"],
            "subsidiary_id": ["1", "1"],
            "account_number": ["1205", "4000"],
            "debit": pa.array([Decimal("10.50"), None], pa.decimal128(18, 2)),
            "credit": pa.array([None, Decimal("10.50")], pa.decimal128(18, 2)),
            "currency": ["USD", "USD"],
            "memo": [memo, None],
            "header_memo": [header_memo, header_memo],
        }
    )
    write_table_partition(lake.partition_dir("raw", "erp", "gl_lines", shop=shop, date=day), table)


def test_views_over_the_lake_and_staging(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    _gl_partition(lake, "north", "2026-10-01", "shopify:order:1001", "#1001 shopify:order:1001")
    _gl_partition(lake, "north", "2026-10-02", "no token here", "shopify:refund:77")
    summary = publish_catalog(lake, tmp_path / "catalog.duckdb")
    assert summary.views["raw"] == ["erp__gl_lines"]
    assert "stg_erp__gl_lines" in summary.views["staging"]

    with duckdb.connect(str(tmp_path / "catalog.duckdb"), read_only=True) as connection:
        rows = connection.execute(
            "select shop_id, business_date, shopify_entity, shopify_id, sum(signed_amount) "
            "from staging.stg_erp__gl_lines group by all order by all"
        ).fetchall()
    assert rows == [
        ("north", date(2026, 10, 1), "order", 1001, Decimal("0.00")),
        ("north", date(2026, 10, 2), "refund", 77, Decimal("0.00")),
    ]


def test_a_model_without_its_data_is_reported_not_fatal(tmp_path: Path) -> None:
    summary = publish_catalog(Lake(tmp_path / "empty-lake"), tmp_path / "catalog.duckdb")
    assert summary.views["raw"] == []
    assert "staging.stg_erp__gl_lines" in summary.skipped


def test_an_open_reader_never_blocks_a_publish(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    _gl_partition(lake, "north", "2026-10-01", "shopify:order:1", "")
    target = tmp_path / "catalog.duckdb"
    publish_catalog(lake, target)
    reader = duckdb.connect(str(target), read_only=True)
    try:
        _gl_partition(lake, "north", "2026-10-02", "shopify:order:2", "")
        publish_catalog(lake, target)  # would raise "Could not set lock" if it opened `target`
        assert reader.execute("select count(*) from raw.erp__gl_lines").fetchall() == [(4,)]
    finally:
        reader.close()
    with duckdb.connect(str(target), read_only=True) as fresh:
        assert fresh.execute("select count(*) from raw.erp__gl_lines").fetchall() == [(4,)]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["catalog.duckdb", "lake"]
