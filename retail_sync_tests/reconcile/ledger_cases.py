"""Ledger cases: hand-written Shopify records and ERP journals, reconciled in memory.

No simulators and no lake: an in-memory DuckDB holds every raw table empty, the config and
matching views of one shop, and the staging models materialized from sql/staging (empty tables
with their real column types). A case inserts its Shopify records straight into the staging
tables, by column name and only into the columns each table has (so a case keeps working while
staging gains columns), books ERP journals as `staging.stg_erp__gl_lines` rows and materializes
the sql/recon models over them, as the engine does (docs/decisions/0002, "Test plan").

A correct journal comes from the rules: `correct_journals()` computes `recon.expected_entries`
with no ledger and writes one line per nonzero account of every expected entry. `Journal.move`
and `Journal.change` then misbook it.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from retail_sync.journals.proposals import EXTERNAL_ID_PREFIX, ProposedJournal, correction_token
from retail_sync.matching import MatchingRules
from retail_sync.quality.payouts import define_payout_consistency_view
from retail_sync.reconcile.engine import (
    create_empty_raw_tables,
    materialize_models,
    read_models,
)
from retail_sync.shops import ShopSettings
from retail_sync.warehouse.catalog import SQL_DIR, define_config_views, define_matching_view
from retail_sync.warehouse.lake import Lake

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The accounts `recon.expected_entries` has a column for (`a<number>`), in its column order.
CHART_ACCOUNTS = (
    "1000", "1205", "1210", "1220", "2200", "2300", "4000", "4050", "4090", "4100",
    "6100", "6150", "7900", "7950",
)  # fmt: skip
CLEARING_ACCOUNTS = ("1205", "1210", "1220")

SHOP = ShopSettings(
    id="ledger-cases",
    domain="ledger-cases.myshopify.com",
    currency="USD",
    timezone="America/New_York",
    erp_subsidiary_id="7",
    access_token_variable="SHOPIFY_ACCESS_TOKEN_LEDGER_CASES",
    matching=MatchingRules(),
)


def money(value: Decimal | int | str) -> Decimal:
    """`value` as an exact amount of cents."""
    return Decimal(value).quantize(CENT)


@dataclass(frozen=True)
class Record:
    """A Shopify record a case inserted: what ERP memos reference (`shopify:<entity>:<id>`)."""

    entity: str
    shopify_id: int
    order: Record | None = None  # a refund's order

    @property
    def ref(self) -> str:
        return f"shopify:{self.entity}:{self.shopify_id}"


@dataclass
class Journal:
    """One ERP journal entry: its header and its net debit per account (debit +, credit −)."""

    transaction_id: str
    trandate: date
    lines: dict[str, Decimal]
    external_id: str | None = None
    shopify_ref: str | None = None  # the memo token, `shopify:<entity>:<id>`
    entry_kind: str | None = None  # the expected entry it was written from, if any
    # The memo, when it says more than the Shopify reference (a correction's token and free
    # text): the reference is then read from it as staging does (`shopify:<entity>:<id>`).
    memo: str | None = None

    def move(self, source: str, target: str, amount: Decimal) -> Journal:
        """Book `amount` of `source`'s signed amount on `target` instead (a line is added when
        `target` has none, and dropped when `source` comes to 0.00). The journal stays balanced."""
        self.change(source, -amount)
        return self.change(target, amount)

    def change(self, account: str, amount: Decimal) -> Journal:
        """Add `amount` to `account`'s signed amount alone (the journal no longer balances)."""
        total = self.lines.get(account, ZERO) + money(amount)
        if total == 0:
            self.lines.pop(account, None)
        else:
            self.lines[account] = total
        return self

    def copy(self, transaction_id: str, **changes: Any) -> Journal:
        """Another journal with the same lines (and any header `changes`)."""
        return replace(self, transaction_id=transaction_id, lines=dict(self.lines), **changes)

    def gl_rows(self, shop: ShopSettings) -> list[dict[str, Any]]:
        entity: str | None = None
        shopify_id: int | None = None
        if self.memo is not None:
            found = re.search(r"shopify:([a-z_]+):([0-9]+)", self.memo)
            if found is not None:
                entity, shopify_id = found.group(1), int(found.group(2))
        elif self.shopify_ref is not None:
            match = re.fullmatch(r"shopify:([a-z_]+):([0-9]+)", self.shopify_ref)
            if match is not None:
                entity, shopify_id = match.group(1), int(match.group(2))
        memo = self.shopify_ref if self.memo is None else self.memo
        rows = []
        for number, (account, amount) in enumerate(sorted(self.lines.items()), start=1):
            rows.append(
                {
                    "shop_id": shop.id,
                    "business_date": self.trandate,
                    "transaction_id": self.transaction_id,
                    "line_id": str(number),
                    "external_id": self.external_id,
                    "document_number": f"JE{self.transaction_id}",
                    "trandate": self.trandate,
                    "period_id": self.trandate.strftime("%Y%m"),
                    "subsidiary_id": shop.erp_subsidiary_id,
                    "account_number": account,
                    "debit": max(amount, ZERO),
                    "credit": max(-amount, ZERO),
                    "signed_amount": amount,
                    "currency": shop.currency,
                    "shopify_entity": entity,
                    "shopify_id": shopify_id,
                    "memo": memo,
                    "header_memo": memo,
                }
            )
        return rows


