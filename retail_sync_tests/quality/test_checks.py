"""The quality suites as Dagster asset checks: a failing blocking check stops the downstream
staging asset (and anything after it) in the same run, proved with `materialize`; the payout
consistency failure holds only that payout (WARN: the run goes on, and a step downstream already
reads the held payout) and names it and its variance in metadata and in the lake table; an
automation condition built with `checked_eager()` never materializes past a failed blocking
check; the code location registers every suite and the freshness policies."""

# No `from __future__ import annotations`: Dagster reads the config and resource annotations.

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pytest

from retail_sync.defs import keys
from retail_sync.defs.partitions import SHOP_PARTITIONS, date_shop_partitions, single_run
from retail_sync.defs.quality.automation import checked_eager
from retail_sync.defs.quality.checks import build_quality_checks, partitions_from_tags
from retail_sync.defs.quality.freshness import INGESTED_FRESHNESS
from retail_sync.defs.resources import LakeResource, ShopsResource
from retail_sync.defs.staging.assets import staging_assets
from retail_sync.quality.payouts import inconsistent_payouts
from retail_sync.quality.runner import PartitionRef
from retail_sync.shopify.tables import SCHEMAS
from retail_sync.warehouse.lake import Lake, write_table_partition
from retail_sync_tests.quality.partitions import DATE, SHOP, good_tables

PARTITION_KEY = keys.partition_key(date.fromisoformat(DATE), SHOP)
BALANCE = dg.AssetKey(["raw", "shopify", "balance_transactions"])
PAYOUTS = dg.AssetKey(["raw", "shopify", "payouts"])
STAGED_BALANCE = dg.AssetKey(["staging", "shopify", "balance_transactions"])
STAGED_PAYOUTS = dg.AssetKey(["staging", "shopify", "payouts"])
ACCOUNTS = dg.AssetKey(["raw", "erp", "accounts"])


def _shops_file(home: Path) -> Path:
    path = home / "shops.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": SHOP,
                    "domain": f"{SHOP}.myshopify.com",
                    "currency": "USD",
                    "timezone": "UTC",
                    "erp_subsidiary_id": "1",
                    "access_token_variable": "SHOPIFY_ACCESS_TOKEN_S1",
                },
            ]
        ),
        encoding="utf-8",
    )
    return path


def _staging(key: dg.AssetKey) -> dg.AssetsDefinition:
    return next(asset for asset in staging_assets if asset.key == key)


def _landing(key: dg.AssetKey, rows: Callable[[], list[dict[str, Any]]]) -> dg.AssetsDefinition:
    """A stand-in for a Shopify extraction: lands `rows` (raw schema) in the run's partitions."""
    entity = key.path[-1]

    @dg.asset(
        key=key, partitions_def=date_shop_partitions, backfill_policy=single_run,
        group_name="ingest_shopify",
    )  # fmt: skip
    def _land(context: dg.AssetExecutionContext, lake: LakeResource) -> None:
        for partition_key in context.partition_keys:
            dimensions = date_shop_partitions.get_partition_key_from_str(partition_key)
            by = dimensions.keys_by_dimension
            directory = lake.lake().partition_dir(
                "raw", "shopify", entity, shop=by["shop"], date=by["date"]
            )
            table = pa.Table.from_pylist(
                [{k: v for k, v in row.items() if k in SCHEMAS[entity].names} for row in rows()],
                schema=SCHEMAS[entity],
            )
            write_table_partition(directory, table)

    return _land


def _probe(name: str, upstream: dg.AssetKey, ran: list[str]) -> dg.AssetsDefinition:
    """A stand-in for a journal step downstream of a staging asset."""

    @dg.asset(
        name=name, deps=[upstream], partitions_def=date_shop_partitions,
        backfill_policy=single_run,
    )  # fmt: skip
    def _journal() -> None:
        ran.append(name)

    return _journal


@pytest.fixture
def instance() -> dg.DagsterInstance:
    with dg.instance_for_test() as test_instance:
        test_instance.add_dynamic_partitions(SHOP_PARTITIONS, [SHOP])
        yield test_instance


def _resources(tmp_path: Path) -> dict[str, Any]:
    return {
        "lake": LakeResource(root=str(tmp_path / "lake")),
        "shops": ShopsResource(path=str(_shops_file(tmp_path))),
    }


