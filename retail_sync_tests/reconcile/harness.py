"""A world through the real protocols into a lake, then the reconciliation over it.

Both simulators serve the world on loopback (port 0); every business date of every shop is read
the way the partitioned assets read it (the same extract and landing functions, one day window at
a time, orders paged), with the Shopify simulator's clock set to the end of that day so its
inventory answer is that day's, as a nightly run would have seen it. Staging and reconciliation
run as the SQL models in sql/ over that lake. Dagster is left out: at 30 days x 2 shops a single
in-process run costs minutes, and the assets themselves are covered by their own tests.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from retail_sync.sandbox.world import World
from retail_sync.shops import ShopSettings, load_shops, token_variable
from retail_sync.warehouse.lake import Lake

# kind, shop, shopify_ref, erp_ref, account, counter_account, variance, business date: the
# columns of `truth/discrepancies.csv` a reconciliation is scored on.
Row = tuple[str, str, str, str, str, str, str, str]
LineKey = tuple[str, str, str]  # account, delta (ERP − rules, net debit), ledger date
Residual = tuple[str, str, str, str]  # shop, business date, account, residual
LOOKBACK_DAYS = 3


@dataclass(frozen=True)
class Reconciled:
    """What the reconciliation of a world found, in the text formats of its truth files."""

    rows: set[Row]
    # Each exception's lines (`recon.exception_lines`), by its row.
    lines: dict[Row, frozenset[LineKey]]
    # Every shop-day and account of `recon.clearing_rollforward` whose residual is not 0.00.
    residuals: list[Residual]
    # Roll-forward rows whose bridge does not add up from the other outputs: the ledger movement
    # against the raw ledger lines, `explained` against Σ of the exceptions' lines on the account
    # and day, and difference = explained + timing + residual (empty when everything ties).
    bridge_breaks: list[tuple[Any, ...]]


def _shop_settings(world: World, path: Path) -> list[ShopSettings]:
    records = [
        {key: value for key, value in shop.items() if key not in ("access_token", "webhook_secret")}
        | {"access_token_variable": token_variable(shop["id"])}
        for shop in world.shops
    ]
    path.write_text(json.dumps(records), encoding="utf-8")
    return load_shops(path)


def _as_plus_shops(world_dir: Path, target: Path) -> World:
    """A copy of the world whose shops are on Shopify Plus (1,000 points/s): at the Basic plan's
    100 points/s, reading 60 shop-days page by page spends most of its time waiting for the
    bucket, which the throttling tests cover; here it would only slow the suite."""
    shutil.copytree(world_dir, target)
    shops_file = target / "shopify" / "shops.json"
    shops = json.loads(shops_file.read_text(encoding="utf-8"))
    for shop in shops:
        shop["plan"] = "PLUS"
    shops_file.write_text(json.dumps(shops, indent=2), encoding="utf-8")
    return World.open(target)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    before = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(before)


def land_world(world_dir: Path, work_dir: Path) -> tuple[Lake, list[ShopSettings]]:
    """Serve `world_dir` and land every business date of every shop into `work_dir/lake`."""
    from retail_sync.erp.landing import land_gl_lines, land_on_hand
    from retail_sync.erp.netsuite import netsuite_erp_from_env
    from retail_sync.sandbox.netsuite import SANDBOX_CREDENTIALS, start_netsuite_simulator
    from retail_sync.sandbox.shopify import start_shopify_simulator
    from retail_sync.shopify.client import ShopifyClient
    from retail_sync.shopify.extract import (
        extract_balance_transactions,
        extract_inventory_levels,
        extract_orders,
        extract_payouts,
    )

    work_dir.mkdir(parents=True, exist_ok=True)
    world = _as_plus_shops(world_dir, work_dir / "world")
    shops = _shop_settings(world, work_dir / "shops.json")
    lake = Lake(work_dir / "lake")
    first = date.fromisoformat(world.manifest["start"])
    # A few days past the world, as the nightly lookback would: a payout issued after the last
    # day (its batch closes at midnight UTC, it is issued a day or two later) is still read.
    last = first + timedelta(days=int(world.manifest["days"]) - 1)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1 + LOOKBACK_DAYS)]
    moment: list[datetime | None] = [None]
    shopify = start_shopify_simulator(world, world_now=lambda: moment[0])
    netsuite = start_netsuite_simulator(world, state_dir=work_dir / "netsuite-state")
    tokens = {shop["id"]: shop["access_token"] for shop in world.shops}
    try:
        with _environment(SANDBOX_CREDENTIALS.environment(netsuite.url)):
            erp = netsuite_erp_from_env()
            for shop in shops:
                client = ShopifyClient(shopify.url, tokens[shop.id])
                for day in days:
                    start, end = shop.day_window(day)

                    def directory(table: str, shop_id: str = shop.id, day: date = day) -> Path:
                        return lake.partition_dir(
                            "raw", "shopify", table, shop=shop_id, date=day.isoformat()
                        )

                    window: dict[str, Any] = {"window_start": start, "window_end": end}
                    extract_orders(
                        client, shop_id=shop.id, partition_dir_for=directory, use_bulk=False,
                        **window,
                    )  # fmt: skip
                    extract_payouts(client, shop_id=shop.id, partition_dir_for=directory, **window)
                    extract_balance_transactions(
                        client, shop_id=shop.id, partition_dir_for=directory, **window
                    )
                    land_gl_lines(
                        erp, start=day, end=day, subsidiary_id=shop.erp_subsidiary_id,
                        directory=lake.partition_dir(
                            "raw", "erp", "gl_lines", shop=shop.id, date=day.isoformat()
                        ),
                    )  # fmt: skip
                    if day > last:
                        continue  # the world has no inventory past its last day
                    moment[0] = end - timedelta(microseconds=1)
                    extract_inventory_levels(
                        client, shop_id=shop.id, as_of=end, partition_dir_for=directory
                    )
                    land_on_hand(
                        erp, as_of=day, subsidiary_id=shop.erp_subsidiary_id,
                        directory=lake.partition_dir(
                            "raw", "erp", "on_hand", shop=shop.id, date=day.isoformat()
                        ),
                    )  # fmt: skip
    finally:
        shopify.stop()
        netsuite.stop()
    return lake, shops


def exception_rows(lake: Lake, shops: list[ShopSettings]) -> set[Row]:
    """The reconciliation's exceptions as truth-file rows (kind, shop, refs, account, counter
    account, variance, business date), in the same text formats as `truth/discrepancies.csv`."""
    return read_reconciliation(lake, shops).rows


def read_reconciliation(lake: Lake, shops: list[ShopSettings]) -> Reconciled:
    """The exceptions, their lines and the clearing residuals of the lake's reconciliation."""
    from retail_sync.reconcile.engine import reconciliation_connection

    with reconciliation_connection(lake, shops, staging_from_lake=False) as connection:
        records = connection.execute(
            "select exception_id, kind, shop_id, shopify_ref, erp_ref, account, counter_account, "
            "variance, domain, business_date from recon.exceptions"
        ).fetchall()
        line_records = connection.execute(
            "select exception_id, account, delta, ledger_date from recon.exception_lines"
        ).fetchall()
        residual_records = connection.execute(
            "select shop_id, business_date, account, residual from recon.clearing_rollforward "
            "where residual <> 0 order by all"
        ).fetchall()
        bridge_breaks = connection.execute(_BRIDGE_BREAKS).fetchall()
    rows = {record[0]: exception_row(*record[1:]) for record in records}
    lines: dict[Row, set[LineKey]] = defaultdict(set)
    for row in rows.values():
        lines[row] = set()
    for exception_id, account, delta, ledger_date in line_records:
        assert exception_id in rows, f"a line of no exception: {exception_id}"
        lines[rows[exception_id]].add((account, f"{Decimal(delta):.2f}", ledger_date.isoformat()))
    residuals = [
        (shop_id, day.isoformat(), account, f"{Decimal(residual):.2f}")
        for shop_id, day, account, residual in residual_records
    ]
    return Reconciled(
        set(rows.values()),
        {row: frozenset(keys) for row, keys in lines.items()},
        residuals,
        bridge_breaks,
    )


