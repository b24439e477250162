"""The settlement report: per business date × shop, record the exception lifecycle, then report.

For each shop in the run, the exceptions of every reconciled date are recorded in the lifecycle
store in one transaction (seen on the shop's own today, or `seen_on` from the run config); then each
(date, shop) gets a markdown summary, the largest unresolved exceptions, the figures to plot and a
standalone HTML page under `<home>/reports/<shop>/<date>.html`.

A shop-day with held records (recon/holds: an inconsistent payout, a quarantined record) is still
recorded and reported: its `status` is `held`, `reconciled` is false, and `holds` says which
records and why. Only a date with no reconciliation at all is left out of the lifecycle.

Per-partition metadata in a single-run backfill: Dagster 1.13's `MaterializeResult` takes no
partition, and a run's result is copied onto every partition it covers (dagster issue #18123). So
the asset is declared `skippable` and yields one `AssetMaterialization(partition=…)` per
partition instead: each partition gets exactly one materialization carrying its own figures.
The cost: an asset downstream of this one in the same run would be skipped, since no output is
yielded — keep the report a leaf (nothing reads it; it is for people).
"""

# No `from __future__ import annotations`: Dagster reads config and resource annotations at runtime.

import os
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg

from retail_sync.defs.keys import RECONCILE_GROUP
from retail_sync.defs.metadata import markdown_table
from retail_sync.defs.partitions import date_shop_partitions, partitions_of, single_run
from retail_sync.defs.reconcile.assets import RECON_KEYS
from retail_sync.defs.resources import LakeResource, ShopsResource
from retail_sync.settings import Paths

if TYPE_CHECKING:
    from retail_sync.reconcile.lifecycle import LifecycleStore
    from retail_sync.reconcile.report import SettlementReport

# The lifecycle and report modules (SQLAlchemy, ~80 ms) are imported when the asset runs, not
# when the code location loads.

SETTLEMENT_REPORT_KEY = dg.AssetKey(["recon", "settlement_report"])
# The report follows the journals' verification (defs/journals/assets.py imports this module).
VERIFICATION_KEY = dg.AssetKey(["journals", "verification"])


class StateStoreResource(dg.ConfigurableResource):
    """The transactional state store (exception lifecycle): a SQLAlchemy URL."""

    url: str

    def store(self) -> "LifecycleStore":
        from retail_sync.reconcile.lifecycle import LifecycleStore

        return LifecycleStore(self.url)


class ReportsResource(dg.ConfigurableResource):
    """The folder settlement report pages are written to (`<home>/reports`)."""

    directory: str

    def path(self) -> Path:
        return Path(self.directory)


def reconcile_report_resources(paths: Paths) -> dict[str, dg.ConfigurableResource]:
    """The resources the report needs: `state` (RETAIL_SYNC_STATE_URL, else SQLite under the
    home; read at run time so a password never lands in the definitions) and `reports`."""
    from retail_sync.reconcile.lifecycle import STATE_URL_ENV, default_state_url
    from retail_sync.reconcile.report import reports_dir

    url: Any = (
        dg.EnvVar(STATE_URL_ENV) if os.environ.get(STATE_URL_ENV) else default_state_url(paths)
    )
    return {
        "state": StateStoreResource(url=url),
        "reports": ReportsResource(directory=str(reports_dir(paths))),
    }


class SettlementReportConfig(dg.Config):
    """`seen_on` (YYYY-MM-DD) fixes the lifecycle day; by default each shop's today."""

    seen_on: str | None = None


def _largest_open_table(rows: list[dict[str, Any]]) -> dg.TableMetadataValue:
    from retail_sync.reconcile.report import LARGEST_OPEN_COLUMNS

    return dg.MetadataValue.table(
        records=[dg.TableRecord(row) for row in rows],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn(name, type_, description=description)
                for name, type_, description in LARGEST_OPEN_COLUMNS
            ]
        ),
    )