@dataclass(frozen=True)
class ExpectedEntry:
    """A row of `recon.expected_entries`: what the rules say one entry should book."""

    entity: str
    shopify_id: int
    entry_kind: str
    business_date: date
    expected_date: date | None
    external_id: str
    shopify_ref: str
    amounts: dict[str, Decimal] = field(default_factory=dict)  # nonzero accounts only


class LedgerCase:
    """One shop's Shopify records and ERP journals in an in-memory reconciliation."""

    def __init__(self, shop: ShopSettings = SHOP, *, sql_dir: Path = SQL_DIR) -> None:
        self.shop = shop
        self.sql_dir = sql_dir
        self.connection = duckdb.connect()
        self._ids = itertools.count(100_001)
        self._columns: dict[str, list[str]] = {}
        self._pending: dict[str, list[Mapping[str, Any]]] = {}
        self.journals: list[Journal] = []
        self.reconcile_seconds: list[float] = []
        try:
            for schema in ("raw", "staging", "quality", "recon"):
                self.connection.execute(f"create schema {schema}")
            create_empty_raw_tables(self.connection, [])
            with tempfile.TemporaryDirectory() as lake_dir:
                define_payout_consistency_view(self.connection, Lake(Path(lake_dir)))
            define_config_views(self.connection, [shop])
            define_matching_view(self.connection, [shop])
            materialize_models(self.connection, "staging", read_models(sql_dir, "staging"))
        except BaseException:
            self.connection.close()
            raise
        self._recon_models = read_models(sql_dir, "recon")

    def __enter__(self) -> LedgerCase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    # Staging rows -------------------------------------------------------------------------

    def next_id(self) -> int:
        """A Shopify id no other record of the case has."""
        return next(self._ids)

    def columns(self, table: str) -> list[str]:
        """The columns of `staging.<table>` (DESCRIBE)."""
        if table not in self._columns:
            described = self.connection.execute(f'describe staging."{table}"').fetchall()
            self._columns[table] = [str(row[0]) for row in described]
        return self._columns[table]

    def insert(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert `rows` into `staging.<table>` by name: the keys the table has a column for are
        written, the other keys are left out and the table's other columns are null. Rows are
        written in one batch per table before anything reads the case (see `flush`)."""
        self._pending.setdefault(table, []).extend(rows)

    def flush(self) -> None:
        """Write the rows inserted so far."""
        pending, self._pending = self._pending, {}
        for table, rows in pending.items():
            self._write(table, rows)

    def _write(self, table: str, rows: list[Mapping[str, Any]]) -> None:
        if not rows:
            return
        names = [name for name in self.columns(table) if any(name in row for row in rows)]
        batch = pa.table({name: [row.get(name) for row in rows] for name in names})
        self.connection.register("case_rows", batch)
        try:
            self.connection.execute(
                f'insert into staging."{table}" by name select * from case_rows'
            )
        finally:
            self.connection.unregister("case_rows")

    def _instant(self, day: date) -> datetime:
        """Noon of `day` in the shop's timezone (well inside its business date)."""
        return datetime(day.year, day.month, day.day, 12, tzinfo=self.shop.zone).astimezone(UTC)

    # Shopify records ----------------------------------------------------------------------

    def order(
        self,
        day: date,
        *,
        goods: Decimal,
        shipping: Decimal = ZERO,
        tax: Decimal = ZERO,
        discount: Decimal = ZERO,
        gift_cards_sold: Decimal = ZERO,
        paid_shopify_payments: Decimal = ZERO,
        paid_other_gateways: Decimal = ZERO,
        paid_gift_card: Decimal = ZERO,
        presentment_currency: str | None = None,
        order_id: int | None = None,
    ) -> Record:
        """A paid order (`stg_shopify__orders` and its `stg_shopify__order_settlements` row).
        What it was paid with must add up to its total."""
        total = goods + gift_cards_sold - discount + shipping + tax
        paid = paid_shopify_payments + paid_other_gateways + paid_gift_card
        if paid != total:
            raise ValueError(f"the order totals {total} but {paid} is paid")
        order_id = self.next_id() if order_id is None else order_id
        presentment = presentment_currency or self.shop.currency
        instant = self._instant(day)
        common = {
            "shop_id": self.shop.id,
            "business_date": day,
            "order_id": order_id,
            "name": f"#{order_id}",
            "processed_at": instant,
            "test": False,
            "currency_code": self.shop.currency,
            "presentment_currency_code": presentment,
            "total_discounts_shop": money(discount),
            "total_shipping_price_shop": money(shipping),
            "total_tax_shop": money(tax),
            "total_price_shop": money(total),
            "total_price_presentment": money(total),
        }
        self.insert(
            "stg_shopify__orders",
            [
                common
                | {
                    "created_at": instant,
                    "updated_at": instant,
                    "display_financial_status": "PAID",
                    "taxes_included": False,
                    "subtotal_price_shop": money(goods + gift_cards_sold - discount),
                    "subtotal_price_presentment": money(goods + gift_cards_sold - discount),
                    "total_discounts_presentment": money(discount),
                    "total_shipping_price_presentment": money(shipping),
                    "total_tax_presentment": money(tax),
                    "current_total_price_shop": money(total),
                    "current_total_price_presentment": money(total),
                    "total_refunded_shop": ZERO,
                    "total_refunded_presentment": ZERO,
                    "landed_date": day.isoformat(),
                }
            ],
        )
        self.insert(
            "stg_shopify__order_settlements",
            [
                common
                | {
                    "goods_shop": money(goods),
                    "gift_cards_sold_shop": money(gift_cards_sold),
                    "paid_shopify_payments": money(paid_shopify_payments),
                    "paid_other_gateways": money(paid_other_gateways),
                    "paid_gift_card": money(paid_gift_card),
                    "payments": 1 + (paid_other_gateways != 0) + (paid_gift_card != 0),
                }
            ],
        )
        return Record("order", order_id)

    def refund(
        self,
        day: date,
        *,
        goods: Decimal,
        shipping: Decimal = ZERO,
        goods_tax: Decimal = ZERO,
        shipping_tax: Decimal = ZERO,
        tender: str = "shopify_payments",
        order_day: date | None = None,
        presentment_currency: str | None = None,
    ) -> Record:
        """A refund of goods, shipping and their tax through `tender` (`shopify_payments`,
        `other` or `gift_card`), with the order it refunds (paid the same way, for the same
        amounts, on `order_day`). Both the combined `shipping_and_tax_shop` and the split
        columns (`goods_tax_shop`, `shipping_shop`, `shipping_tax_shop`, `tax_shop`,
        `unallocated_shop`) are given: the table keeps the ones it has."""
        tax = goods_tax + shipping_tax
        total = goods + shipping + tax
        if tender not in ("shopify_payments", "other", "gift_card"):
            raise ValueError(f"unknown tender {tender!r}")
        order = self.order(
            order_day or day, goods=goods, shipping=shipping, tax=tax,
            paid_shopify_payments=total if tender == "shopify_payments" else ZERO,
            paid_other_gateways=total if tender == "other" else ZERO,
            paid_gift_card=total if tender == "gift_card" else ZERO,
            presentment_currency=presentment_currency,
        )  # fmt: skip
        refund_id = self.next_id()
        instant = self._instant(day)
        common = {
            "shop_id": self.shop.id,
            "business_date": day,
            "refund_id": refund_id,
            "order_id": order.shopify_id,
            "created_at": instant,
            "currency_code": self.shop.currency,
            "presentment_currency_code": presentment_currency or self.shop.currency,
            "total_refunded_shop": money(total),
        }
        self.insert(
            "stg_shopify__order_refunds",
            [common | {"note": None, "total_refunded_presentment": money(total)}],
        )
        self.insert(
            "stg_shopify__refund_settlements",
            [
                common
                | {
                    "goods_shop": money(goods),
                    "shipping_and_tax_shop": money(shipping + tax),
                    "goods_tax_shop": money(goods_tax),
                    "shipping_shop": money(shipping),
                    "shipping_tax_shop": money(shipping_tax),
                    "tax_shop": money(tax),
                    "unallocated_shop": ZERO,
                    "refunded_shopify_payments": money(
                        total if tender == "shopify_payments" else 0
                    ),
                    "refunded_other_gateways": money(total if tender == "other" else 0),
                    "refunded_gift_card": money(total if tender == "gift_card" else 0),
                }
            ],
        )
        return Record("refund", refund_id, order=order)

    def balance_transaction(
        self,
        day: date,
        *,
        type: str,
        amount: Decimal,
        fee: Decimal = ZERO,
        net: Decimal | None = None,
        payout_id: int | None = None,
        payout_status: str | None = None,
    ) -> Record:
        """A Shopify Payments balance transaction (`net` defaults to amount − fee)."""
        transaction_id = self.next_id()
        self.insert(
            "stg_shopify__balance_transactions",
            [
                {
                    "shop_id": self.shop.id,
                    "business_date": day,
                    "balance_transaction_id": transaction_id,
                    "type": type,
                    "test": False,
                    "transaction_date": self._instant(day),
                    "source_type": type,
                    "source_id": None,
                    "source_order_transaction_id": None,
                    "currency_code": self.shop.currency,
                    "amount": money(amount),
                    "fee": money(fee),
                    "net": money(amount - fee if net is None else net),
                    "adjustment_reason": None,
                    "associated_order_id": None,
                    "payout_id": payout_id,
                    "payout_status": payout_status,
                }
            ],
        )
        return Record("balance_transaction", transaction_id)

    def payout(
        self,
        day: date,
        *,
        net: Decimal,
        status: str = "PAID",
        failed_on: date | None = None,
        balance_net: Decimal | None = None,
    ) -> Record:
        """A payout issued on `day` (a FAILED one failed on `failed_on`), with the one CHARGE
        balance transaction it pays out (fee 0.00, so it books no fee; its net is `balance_net`,
        by default the payout's, so Shopify's own payout balance holds)."""
        payout_id = self.next_id()
        self.insert(
            "stg_shopify__payouts",
            [
                {
                    "shop_id": self.shop.id,
                    "business_date": day,
                    "payout_id": payout_id,
                    "status": status,
                    "issued_at": datetime(day.year, day.month, day.day, 10, tzinfo=UTC),
                    "failed_on": failed_on,
                    "transaction_type": "DEPOSIT",
                    "currency_code": self.shop.currency,
                    "net": money(net),
                    "charges_gross": money(net),
                    "charges_fee": ZERO,
                    "refunds_fee_gross": ZERO,
                    "refunds_fee": ZERO,
                    "adjustments_gross": ZERO,
                    "adjustments_fee": ZERO,
                    "reserved_funds_gross": ZERO,
                    "reserved_funds_fee": ZERO,
                }
            ],
        )
        charged = net if balance_net is None else balance_net
        self.balance_transaction(
            day - timedelta(days=1), type="CHARGE", amount=charged, payout_id=payout_id,
            payout_status=status,
        )  # fmt: skip
        return Record("payout", payout_id)

    # The ledger ---------------------------------------------------------------------------

    def expected_entries(self) -> list[ExpectedEntry]:
        """`recon.expected_entries` (with whatever it reads), computed over the records so far."""
        self.flush()
        self._materialize(self._closure("expected_entries"))
        rows = self.fetch(
            "select * from recon.expected_entries order by entity, shopify_id, entry_kind"
        )
        return [
            ExpectedEntry(
                entity=row["entity"],
                shopify_id=row["shopify_id"],
                entry_kind=row["entry_kind"],
                business_date=row["business_date"],
                expected_date=row["expected_date"],
                external_id=row["external_id"],
                shopify_ref=row["shopify_ref"],
                amounts={
                    account: row[f"a{account}"]
                    for account in CHART_ACCOUNTS
                    if row[f"a{account}"] != 0
                },
            )
            for row in rows
        ]

    def correct_journals(
        self, entries: Iterable[ExpectedEntry] | None = None
    ) -> dict[tuple[str, str], Journal]:
        """The ledger the rules ask for (for `entries`, by default every expected entry), keyed
        by (Shopify ref, entry kind): one journal per expected entry, one line per nonzero
        account, our external id and the memo token, dated `coalesce(expected_date,
        business_date)`."""
        journals: dict[tuple[str, str], Journal] = {}
        for entry in self.expected_entries() if entries is None else entries:
            journals[entry.shopify_ref, entry.entry_kind] = Journal(
                transaction_id=self.transaction_id(),
                trandate=entry.expected_date or entry.business_date,
                lines=dict(entry.amounts),
                external_id=entry.external_id,
                shopify_ref=entry.shopify_ref,
                entry_kind=entry.entry_kind,
            )
        return journals

    def transaction_id(self) -> str:
        """An ERP internal id no other journal of the case has."""
        return str(next(self._ids))

    def book(self, journals: Iterable[Journal]) -> None:
        """Make `journals` the whole ERP ledger (`staging.stg_erp__gl_lines`)."""
        self.flush()
        self.journals = list(journals)
        self.connection.execute("delete from staging.stg_erp__gl_lines")
        self._write(
            "stg_erp__gl_lines",
            [row for journal in self.journals for row in journal.gl_rows(self.shop)],
        )

    def reconcile(self) -> float:
        """Materialize every sql/recon model over the case (again); returns the seconds taken."""
        self.flush()
        started = time.perf_counter()
        self._materialize(self._recon_models)
        seconds = time.perf_counter() - started
        self.reconcile_seconds.append(seconds)
        return seconds

    def _closure(self, name: str) -> dict[str, str]:
        """`name` and the recon models it reads, transitively."""
        wanted: dict[str, str] = {}
        pending = [name]
        while pending:
            model = pending.pop()
            if model in wanted or model not in self._recon_models:
                continue
            wanted[model] = self._recon_models[model]
            pending.extend(re.findall(r"\brecon\.([a-z_0-9]+)", wanted[model]))
        return wanted

    def _materialize(self, models: dict[str, str]) -> None:
        materialize_models(self.connection, "recon", models)

    # Reading the outcome ------------------------------------------------------------------

    def fetch(self, sql: str, parameters: list[Any] | None = None) -> list[dict[str, Any]]:
        self.flush()
        cursor = self.connection.execute(sql, parameters or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def exceptions(self) -> list[dict[str, Any]]:
        return self.fetch("select * from recon.exceptions order by exception_id")

    def exception_lines(self) -> list[dict[str, Any]]:
        return self.fetch(
            "select * from recon.exception_lines order by exception_id, account, ledger_date"
        )

    def rollforward(self) -> list[dict[str, Any]]:
        return self.fetch(
            "select * from recon.clearing_rollforward order by business_date, account"
        )

    def corrected_exceptions(self) -> list[dict[str, Any]]:
        return self.fetch("select * from recon.corrected_exceptions order by exception_id")

    def check_payouts(
        self, inconsistent: Iterable[int] = (), unchecked: Iterable[int] = ()
    ) -> None:
        """Write the quality check's `quality.payout_consistency` row of every payout so far but
        those in `unchecked`: consistent, but for the ids in `inconsistent`. (With no rows, as a
        case starts, every payout is held as not checked.)"""
        self.flush()
        held = sorted(set(inconsistent))
        skipped = sorted(set(unchecked))
        self.connection.execute("delete from quality.payout_consistency")
        self.connection.execute(
            """
            insert into quality.payout_consistency by name
            select
                payouts.shop_id, payouts.business_date, payouts.payout_id, payouts.status,
                payouts.currency_code, payouts.net as payout_net,
                coalesce(sums.net, 0) as balance_net,
                payouts.net - coalesce(sums.net, 0) as variance,
                coalesce(sums.transactions, 0) as balance_transactions,
                not list_contains($held, payouts.payout_id) as consistent,
                timestamptz '2026-01-01 00:00:00+00' as checked_at
            from staging.stg_shopify__payouts as payouts
            left join (
                select shop_id, payout_id, sum(net) as net, count(*) as transactions
                from staging.stg_shopify__balance_transactions
                group by all
            ) as sums using (shop_id, payout_id)
            where not list_contains($skipped, payouts.payout_id)
            """,
            {"held": held, "skipped": skipped},
        )


def lines_by_exception(lines: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for line in lines:
        grouped.setdefault(line["exception_id"], []).append(line)
    return grouped


def posted_correction(
    case: LedgerCase, journal: ProposedJournal, *, trandate: date | None = None
) -> Journal:
    """A proposed corrective journal as the ERP holds it once posted: its external id, memo
    (the `retail-sync:exception:` token) and lines, dated `trandate` when its own date's period
    was closed (the memo keeps the ledger date it corrects)."""
    return Journal(
        transaction_id=case.transaction_id(),
        trandate=journal.trandate if trandate is None else trandate,
        lines={line.account: line.amount for line in journal.lines},
        external_id=journal.external_id,
        memo=journal.memo,
    )


def correction_of(
    case: LedgerCase,
    exception_id: str,
    ledger_date: date,
    lines: Mapping[str, Decimal],
    *,
    trandate: date | None = None,
    journal_id: str | None = None,
    memo: str = "",
) -> Journal:
    """A corrective journal of ours written directly (any lines, balanced or not): external id
    `retail-sync-<journal id>` (24 hex, by default from the exception and date) and the memo
    token naming `exception_id` and `ledger_date`, then `memo`."""
    ident = (
        journal_id
        or hashlib.sha256(
            f"{exception_id}|{ledger_date.isoformat()}|{sorted(lines.items())}".encode()
        ).hexdigest()[:24]
    )
    return Journal(
        transaction_id=case.transaction_id(),
        trandate=ledger_date if trandate is None else trandate,
        lines={account: money(amount) for account, amount in lines.items() if amount != 0},
        external_id=f"{EXTERNAL_ID_PREFIX}{ident}",
        memo=" ".join(part for part in (correction_token(exception_id, ledger_date), memo) if part),
    )
