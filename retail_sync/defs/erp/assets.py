"""The ERP's general ledger, chart, periods and on-hand, landed raw in the lake."""

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from retail_sync.defs.failures import ERP_STEP_RETRY, retried_only_when_transient
from retail_sync.defs.keys import ERP_GROUP, partition_key
from retail_sync.defs.metadata import markdown_table, rows_metadata
from retail_sync.defs.partitions import date_shop_partitions, partitions_of, single_run
from retail_sync.defs.resources import ERPResource, LakeResource, ShopsResource
from retail_sync.erp.port import ERPPort

if TYPE_CHECKING:
    from retail_sync.erp.landing import LandingStats

KEY_PREFIX = ["raw", "erp"]
# Reads from the ERP retry on the asset; the adapter already retries single requests.


def _snapshot_asset(
    name: str, description: str, land: Callable[[ERPPort, Path, Path], "LandingStats"]
) -> dg.AssetsDefinition:
    """An unpartitioned ERP table replaced whole on every run:
    `land(port, directory, quarantine directory)`."""

    @dg.asset(
        name=name,
        key_prefix=KEY_PREFIX,
        group_name=ERP_GROUP,
        description=description,
        kinds={"netsuite", "parquet"},
        retry_policy=ERP_STEP_RETRY,
    )
    def _asset(
        context: dg.AssetExecutionContext, erp: ERPResource, lake: LakeResource
    ) -> dg.MaterializeResult:
        from retail_sync.erp.landing import quarantine_dir

        with retried_only_when_transient():
            the_lake = lake.lake()
            directory = the_lake.partition_dir("raw", "erp", name)
            quarantine = quarantine_dir(the_lake, name)
            stats = land(erp.port(), directory, quarantine)
        if stats.quarantined:
            context.log.warning(f"{stats.quarantined} {name} row(s) quarantined in {quarantine}")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": stats.rows,
                "quarantined_rows": stats.quarantined,
                "path": dg.MetadataValue.path(str(directory)),
                "quarantine_path": dg.MetadataValue.path(str(quarantine)),
            }
        )

    return _asset


def _land_accounts(port: ERPPort, directory: Path, quarantine: Path) -> "LandingStats":
    from retail_sync.erp.landing import land_accounts

    return land_accounts(port, directory=directory, quarantine_directory=quarantine)


def _land_periods(port: ERPPort, directory: Path, quarantine: Path) -> "LandingStats":
    from retail_sync.erp.landing import land_periods

    return land_periods(port, directory=directory, quarantine_directory=quarantine)


accounts = _snapshot_asset(
    "accounts",
    "Chart of accounts as the ERP holds it (snapshot, replaced on every run).",
    _land_accounts,
)
periods = _snapshot_asset(
    "periods",
    "Accounting periods and their status: open, locked or closed (snapshot).",
    _land_periods,
)


def _partitioned_asset(
    name: str,
    description: str,
    land: Callable[[ERPPort, date, str, Path, Path], "LandingStats"],
) -> dg.AssetsDefinition:
    """A table landed per (business date, shop):
    `land(port, date, subsidiary, directory, quarantine directory)`."""

    @dg.asset(
        name=name,
        key_prefix=KEY_PREFIX,
        group_name=ERP_GROUP,
        partitions_def=date_shop_partitions,
        backfill_policy=single_run,
        pool="erp_reads",
        description=description,
        kinds={"netsuite", "parquet"},
        retry_policy=ERP_STEP_RETRY,
    )
    def _asset(
        context: dg.AssetExecutionContext,
        erp: ERPResource,
        lake: LakeResource,
        shops: ShopsResource,
    ) -> dg.MaterializeResult:
        from retail_sync.erp.landing import quarantine_dir

        rows: dict[str, int] = {}
        quarantined: dict[str, int] = {}
        windows: list[str] = []
        with retried_only_when_transient():
            port, the_lake, settings = erp.port(), lake.lake(), shops.shops()
            for business_date, shop_id in partitions_of(context):
                subsidiary = settings[shop_id].erp_subsidiary_id
                day = business_date.isoformat()
                directory = the_lake.partition_dir("raw", "erp", name, shop=shop_id, date=day)
                quarantine = quarantine_dir(the_lake, name, shop=shop_id, date=day)
                stats = land(port, business_date, subsidiary, directory, quarantine)
                key = partition_key(business_date, shop_id)
                rows[key], quarantined[key] = stats.rows, stats.quarantined
                windows.append(f"{shop_id} {business_date} (subsidiary {subsidiary})")
        held = {key: count for key, count in sorted(quarantined.items()) if count}
        if held:
            context.log.warning(
                f"{sum(held.values())} {name} row(s) quarantined in raw/erp/quarantine: "
                + ", ".join(f"{key} ({count})" for key, count in held.items())
            )
        metadata = rows_metadata(rows) | {
            "quarantined_rows": sum(held.values()),
            "windows_read": dg.MetadataValue.md("\n".join(f"- {line}" for line in windows)),
        }
        if held:
            metadata["quarantined_by_partition"] = dg.MetadataValue.md(
                markdown_table(
                    [{"partition": key, "quarantined": count} for key, count in held.items()]
                )
            )
        return dg.MaterializeResult(metadata=metadata)

    return _asset


def _land_gl_lines(
    port: ERPPort, business_date: date, subsidiary: str, directory: Path, quarantine: Path
) -> "LandingStats":
    from retail_sync.erp.landing import land_gl_lines

    return land_gl_lines(
        port,
        start=business_date,
        end=business_date,
        subsidiary_id=subsidiary,
        directory=directory,
        quarantine_directory=quarantine,
    )


def _land_on_hand(
    port: ERPPort, business_date: date, subsidiary: str, directory: Path, quarantine: Path
) -> "LandingStats":
    from retail_sync.erp.landing import land_on_hand

    return land_on_hand(
        port,
        as_of=business_date,
        subsidiary_id=subsidiary,
        directory=directory,
        quarantine_directory=quarantine,
    )


gl_lines = _partitioned_asset(
    "gl_lines",
    "Posted GL lines dated on the business date, for the shop's subsidiary.",
    _land_gl_lines,
)
on_hand = _partitioned_asset(
    "on_hand",
    "ERP on-hand per item and location at the end of the business date.",
    _land_on_hand,
)