@dg.multi_asset(
    name="recon__settlement_report",
    specs=[
        dg.AssetSpec(
            SETTLEMENT_REPORT_KEY,
            deps=[*RECON_KEYS, VERIFICATION_KEY],
            skippable=True,
            group_name=RECONCILE_GROUP,
            description="Settlement report per business date and shop: matched %, exceptions "
            "by kind, clearing roll-forward, payouts reconciled, the largest unresolved "
            "exceptions, and an HTML page under <home>/reports (docs/finance.md).",
            kinds={"duckdb", "html"},
        )
    ],
    partitions_def=date_shop_partitions,
    backfill_policy=single_run,
)
def settlement_report(
    context: dg.AssetExecutionContext,
    config: SettlementReportConfig,
    lake: LakeResource,
    shops: ShopsResource,
    state: StateStoreResource,
    reports: ReportsResource,
) -> Iterator[dg.AssetMaterialization]:
    from retail_sync.defs.journals.assets import partition_figures
    from retail_sync.journals.store import JournalStore
    from retail_sync.reconcile.lifecycle import record_run
    from retail_sync.reconcile.report import (
        largest_open_rows,
        load_settlement_report,
        read_recon_partition,
        report_figures,
        report_markdown,
        write_html_report,
    )

    the_lake = lake.lake()
    dates_by_shop: dict[str, list[date]] = defaultdict(list)
    for business_date, shop_id in partitions_of(context):
        dates_by_shop[shop_id].append(business_date)
    with state.store() as store:
        journals = JournalStore(store)
        for shop_id, dates in sorted(dates_by_shop.items()):
            if config.seen_on:
                seen_on = date.fromisoformat(config.seen_on)
            else:
                seen_on = datetime.now(shops.shop(shop_id).zone).date()
            partitions = [read_recon_partition(the_lake, shop_id, day) for day in dates]
            computed = [partition for partition in partitions if partition.computed]
            # A date without an exceptions partition was not reconciled: recording it would
            # resolve its open exceptions for nothing. A held date is recorded: only its held
            # records are in doubt, and its other exceptions need their lifecycle.
            summary = record_run(
                store,
                shop_id,
                [partition.business_date for partition in computed],
                [row for partition in computed for row in partition.exceptions],
                seen_on,
            )
            held = [partition for partition in computed if partition.holds]
            context.log.info(
                f"{shop_id}: {len(computed)} of {len(dates)} dates computed, "
                f"{len(held)} held, lifecycle on "
                f"{seen_on}: {summary.new} new, {summary.persisting} persisting, "
                f"{summary.reopened} reopened, {summary.resolved} resolved"
            )
            for partition in partitions:
                report = load_settlement_report(
                    the_lake, store, shop_id, partition.business_date, seen_on, partition=partition
                )
                page = write_html_report(reports.path(), report)
                yield dg.AssetMaterialization(
                    asset_key=SETTLEMENT_REPORT_KEY,
                    partition=dg.MultiPartitionKey(
                        {"date": partition.business_date.isoformat(), "shop": shop_id}
                    ),
                    metadata={
                        "summary": dg.MetadataValue.md(report_markdown(report)),
                        "largest_open_exceptions": _largest_open_table(largest_open_rows(report)),
                        **report_figures(report),
                        "reconciled": report.reconciled,
                        "period_reconciled": report.period_reconciled,
                        "status": report.status,
                        "holds": dg.MetadataValue.md(_holds_markdown(report)),
                        "seen_on": report.seen_on.isoformat(),
                        "report": dg.MetadataValue.path(str(page)),
                        **partition_figures(journals, shop_id, partition.business_date),
                    },
                )


def _holds_markdown(report: "SettlementReport") -> str:
    return markdown_table(
        [
            {
                "domain": hold.domain,
                "record": hold.shopify_ref,
                "reason": hold.reason,
                # A landing reason may quote the raw value; a pipe would split the cell.
                "detail": hold.detail.replace("|", "\\|"),
            }
            for hold in report.holds
        ]
    )


reconcile_report_assets = [settlement_report]