def _raw_rows(entity: str, edit: Callable[[list[dict[str, Any]]], None] | None = None):
    def rows() -> list[dict[str, Any]]:
        found = good_tables()[("raw", "shopify", entity)]
        if edit:
            edit(found)
        return found

    return rows


def _evaluations(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], Any]:
    return {
        (ev.asset_key.to_user_string(), ev.check_name): ev
        for ev in result.get_asset_check_evaluations()
    }


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {
        event.asset_key.to_user_string()
        for event in result.get_asset_materialization_events()
        if event.asset_key
    }


@pytest.mark.e2e
@pytest.mark.parametrize("bad", [False, True], ids=["good", "bad-currency"])
def test_failing_blocking_check_stops_staging_in_the_same_run(
    tmp_path: Path, instance: dg.DagsterInstance, bad: bool
) -> None:
    def usd_dollar_sign(rows: list[dict[str, Any]]) -> None:
        rows[0]["currency_code"] = "US$"

    ran: list[str] = []
    result = dg.materialize(
        [
            _landing(BALANCE, _raw_rows("balance_transactions", usd_dollar_sign if bad else None)),
            _staging(STAGED_BALANCE),
            _probe("fee_journal_probe", STAGED_BALANCE, ran),
            *build_quality_checks([BALANCE, STAGED_BALANCE]),
        ],
        instance=instance,
        resources=_resources(tmp_path),
        partition_key=PARTITION_KEY,
        raise_on_error=False,
    )
    evaluations = _evaluations(result)
    currency = evaluations[("raw/shopify/balance_transactions", "currency_code_is_iso_4217")]
    if not bad:
        assert result.success
        assert _materialized(result) >= {"raw/shopify/balance_transactions",
                                         "staging/shopify/balance_transactions"}  # fmt: skip
        assert currency.passed and ran == ["fee_journal_probe"]
        return
    assert not result.success
    assert not currency.passed and currency.severity == dg.AssetCheckSeverity.ERROR
    assert currency.metadata["unexpected_count"].value == 1
    assert currency.metadata["offending_ids"].value == ["71"]
    assert currency.metadata["parameters"].value["value_set"] == "ISO 4217"
    # The raw partition is recorded; nothing downstream of it ran.
    assert _materialized(result) == {"raw/shopify/balance_transactions"}
    assert ran == []
    assert ("staging/shopify/balance_transactions", "currency_code_is_iso_4217") not in evaluations


