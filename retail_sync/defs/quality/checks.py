"""One multi-asset check per raw and staging asset: each expectation of its suite is a check.

A check is blocking (ERROR) when its expectation guards data that feeds reconciliation or
journals, advisory (WARN) otherwise. A blocking expectation that `holds` records (payout
consistency) stays blocking in Dagster's sense, so downstream steps wait for it, but reports its
failure as WARN: it holds the records it names and stops nothing else. All checks of an asset
run in one step (one DuckDB pass, one GX validation) rather than one step per expectation.

The checks are not partitioned: the assets use a single-run backfill policy over a date × shop
range, and a check evaluates every partition its run covers (read from the run's partition tags).
A check run without partition tags (launched by hand from the UI) evaluates the asset's latest
landed business date per shop.
"""

# No `from __future__ import annotations`: Dagster reads the check function's annotations.

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Any

import dagster as dg

from retail_sync.defs.keys import PARTITION_KEY_SEPARATOR, split_partition_key
from retail_sync.defs.metadata import markdown_table
from retail_sync.defs.partitions import date_shop_partitions
from retail_sync.defs.resources import LakeResource
from retail_sync.quality.expectations import (
    PAYOUT_CONSISTENCY_NAME,
    SUITES,
    Expectation,
    Suite,
)
from retail_sync.quality.partitions import latest_partitions
from retail_sync.quality.runner import ExpectationResult, PartitionRef, SuiteResult
from retail_sync.warehouse.lake import Lake

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def _refs(keys: Sequence[str]) -> list[PartitionRef]:
    refs = []
    for key in keys:
        business_date, shop_id = split_partition_key(key)
        refs.append(PartitionRef(shop=shop_id, date=business_date.isoformat()))
    return sorted(set(refs), key=lambda ref: (ref.date or "", ref.shop or ""))


def partitions_from_tags(
    tags: dict[str, str], instance: dg.DagsterInstance | None
) -> list[PartitionRef] | None:
    """The (shop, date) partitions a run covers, from its tags; None if it names none."""
    if PARTITION_TAG in tags and PARTITION_KEY_SEPARATOR in tags[PARTITION_TAG]:
        return _refs([tags[PARTITION_TAG]])
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        keys = date_shop_partitions.get_partition_keys_in_range(
            dg.PartitionKeyRange(tags[RANGE_START_TAG], tags[RANGE_END_TAG]),
            dynamic_partitions_store=instance,
        )
        return _refs(keys)
    return None


def _severity(expectation: Expectation) -> dg.AssetCheckSeverity:
    return dg.AssetCheckSeverity.ERROR if expectation.stops_the_run else dg.AssetCheckSeverity.WARN


def _role(expectation: Expectation) -> str:
    if not expectation.blocking:
        return "advisory"
    if expectation.holds:
        return f"holds each {expectation.holds} it names; blocks nothing else"
    return "blocking"


def check_metadata(result: ExpectationResult, partitions: Sequence[PartitionRef]) -> dict[str, Any]:
    """What a person needs to act on a result; plain Python values only."""
    sample = [
        {"partition": str(row.get("partition", "")), "id": str(row["id"]), "value": row["value"]}
        for row in result.sample
    ]
    metadata: dict[str, Any] = {
        "unexpected_count": int(result.unexpected_count),
        "unexpected_percent": float(result.unexpected_percent),
        "element_count": int(result.element_count),
        "offending_ids": dg.MetadataValue.json([row["id"] for row in sample]),
        "offending_sample": dg.MetadataValue.md(markdown_table(sample)),
        "parameters": dg.MetadataValue.json(json.loads(json.dumps(result.parameters))),
        "partitions_checked": len(partitions),
        "engine": ", ".join(sorted(result.engines)) or "none (no data)",
    }
    if result.failed_partitions:
        metadata["failed_partitions"] = dg.MetadataValue.json(result.failed_partitions)
    if result.missing_partitions:
        metadata["partitions_without_data"] = dg.MetadataValue.json(result.missing_partitions)
    return metadata


