"""The ERP's general ledger, chart, periods and on-hand, landed raw in the lake."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import dagster as dg

from retail_sync.defs.metadata import rows_metadata
from retail_sync.defs.partitions import date_shop_partitions, partitions_of, single_run
from retail_sync.defs.resources import ERPResource, LakeResource, ShopsResource
from retail_sync.erp.port import ERPPort

ERP_GROUP = "ingest_erp"
KEY_PREFIX = ["raw", "erp"]
# Reads from the ERP retry on the asset; the adapter already retries single requests.
ERP_RETRY = dg.RetryPolicy(
    max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL
)


def _snapshot_asset(name: str, description: str, land_function: str) -> dg.AssetsDefinition:
    """An unpartitioned ERP table replaced whole on every run by `erp.landing.<land_function>`."""

    @dg.asset(
        name=name,
        key_prefix=KEY_PREFIX,
        group_name=ERP_GROUP,
        description=description,
        kinds={"netsuite", "parquet"},
        retry_policy=ERP_RETRY,
    )
    def _asset(erp: ERPResource, lake: LakeResource) -> dg.MaterializeResult:
        from retail_sync.erp import landing

        directory = lake.lake().partition_dir("raw", "erp", name)
        stats = getattr(landing, land_function)(erp.port(), directory=directory)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": stats.rows,
                "path": dg.MetadataValue.path(str(directory)),
            }
        )

    return _asset


accounts = _snapshot_asset(
    "accounts",
    "Chart of accounts as the ERP holds it (snapshot, replaced on every run).",
    "land_accounts",
)
periods = _snapshot_asset(
    "periods",
    "Accounting periods and their status: open, locked or closed (snapshot).",
    "land_periods",
)


def _partitioned_asset(
    name: str, description: str, land: Callable[[ERPPort, date, str, Path], int]
) -> dg.AssetsDefinition:
    """A table landed per (business date, shop): `land(port, date, subsidiary, directory)`."""

    @dg.asset(
        name=name,
        key_prefix=KEY_PREFIX,
        group_name=ERP_GROUP,
        partitions_def=date_shop_partitions,
        backfill_policy=single_run,
        pool="erp_reads",
        description=description,
        kinds={"netsuite", "parquet"},
        retry_policy=ERP_RETRY,
    )
    def _asset(
        context: dg.AssetExecutionContext,
        erp: ERPResource,
        lake: LakeResource,
        shops: ShopsResource,
    ) -> dg.MaterializeResult:
        port, the_lake, settings = erp.port(), lake.lake(), shops.shops()
        rows: dict[str, int] = {}
        windows: list[str] = []
        for business_date, shop_id in partitions_of(context):
            subsidiary = settings[shop_id].erp_subsidiary_id
            directory = the_lake.partition_dir(
                "raw", "erp", name, shop=shop_id, date=business_date.isoformat()
            )
            rows[f"{business_date}|{shop_id}"] = land(port, business_date, subsidiary, directory)
            windows.append(f"{shop_id} {business_date} (subsidiary {subsidiary})")
        return dg.MaterializeResult(
            metadata=rows_metadata(rows)
            | {"windows_read": dg.MetadataValue.md("\n".join(f"- {line}" for line in windows))}
        )

    return _asset


def _land_gl_lines(port: ERPPort, business_date: date, subsidiary: str, directory: Path) -> int:
    from retail_sync.erp.landing import land_gl_lines

    return land_gl_lines(
        port, start=business_date, end=business_date, subsidiary_id=subsidiary, directory=directory
    ).rows


def _land_on_hand(port: ERPPort, business_date: date, subsidiary: str, directory: Path) -> int:
    from retail_sync.erp.landing import land_on_hand

    return land_on_hand(
        port, as_of=business_date, subsidiary_id=subsidiary, directory=directory
    ).rows


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