@pytest.mark.e2e
def test_inconsistent_payout_is_held_not_blocking_and_says_by_how_much(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    def off_by_five_cents(rows: list[dict[str, Any]]) -> None:
        rows[0]["net"] = Decimal("160.10")

    seen_by_journal: list[set[int]] = []

    @dg.asset(
        name="payout_journal_probe", deps=[STAGED_PAYOUTS], partitions_def=date_shop_partitions,
        backfill_policy=single_run,
    )  # fmt: skip
    def payout_journal_probe(lake: LakeResource) -> None:
        # What a journal step downstream reads: the check (blocking, so it ran first) held 61.
        seen_by_journal.append(inconsistent_payouts(lake.lake(), SHOP))

    result = dg.materialize(
        [
            _landing(PAYOUTS, _raw_rows("payouts", off_by_five_cents)),
            _landing(BALANCE, _raw_rows("balance_transactions")),
            _staging(STAGED_PAYOUTS),
            _staging(STAGED_BALANCE),
            payout_journal_probe,
            *build_quality_checks([PAYOUTS, BALANCE, STAGED_PAYOUTS, STAGED_BALANCE]),
        ],
        instance=instance,
        resources=_resources(tmp_path),
        partition_key=PARTITION_KEY,
        raise_on_error=False,
    )
    # The payout is held; the run (everything else downstream) goes on.
    assert result.success
    check = _evaluations(result)[("staging/shopify/payouts", "balance_transactions_sum_to_payout")]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["inconsistent_payout_ids"].value == [61]
    assert check.metadata["held_payouts"].value == 1
    assert "| 61 |" in check.metadata["payout_variances"].value
    assert "variance 0.05" in check.metadata["offending_sample"].value
    assert "payout held" in (check.description or "")
    assert seen_by_journal == [{61}]
    assert inconsistent_payouts(Lake(tmp_path / "lake"), SHOP) == {61}


class AccountsConfig(dg.Config):
    unknown_type: bool = False


@dg.asset(key=ACCOUNTS)
def _accounts_landing(config: AccountsConfig, lake: LakeResource) -> None:
    rows = good_tables()[("raw", "erp", "accounts")]
    if config.unknown_type:
        rows[0]["type"] = None
    write_table_partition(
        lake.lake().partition_dir("raw", "erp", "accounts"), pa.Table.from_pylist(rows)
    )


@dg.asset(deps=[ACCOUNTS], automation_condition=checked_eager())
def checked_journal() -> None:
    """Stands in for a journal asset: eager, but only past passed blocking checks."""


@dg.asset(deps=[ACCOUNTS], automation_condition=dg.AutomationCondition.eager())
def plain_eager_journal() -> None:
    """The same with plain `eager()`, which ignores checks (the contrast)."""


def test_automation_never_materializes_past_a_failed_blocking_check(tmp_path: Path) -> None:
    checks = build_quality_checks([ACCOUNTS])
    resources = {"lake": LakeResource(root=str(tmp_path / "lake"))}
    defs = dg.Definitions(
        assets=[_accounts_landing, checked_journal, plain_eager_journal],
        asset_checks=checks,
        resources=resources,
    )

    def land(unknown_type: bool) -> None:
        dg.materialize(
            [_accounts_landing, *checks], instance=instance, resources=resources,
            run_config={"ops": {"raw__erp__accounts": {"config": {
                "unknown_type": unknown_type}}}},
            raise_on_error=False,
        )  # fmt: skip

    with dg.instance_for_test() as instance:
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        land(unknown_type=True)
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        assert tick.get_num_requested(checked_journal.key) == 0
        assert tick.get_num_requested(plain_eager_journal.key) == 1  # why the helper exists

        land(unknown_type=False)
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        assert tick.get_num_requested(checked_journal.key) == 1


def test_partitions_come_from_the_run_tags(instance: dg.DagsterInstance) -> None:
    instance.add_dynamic_partitions(SHOP_PARTITIONS, ["s2"])
    assert partitions_from_tags({"dagster/partition": PARTITION_KEY}, instance) == [
        PartitionRef(SHOP, DATE)
    ]
    ranged = partitions_from_tags(
        {
            "dagster/asset_partition_range_start": keys.partition_key(date(2026, 10, 31), SHOP),
            "dagster/asset_partition_range_end": keys.partition_key(date(2026, 11, 1), "s2"),
        },
        instance,
    )
    assert ranged == [
        PartitionRef(SHOP, "2026-10-31"),
        PartitionRef("s2", "2026-10-31"),
        PartitionRef(SHOP, "2026-11-01"),
        PartitionRef("s2", "2026-11-01"),
    ]
    assert partitions_from_tags({}, instance) is None


def test_code_location_has_every_suite_and_freshness(tmp_path: Path) -> None:
    from retail_sync.definitions import build_definitions
    from retail_sync.quality.expectations import SUITES
    from retail_sync.settings import Paths

    graph = build_definitions(Paths(tmp_path)).resolve_asset_graph()
    for path, suite in SUITES.items():
        key = dg.AssetKey(list(path))
        checks = {check.name: check for check in graph.get_check_keys_for_assets({key})}
        assert set(checks) == {e.name for e in suite.expectations}
        for expectation in suite.expectations:
            spec = graph.get_check_spec(dg.AssetCheckKey(key, expectation.name))
            assert spec.blocking == expectation.blocking
    for key in graph.get_all_asset_keys():
        policy = graph.get(key).freshness_policy
        assert (policy == INGESTED_FRESHNESS) == (key.path[0] == "raw")


def test_a_check_run_alone_evaluates_the_newest_date_of_each_shop(tmp_path: Path) -> None:
    from retail_sync.defs.quality.checks import latest_partitions
    from retail_sync.quality.expectations import SUITES

    lake = Lake(tmp_path)
    for shop, day in ((SHOP, "2026-10-31"), (SHOP, DATE), ("s2", "2026-10-30")):
        lake.partition_dir("raw", "shopify", "payouts", shop=shop, date=day).mkdir(parents=True)
    assert latest_partitions(lake, SUITES[("raw", "shopify", "payouts")]) == [
        PartitionRef(SHOP, DATE),
        PartitionRef("s2", "2026-10-30"),
    ]
