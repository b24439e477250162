"""Every expectation of every suite passes on a good partition and fails on a crafted bad one,
in both engines (Great Expectations on bounded data, DuckDB aggregates on large data), and the
result says how many rows, which ids and with what parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from retail_sync.quality.expectations import (
    PAYOUT_CONSISTENCY_NAME,
    SUITES,
    Expectation,
    Suite,
)
from retail_sync.quality.payouts import inconsistent_payouts, write_payout_consistency
from retail_sync.quality.runner import STRUCTURAL, PartitionRef, validate
from retail_sync_tests.quality.partitions import (
    DATE,
    SHOP,
    break_expectation,
    good_tables,
    write_lake,
)

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
PARTITION = PartitionRef(SHOP, DATE)
GX = 10**9  # every partition is small enough for Great Expectations
DUCKDB = 0  # every partition goes to DuckDB

CASES = [
    pytest.param(suite, expectation, id=f"{'/'.join(suite.asset_path)}:{expectation.name}")
    for suite in SUITES.values()
    for expectation in suite.expectations
]
STRUCTURAL_CASES = [case for case in CASES if case.values[1].kind in STRUCTURAL]  # type: ignore[union-attr]


def _partitions(suite: Suite) -> list[PartitionRef]:
    return [PARTITION] if suite.partitioned else []


def _only(suite: Suite, expectation: Expectation) -> Suite:
    return replace(suite, expectations=(expectation,))


@pytest.mark.parametrize("engine", [DUCKDB, pytest.param(GX, marks=pytest.mark.slow)])
@pytest.mark.parametrize("suite", list(SUITES.values()), ids=lambda s: "/".join(s.asset_path))
def test_every_suite_passes_on_the_good_lake(tmp_path: Path, suite: Suite, engine: int) -> None:
    lake = write_lake(tmp_path, good_tables())
    outcome = validate(lake, suite, _partitions(suite), now=NOW, gx_row_limit=engine)
    failures = {r.name: r.sample for r in outcome.results if not r.success}
    assert failures == {}
    assert outcome.rows > 0


@pytest.mark.parametrize(("suite", "expectation"), CASES)
def test_each_expectation_fails_on_its_bad_partition(
    tmp_path: Path, suite: Suite, expectation: Expectation
) -> None:
    tables = good_tables()
    quarantine = break_expectation(tables, suite, expectation)
    lake = write_lake(tmp_path, tables, quarantine)
    outcome = validate(
        lake, _only(suite, expectation), _partitions(suite), now=NOW, gx_row_limit=DUCKDB
    )
    (result,) = outcome.results
    assert not result.success
    assert result.unexpected_count >= 1
    assert 0 < result.unexpected_percent <= 100
    assert result.sample and result.sample[0]["id"]
    assert result.parameters["kind"] == expectation.kind


@pytest.mark.slow
@pytest.mark.parametrize(("suite", "expectation"), STRUCTURAL_CASES)
def test_great_expectations_agrees_with_duckdb(
    tmp_path: Path, suite: Suite, expectation: Expectation
) -> None:
    tables = good_tables()
    break_expectation(tables, suite, expectation)
    lake = write_lake(tmp_path, tables)
    single = _only(suite, expectation)
    (by_gx,) = validate(lake, single, _partitions(suite), now=NOW, gx_row_limit=GX).results
    (by_duckdb,) = validate(lake, single, _partitions(suite), now=NOW, gx_row_limit=0).results
    assert by_gx.engines == {"great_expectations"} and by_duckdb.engines == {"duckdb"}
    assert by_gx.unexpected_count == by_duckdb.unexpected_count >= 1
    assert [row["id"] for row in by_gx.sample] == [row["id"] for row in by_duckdb.sample]


def test_currency_result_names_the_offending_order_and_the_rule(tmp_path: Path) -> None:
    tables = good_tables()
    tables[("raw", "shopify", "orders")][1]["currency_code"] = "usd"
    lake = write_lake(tmp_path, tables)
    suite = SUITES[("raw", "shopify", "orders")]
    results = validate(lake, suite, [PARTITION], now=NOW, gx_row_limit=DUCKDB).by_name()
    currency = results["currency_code_is_iso_4217"]
    assert (currency.unexpected_count, currency.element_count) == (1, 2)
    assert currency.unexpected_percent == 50.0
    assert currency.sample == [{"partition": f"{SHOP}/{DATE}", "id": "2", "value": "usd"}]
    assert currency.parameters["value_set"] == "ISO 4217"
    assert currency.failed_partitions == [f"{SHOP}/{DATE}"]


def test_a_missing_input_fails_rather_than_passing_silently(tmp_path: Path) -> None:
    tables = good_tables()
    del tables[("raw", "erp", "accounts")]
    lake = write_lake(tmp_path, tables)
    suite = SUITES[("raw", "erp", "gl_lines")]
    result = validate(lake, suite, [PARTITION], now=NOW).by_name()["accounts_exist_in_chart"]
    assert result.unexpected_count == 2
    assert "no raw/erp/accounts data" in result.sample[0]["value"]


def test_a_partition_without_data_is_reported_not_failed(tmp_path: Path) -> None:
    lake = write_lake(tmp_path, good_tables())
    suite = SUITES[("raw", "shopify", "payouts")]
    outcome = validate(lake, suite, [PartitionRef(SHOP, "2026-11-02")], now=NOW)
    assert all(
        r.success and r.missing_partitions == [f"{SHOP}/2026-11-02"] for r in outcome.results
    )


def test_payout_inconsistency_says_which_payout_and_by_how_much(tmp_path: Path) -> None:
    tables = good_tables()
    tables[("staging", "shopify", "payouts")][0]["net"] = Decimal("160.10")
    lake = write_lake(tmp_path, tables)
    suite = SUITES[("staging", "shopify", "payouts")]
    result = validate(lake, suite, [PARTITION], now=NOW).by_name()[PAYOUT_CONSISTENCY_NAME]
    assert not result.success and result.expectation.blocking
    assert result.sample[0]["id"] == "61"
    assert "variance 0.05" in result.sample[0]["value"]

    table = write_payout_consistency(lake, [PARTITION], NOW)
    (row,) = table.to_pylist()
    assert (row["payout_id"], row["variance"], row["consistent"]) == (61, Decimal("0.05"), False)
    assert row["balance_transactions"] == 2  # the PAYOUT transfer itself is not summed
    assert inconsistent_payouts(lake, SHOP) == {61}


def test_blocking_and_advisory_split() -> None:
    blocking = {
        (suite.asset_path, e.name) for suite in SUITES.values() for e in suite.expectations
        if e.blocking
    }  # fmt: skip
    assert (("staging", "shopify", "payouts"), PAYOUT_CONSISTENCY_NAME) in blocking
    assert (("raw", "erp", "gl_lines"), "debits_equal_credits") in blocking
    assert (("raw", "shopify", "orders"), "no_quarantined_records") not in blocking
    assert (("raw", "shopify", "order_line_items"), "sku_present") not in blocking


def test_only_payout_consistency_holds_records_instead_of_stopping_the_run() -> None:
    # Decided per check (docs/quality.md, "Hold or block"): a payout that does not add up holds
    # that payout; every other blocking check guards a whole partition and stops the run.
    holding = {
        (suite.asset_path, e.name, e.holds)
        for suite in SUITES.values()
        for e in suite.expectations
        if e.holds
    }
    assert holding == {(("staging", "shopify", "payouts"), PAYOUT_CONSISTENCY_NAME, "payout")}
    consistency = next(e for e in SUITES[("staging", "shopify", "payouts")].expectations if e.holds)
    assert consistency.blocking and not consistency.stops_the_run
    debits = next(
        e for e in SUITES[("raw", "erp", "gl_lines")].expectations
        if e.name == "debits_equal_credits"
    )  # fmt: skip
    assert debits.stops_the_run