def _payout_metadata(
    lake: Lake, partitions: Sequence[PartitionRef], checked_at: dt.datetime
) -> dict[str, Any]:
    from retail_sync.quality.payouts import ENTITY, SOURCE, ZONE, write_payout_consistency

    table = write_payout_consistency(lake, partitions, checked_at)
    rows = [
        {
            "shop": row["shop_id"],
            "payout_id": int(row["payout_id"]),
            "status": row["status"],
            "payout_net": str(row["payout_net"]),
            "balance_net": str(row["balance_net"]),
            "variance": str(row["variance"]),
            "consistent": bool(row["consistent"]),
        }
        for row in table.to_pylist()
    ]
    held = [row["payout_id"] for row in rows if not row["consistent"]]
    return {
        "inconsistent_payout_ids": dg.MetadataValue.json(held),
        "held_payouts": len(held),
        "payout_variances": dg.MetadataValue.md(
            markdown_table([row for row in rows if not row["consistent"]])
        ),
        "payout_consistency_table": dg.MetadataValue.path(
            str(lake.entity_dir(ZONE, SOURCE, ENTITY))
        ),
    }


def evaluate_suite(
    lake: Lake, suite: Suite, partitions: Sequence[PartitionRef], now: dt.datetime | None = None
) -> SuiteResult:
    from retail_sync.quality.runner import validate

    return validate(lake, suite, partitions, now=now)


def _asset_key(path: Sequence[str]) -> dg.AssetKey:
    return dg.AssetKey(list(path))


def _additional_deps(expectation: Expectation, own: dg.AssetKey) -> list[dg.AssetKey]:
    keys = []
    for source in expectation.inputs:
        if source.zone == "raw" and source.entity == "quarantine":
            continue  # written by the Shopify extraction itself, not an asset of its own
        key = _asset_key((source.zone, source.source, source.entity))
        if key != own:
            keys.append(key)
    return keys


def build_suite_check(suite: Suite) -> dg.AssetChecksDefinition:
    """The multi-asset check evaluating `suite` on the partitions its run materialized."""
    key = _asset_key(suite.asset_path)
    specs = [
        dg.AssetCheckSpec(
            name=expectation.name,
            asset=key,
            description=f"{expectation.description} ({_role(expectation)})",
            blocking=expectation.blocking,
            additional_deps=_additional_deps(expectation, key),
            metadata={
                "kind": expectation.kind,
                "severity": _severity(expectation).value,
                **({"holds": expectation.holds} if expectation.holds else {}),
            },
        )
        for expectation in suite.expectations
    ]
    name = "quality__" + "__".join(suite.asset_path)

    @dg.multi_asset_check(
        specs=specs,
        name=name,
        description=f"Data-quality suite of {key.to_user_string()}.",
        can_subset=False,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, lake: LakeResource
    ) -> Iterator[dg.AssetCheckResult]:
        the_lake = lake.lake()
        checked_at = dt.datetime.now(dt.UTC)
        if suite.partitioned:
            partitions = partitions_from_tags(dict(context.run.tags), context.instance)
            if partitions is None:
                partitions = latest_partitions(the_lake, suite)
        else:
            partitions = [PartitionRef()]
        outcome = evaluate_suite(the_lake, suite, partitions, now=checked_at)
        context.log.info(
            f"{key.to_user_string()}: {outcome.rows} rows in {len(partitions)} partitions "
            f"checked in {outcome.seconds} s"
        )
        for result in outcome.results:
            metadata = check_metadata(result, partitions)
            if result.name == PAYOUT_CONSISTENCY_NAME:
                metadata |= _payout_metadata(the_lake, partitions, checked_at)
            metadata["check_seconds"] = float(outcome.seconds)
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=result.name,
                passed=result.success,
                severity=_severity(result.expectation),
                metadata=metadata,
                description=(
                    None
                    if result.success
                    else f"{result.unexpected_count} of {result.element_count} rows "
                    f"({result.unexpected_percent}%) fail"
                    + (
                        f", each {result.expectation.holds} held (the run goes on)"
                        if result.expectation.holds
                        else ""
                    )
                    + f": {result.expectation.description}"
                ),
            )

    return _check


def build_quality_checks(
    asset_keys: Sequence[dg.AssetKey] | None = None,
) -> list[dg.AssetChecksDefinition]:
    """A suite check for every asset with a suite (restricted to `asset_keys` when given)."""
    wanted = None if asset_keys is None else set(asset_keys)
    return [
        build_suite_check(suite)
        for path, suite in SUITES.items()
        if wanted is None or _asset_key(path) in wanted
    ]


quality_checks = build_quality_checks()