# The bridge recomputed from the raw ledger lines and the published exception lines.
_BRIDGE_BREAKS = """
with ledger as (
    select shop as shop_id, trandate as business_date, account_number as account,
        sum(coalesce(debit, 0) - coalesce(credit, 0)) as movement
    from raw.erp__gl_lines
    where account_number in ('1205', '1210', '1220')
    group by all
),
explained as (
    select lines.shop_id, lines.ledger_date as business_date, lines.account,
        sum(lines.delta) as explained
    from recon.exception_lines as lines
    join recon.exceptions as exceptions using (exception_id)
    where exceptions.kind <> 'clearing_unexplained'
        and lines.account in ('1205', '1210', '1220')
    group by all
)
select rollforward.shop_id, rollforward.business_date, rollforward.account,
    rollforward.ledger_movement, ledger.movement, rollforward.explained, explained.explained,
    rollforward.difference, rollforward.timing, rollforward.residual
from recon.clearing_rollforward as rollforward
full join ledger using (shop_id, business_date, account)
full join explained using (shop_id, business_date, account)
where coalesce(rollforward.ledger_movement, 0) <> coalesce(ledger.movement, 0)
    or coalesce(rollforward.explained, 0) <> coalesce(explained.explained, 0)
    or rollforward.difference <> rollforward.explained + rollforward.timing + rollforward.residual
order by all
"""


def exception_row(
    kind: str,
    shop_id: str,
    shopify_ref: str | None,
    erp_ref: str | None,
    account: str | None,
    counter_account: str | None,
    variance: Any,
    domain: str,
    business_date: date,
) -> Row:
    amount = Decimal(variance)
    text = str(int(amount)) if domain == "inventory" else f"{amount:.2f}"
    return (
        kind,
        shop_id,
        shopify_ref or "",
        erp_ref or "",
        account or "",
        counter_account or "",
        text,
        business_date.isoformat(),
    )


def reconcile_world(world_dir: Path, work_dir: Path) -> Reconciled:
    """Land `world_dir` through both simulators and return what the reconciliation found."""
    lake, shops = land_world(world_dir, work_dir)
    return read_reconciliation(lake, shops)
