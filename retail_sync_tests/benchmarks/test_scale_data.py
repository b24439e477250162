"""The benchmark scale data: every discrepancy kind of the world generator present in its truth,
a balanced ledger, stable output for a seed, the DuckDB and pandas reconciliations agreeing, and
the reconciliation engine (sql/recon over the scale data's adapter views) finding the truth's order
discrepancies."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from benchmarks.recon_orders import RECONCILE_SQL, _check, _duckdb, _engine, _pandas, _prepare
from benchmarks.scale import generate

WORLD_KINDS = {
    "order_missing_in_erp", "order_duplicate_posting", "order_tax_mismatch",
    "order_shipping_mismatch", "order_discount_mismatch", "order_rounding_difference",
    "order_fx_difference", "order_wrong_period", "refund_missing_in_erp",
    "refund_amount_mismatch", "orphan_erp_entry", "fee_missing_in_erp", "fee_duplicate_posting",
    "payout_deposit_missing", "payout_deposit_amount_mismatch", "payout_balance_mismatch",
    "inventory_on_hand_mismatch", "order_misposted", "order_unexpected_account",
}  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scale") / "s"
    generate(out, size="s", seed=3)
    return out


def test_every_kind_is_injected_and_recorded(data: Path) -> None:
    kinds = {
        row[0]
        for row in duckdb.sql(f"select distinct kind from '{data}/truth/*.parquet'").fetchall()
    }
    assert kinds == WORLD_KINDS


def test_every_entry_balances_and_ids_are_unique(data: Path) -> None:
    unbalanced = duckdb.sql(
        f"select transaction_id from '{data}/gl_lines/*.parquet' "
        "group by transaction_id having sum(debit) <> sum(credit)"
    ).fetchall()
    assert unbalanced == []
    lines, keys = duckdb.sql(
        f"select count(*), count(distinct (transaction_id, line)) from '{data}/gl_lines/*.parquet'"
    ).fetchall()[0]
    assert lines == keys


def test_same_seed_same_bytes(data: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(again, size="s", seed=3)
    for table in ("orders", "gl_lines", "truth"):
        assert (again / table / "part-0.parquet").read_bytes() == (
            data / table / "part-0.parquet"
        ).read_bytes()


def test_duckdb_and_pandas_reconciliations_agree(data: Path) -> None:
    exceptions = _duckdb(data, RECONCILE_SQL)
    assert exceptions > 0
    assert _pandas(data) == exceptions


def test_engine_finds_the_truths_order_discrepancies(data: Path) -> None:
    _prepare(data)
    assert _engine(data) > 0
    check = _check(data)
    kinds = check["order_kinds"]
    # The generator posts a wrong-period order on the next day, never outside its month: nothing
    # for the posting rules to find (see recon_orders._check).
    assert kinds.pop("order_wrong_period")["found"] == 0
    assert set(kinds) == {
        "order_missing_in_erp", "order_duplicate_posting", "order_tax_mismatch",
        "order_shipping_mismatch", "order_discount_mismatch", "order_rounding_difference",
        "order_fx_difference", "order_misposted", "order_unexpected_account",
    }  # fmt: skip
    for kind, counts in kinds.items():
        assert counts["truth"] > 0, kind
        assert counts["found"] == counts["truth"], (kind, counts)
    # Variances agree where the truth and the engine measure the same thing (a missing or
    # duplicated entry: the truth counts the clearing amount, the engine the entry's total).
    for kind in (
        "order_tax_mismatch", "order_shipping_mismatch", "order_discount_mismatch",
        "order_misposted", "order_unexpected_account",
    ):  # fmt: skip
        assert kinds[kind]["same_variance"] == kinds[kind]["truth"], kind
    assert check["orders_not_in_truth"] == {}
