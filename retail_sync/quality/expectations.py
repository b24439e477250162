"""What each lake table must satisfy: one suite of expectations per raw and staging asset.

An expectation is plain data. Structural kinds (`not_null`, `decimal`, `in_set`, `between`) are
evaluated per row, by Great Expectations on a bounded partition or by DuckDB on a large one;
`unique` and `relational` (sums, cross-table) are always DuckDB aggregates over the partition's
Parquet. `runner.py` evaluates them; `defs/quality` turns each into a Dagster asset check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from retail_sync.quality.currencies import ISO_4217_CODES

Kind = Literal["not_null", "unique", "decimal", "in_set", "between", "relational"]
Scope = Literal["partition", "shop", "snapshot"]

# The earliest plausible Shopify timestamp; the latest is the check time plus `FUTURE_SLACK`.
EARLIEST_TIMESTAMP = "2006-01-01T00:00:00+00:00"
FUTURE_SLACK_DAYS = 1
# An amount that parses as exact money: up to 16 integer digits and at most 2 decimals.
DECIMAL_PATTERN = r"^-?[0-9]{1,16}(?:\.[0-9]{1,2})?$"

# Shopify Admin GraphQL enums (2025-01), as the raw tables hold them.
TRANSACTION_KINDS = (
    "AUTHORIZATION", "CAPTURE", "CHANGE", "EMV_AUTHORIZATION", "REFUND", "SALE",
    "SUGGESTED_REFUND", "VOID",
)  # fmt: skip
TRANSACTION_STATUSES = ("AWAITING_RESPONSE", "ERROR", "FAILURE", "PENDING", "SUCCESS", "UNKNOWN")
FINANCIAL_STATUSES = (
    "AUTHORIZED", "EXPIRED", "PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "PENDING",
    "REFUNDED", "VOIDED",
)  # fmt: skip
PAYOUT_STATUSES = ("CANCELED", "FAILED", "IN_TRANSIT", "PAID", "SCHEDULED")
PAYOUT_TRANSACTION_TYPES = ("DEPOSIT", "WITHDRAWAL")
BALANCE_TRANSACTION_TYPES = (
    "ADJUSTMENT", "ADJUSTMENT_REVERSAL", "ADVANCE", "ADVANCE_FUNDING", "APPLICATION_FEE_REFUND",
    "CHARGE", "CHARGEBACK_FEE", "CHARGEBACK_FEE_REFUND", "CHARGE_ADJUSTMENT", "DISPUTE",
    "DISPUTE_REVERSAL", "DISPUTE_WITHDRAWAL", "PAYOUT", "PAYOUT_CANCELLATION", "PAYOUT_FAILURE",
    "REFUND", "REFUND_ADJUSTMENT", "REFUND_FAILURE", "RESERVED_FUNDS", "RESERVED_FUNDS_REVERSAL",
    "RESERVED_FUNDS_WITHDRAWAL", "RISK_REVERSAL", "RISK_WITHDRAWAL", "TRANSFER", "TRANSFER_CANCEL",
    "TRANSFER_FAILURE", "TRANSFER_REFUND",
)  # fmt: skip
BALANCE_PAYOUT_STATUSES = (
    "ACTION_REQUIRED", "CANCELED", "FAILED", "IN_TRANSIT", "PAID", "PENDING", "SCHEDULED",
)  # fmt: skip
RESTOCK_TYPES = ("CANCEL", "LEGACY_RESTOCK", "NO_RESTOCK", "RETURN")
INVENTORY_QUANTITY_NAMES = (
    "available", "committed", "damaged", "incoming", "on_hand", "quality_control", "reserved",
    "safety_stock",
)  # fmt: skip
PERIOD_STATUSES = ("open", "locked", "closed")
CURRENCIES = tuple(sorted(ISO_4217_CODES))


@dataclass(frozen=True)
class Input:
    """Another lake table a relational expectation reads, as DuckDB view `alias`.

    `partition`: the same shop and date; `shop`: every date of the same shop; `snapshot`: an
    unpartitioned table (chart of accounts, periods).
    """

    alias: str
    zone: str
    source: str
    entity: str
    scope: Scope = "partition"


@dataclass(frozen=True)
class Expectation:
    """One rule over a table partition (view `t`); `blocking` ones stop money from moving.

    A blocking failure stops everything downstream of the partition, unless the rule `holds` a
    kind of record: then its failure holds only the records it names (the reconciliation marks
    them held and their shop-day not reconciled, no journal is proposed for them) and the run
    goes on. Such a check stays blocking in Dagster's sense, so every downstream step still waits
    for it and reads what it held; it reports its failure as WARN, which stops nothing.
    """

    name: str
    kind: Kind
    description: str
    columns: tuple[str, ...] = ()
    blocking: bool = True
    allow_null: bool = False
    value_set: tuple[str, ...] = ()
    min_value: str | None = None
    max_value: str | None = None
    """`None` with kind `between` means: the check time plus `FUTURE_SLACK_DAYS`."""
    sql: str = ""
    """Relational: a query over `t` and `inputs` giving offending rows as (`id`, `detail`)."""
    inputs: tuple[Input, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    """Further parameters shown to a person (tolerances), as (name, value)."""
    holds: str | None = None
    """The record a failure holds (e.g. `payout`) instead of stopping the run; None: it blocks."""

    @property
    def stops_the_run(self) -> bool:
        """Whether a failure stops everything downstream (ERROR), not just the records it names."""
        return self.blocking and self.holds is None

    def parameters(self) -> dict[str, object]:
        """The parameters a person needs to judge a failure (shown in check metadata)."""
        parameters: dict[str, object] = {"kind": self.kind}
        if self.columns:
            parameters["columns"] = list(self.columns)
        if self.kind == "in_set":
            parameters["value_set"] = (
                "ISO 4217" if self.value_set == CURRENCIES else list(self.value_set)
            )
        if self.kind == "decimal":
            parameters["pattern"] = DECIMAL_PATTERN
        if self.kind == "between":
            parameters["min_value"] = self.min_value
            parameters["max_value"] = self.max_value or f"check time + {FUTURE_SLACK_DAYS} day"
        if self.kind in ("not_null", "decimal", "in_set", "between"):
            parameters["nulls_allowed"] = self.allow_null
        if self.holds:
            parameters["on_failure"] = f"holds each {self.holds} it names; blocks nothing else"
        parameters.update(dict(self.extra))
        return parameters


@dataclass(frozen=True)
class Suite:
    """The expectations of one lake table, whose rows are named by `id_columns`."""

    zone: str
    source: str
    entity: str
    id_columns: tuple[str, ...]
    expectations: tuple[Expectation, ...]
    partitioned: bool = True
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def asset_path(self) -> tuple[str, str, str]:
        return (self.zone, self.source, self.entity)


# --- builders -------------------------------------------------------------------------------


def present(column: str, *, blocking: bool = True) -> Expectation:
    return Expectation(
        f"{column}_present", "not_null", f"Every row has a {column}.", (column,), blocking
    )


def unique(*columns: str, blocking: bool = True) -> Expectation:
    name = "_".join(columns)
    return Expectation(
        f"{name}_unique",
        "unique",
        f"No two rows of the partition share {', '.join(columns)}.",
        columns,
        blocking,
    )


def decimal(column: str, *, allow_null: bool = False, blocking: bool = True) -> Expectation:
    return Expectation(
        f"{column}_is_decimal",
        "decimal",
        f"{column} is present and parses as an exact decimal with at most 2 places.",
        (column,),
        blocking,
        allow_null=allow_null,
    )


def currency(column: str, *, blocking: bool = True) -> Expectation:
    return Expectation(
        f"{column}_is_iso_4217",
        "in_set",
        f"{column} is a valid ISO 4217 currency code.",
        (column,),
        blocking,
        value_set=CURRENCIES,
    )


def known(
    column: str, values: tuple[str, ...], *, allow_null: bool = False, blocking: bool = True
) -> Expectation:
    return Expectation(
        f"{column}_known",
        "in_set",
        f"{column} is one of the known values.",
        (column,),
        blocking,
        allow_null=allow_null,
        value_set=values,
    )


def in_range(
    column: str,
    *,
    allow_null: bool = False,
    blocking: bool = True,
    min_value: str = EARLIEST_TIMESTAMP,
) -> Expectation:
    what = "when present, " if allow_null else "present and "
    return Expectation(
        f"{column}_in_range",
        "between",
        f"{column} is {what}between {min_value[:10]} and tomorrow.",
        (column,),
        blocking,
        allow_null=allow_null,
        min_value=min_value,
    )


def relational(
    name: str,
    description: str,
    sql: str,
    inputs: tuple[Input, ...] = (),
    *,
    blocking: bool = True,
    extra: tuple[tuple[str, str], ...] = (),
    holds: str | None = None,
) -> Expectation:
    return Expectation(
        name,
        "relational",
        description,
        blocking=blocking,
        sql=sql,
        inputs=inputs,
        extra=extra,
        holds=holds,
    )


def quarantine_empty(table: str) -> Expectation:
    """Records of `table` that Shopify served malformed and landing set aside (advisory).

    Advisory: the malformed record is excluded and counted; the reconciliation holds its
    shop-day (not reconciled, `recon/holds`), and its money effect is caught downstream (a
    missing balance transaction breaks its payout's consistency, which holds that payout).
    """
    return relational(
        "no_quarantined_records",
        f"No {table} record of this partition was quarantined as malformed.",
        "select coalesce(cast(record_id as varchar), record_gid) as id, reason as detail "
        f"from quarantine where source_table = '{table}'",
        (Input("quarantine", "raw", "shopify", "quarantine"),),
        blocking=False,
    )


LINE_ITEMS_TOLERANCE = "0.01"
LINE_ITEMS_SUM_TO_SUBTOTAL = relational(
    "line_items_sum_to_subtotal",
    "Per order, Σ line items (original total − line discount) equals the order subtotal, "
    "within 0.01 per line.",
    f"""
    with lines as (
        select order_id, count(*) as line_count,
               sum(original_total_shop - total_discount_shop) as line_total
        from line_items group by order_id
    )
    select cast(t.order_id as varchar) as id,
           'subtotal ' || t.subtotal_price_shop || ' vs lines ' || lines.line_total
           || ' (difference ' || (t.subtotal_price_shop - lines.line_total) || ')' as detail
    from t join lines using (order_id)
    where abs(t.subtotal_price_shop - lines.line_total)
          > {LINE_ITEMS_TOLERANCE} * lines.line_count
    """,
    (Input("line_items", "raw", "shopify", "order_line_items"),),
    extra=(("tolerance_per_line", LINE_ITEMS_TOLERANCE),),
)


def refunds_within_order(orders: Input) -> Expectation:
    return relational(
        "refunds_within_order",
        "Per order, Σ refunds never exceeds the order's total price.",
        """
        with refunded as (
            select order_id, sum(total_refunded_shop) as refunded from t group by order_id
        )
        select cast(refunded.order_id as varchar) as id,
               'refunded ' || refunded.refunded || ' > order total ' || orders.total_price_shop
               as detail
        from refunded join orders using (order_id)
        where refunded.refunded > orders.total_price_shop
        """,
        (orders,),
    )


BALANCE_NET_IS_AMOUNT_LESS_FEE = relational(
    "net_is_amount_less_fee",
    "Every balance transaction's net equals its amount less its fee.",
    "select cast(balance_transaction_id as varchar) as id, "
    "'amount ' || amount || ' − fee ' || fee || ' ≠ net ' || net as detail "
    "from t where amount - fee <> net",
)

DEBITS_EQUAL_CREDITS = relational(
    "debits_equal_credits",
    "Per ERP transaction, Σ debits = Σ credits to the cent.",
    """
    select transaction_id as id,
           'debits ' || sum(coalesce(debit, 0)) || ' ≠ credits ' || sum(coalesce(credit, 0))
           as detail
    from t group by transaction_id
    having sum(coalesce(debit, 0)) <> sum(coalesce(credit, 0))
    """,
)
ACCOUNTS_EXIST = relational(
    "accounts_exist_in_chart",
    "Every GL line's account is in the chart of accounts.",
    "select t.transaction_id || '/' || t.line_id as id, "
    "'account ' || coalesce(t.account_number, 'null') as detail "
    "from t anti join accounts using (account_number)",
    (Input("accounts", "raw", "erp", "accounts", "snapshot"),),
)
PERIODS_EXIST = relational(
    "periods_exist",
    "Every GL line's period exists, and its date falls inside it.",
    """
    select t.transaction_id || '/' || t.line_id as id,
           'period ' || coalesce(t.period_id, 'null')
           || case when periods.period_id is null then ' not found'
                   else ' is ' || periods.start_date || '..' || periods.end_date || ', line dated '
                        || t.trandate end as detail
    from t left join periods using (period_id)
    where periods.period_id is null
       or t.trandate not between periods.start_date and periods.end_date
    """,
    (Input("periods", "raw", "erp", "periods", "snapshot"),),
)
PERIOD_DATES_ORDERED = relational(
    "start_before_end",
    "Every period starts on or before it ends.",
    "select period_id as id, start_date || ' > ' || end_date as detail from t "
    "where start_date > end_date",
)

PAYOUT_CONSISTENCY_NAME = "balance_transactions_sum_to_payout"
# Transactions that move the balance to the bank are the payout itself, not part of its sum.
PAYOUT_MOVEMENT_TYPES = ("PAYOUT", "PAYOUT_FAILURE", "PAYOUT_CANCELLATION")
PAYOUT_BALANCES_SQL = f"""
    with balances as (
        select payout_id, sum(net) as balance_net, count(*) as balance_transactions
        from balance
        where type not in ({", ".join(repr(kind) for kind in PAYOUT_MOVEMENT_TYPES)})
        group by payout_id
    )
    select t.shop_id, t.business_date, t.payout_id, t.status, t.currency_code,
           t.net as payout_net,
           cast(coalesce(balances.balance_net, 0) as decimal(18, 2)) as balance_net,
           cast(t.net - coalesce(balances.balance_net, 0) as decimal(18, 2)) as variance,
           coalesce(balances.balance_transactions, 0) as balance_transactions
    from t left join balances using (payout_id)
"""
# Per record, not per partition: one payout whose balance transactions do not add up (one was
# quarantined, say) says nothing about the shop's other payouts, orders or days. Its failure
# holds that payout (no journal, not reconciled, listed in the report) and stops nothing else.
PAYOUT_CONSISTENCY = relational(
    PAYOUT_CONSISTENCY_NAME,
    "Shopify's own consistency: per payout, Σ balance-transaction net = payout net. A failure "
    "holds that payout: no journal for it, its shop-day not reconciled "
    "(see quality/shopify/payout_consistency and recon/holds).",
    f"""
    select cast(payout_id as varchar) as id,
           'payout net ' || payout_net || ', Σ balance net ' || balance_net || ' over '
           || balance_transactions || ' transactions, variance ' || variance as detail
    from ({PAYOUT_BALANCES_SQL}) where variance <> 0
    """,
    (Input("balance", "staging", "shopify", "balance_transactions", "shop"),),
    extra=(("excluded_types", ", ".join(PAYOUT_MOVEMENT_TYPES)), ("tolerance", "0.00")),
    holds="payout",
)

# --- suites ---------------------------------------------------------------------------------

_ORDER_MONEY = (
    "subtotal_price_shop", "total_price_shop", "total_tax_shop", "total_discounts_shop",
    "total_shipping_price_shop", "current_total_price_shop", "total_refunded_shop",
)  # fmt: skip


def _orders(zone: str) -> tuple[Expectation, ...]:
    return (
        present("order_id"),
        unique("order_id"),
        in_range("created_at"),
        in_range("processed_at"),
        in_range("updated_at"),
        in_range("cancelled_at", allow_null=True, blocking=False),
        currency("currency_code"),
        currency("presentment_currency_code"),
        known("display_financial_status", FINANCIAL_STATUSES),
        *(decimal(column) for column in _ORDER_MONEY),
        *((LINE_ITEMS_SUM_TO_SUBTOTAL, quarantine_empty("orders")) if zone == "raw" else ()),
    )


def _line_items(zone: str) -> tuple[Expectation, ...]:
    return (
        present("line_item_id"),
        unique("line_item_id"),
        present("order_id"),
        present("quantity"),
        currency("currency_code"),
        *(
            decimal(column)
            for column in (
                "unit_price_shop",
                "original_total_shop",
                "total_discount_shop",
                "total_tax_shop",
            )
        ),
        present("sku", blocking=False),
        *((quarantine_empty("order_line_items"),) if zone == "raw" else ()),
    )


def _refunds(zone: str) -> tuple[Expectation, ...]:
    orders_scope: Scope = "partition" if zone == "raw" else "shop"
    return (
        present("refund_id"),
        unique("refund_id"),
        present("order_id"),
        in_range("created_at"),
        currency("currency_code"),
        decimal("total_refunded_shop"),
        refunds_within_order(Input("orders", zone, "shopify", "orders", orders_scope)),
        *((quarantine_empty("order_refunds"),) if zone == "raw" else ()),
    )


def _refund_lines(zone: str) -> tuple[Expectation, ...]:
    return (
        present("refund_line_item_id"),
        unique("refund_line_item_id"),
        present("refund_id"),
        currency("currency_code"),
        decimal("subtotal_shop"),
        decimal("total_tax_shop"),
        known("restock_type", RESTOCK_TYPES, allow_null=True, blocking=False),
        *((quarantine_empty("order_refund_line_items"),) if zone == "raw" else ()),
    )


def _refund_shipping_lines(zone: str) -> tuple[Expectation, ...]:
    return (
        present("refund_shipping_line_id"),
        unique("refund_shipping_line_id"),
        present("refund_id"),
        currency("currency_code"),
        decimal("subtotal_shop"),
        decimal("tax_shop"),
        *((quarantine_empty("order_refund_shipping_lines"),) if zone == "raw" else ()),
    )


def _transactions(zone: str) -> tuple[Expectation, ...]:
    return (
        present("transaction_id"),
        unique("transaction_id"),
        present("order_id"),
        known("kind", TRANSACTION_KINDS),
        known("status", TRANSACTION_STATUSES),
        currency("currency_code"),
        decimal("amount_shop"),
        in_range("created_at"),
        in_range("processed_at", allow_null=zone == "raw"),
        *((quarantine_empty("order_transactions"),) if zone == "raw" else ()),
    )


_PAYOUT_SUMMARY = (
    "charges_gross", "charges_fee", "refunds_fee_gross", "refunds_fee", "adjustments_gross",
    "adjustments_fee", "reserved_funds_gross", "reserved_funds_fee",
)  # fmt: skip


def _payouts(zone: str) -> tuple[Expectation, ...]:
    return (
        present("payout_id"),
        unique("payout_id"),
        known("status", PAYOUT_STATUSES),
        known("transaction_type", PAYOUT_TRANSACTION_TYPES),
        in_range("issued_at"),
        currency("currency_code"),
        decimal("net"),
        *(decimal(column, blocking=False) for column in _PAYOUT_SUMMARY),
        *((PAYOUT_CONSISTENCY,) if zone == "staging" else (quarantine_empty("payouts"),)),
    )


def _balance_transactions(zone: str) -> tuple[Expectation, ...]:
    return (
        present("balance_transaction_id"),
        unique("balance_transaction_id"),
        known("type", BALANCE_TRANSACTION_TYPES),
        known("payout_status", BALANCE_PAYOUT_STATUSES, allow_null=True),
        in_range("transaction_date"),
        currency("currency_code"),
        decimal("amount"),
        decimal("fee"),
        decimal("net"),
        BALANCE_NET_IS_AMOUNT_LESS_FEE,
        *((quarantine_empty("balance_transactions"),) if zone == "raw" else ()),
    )


def _inventory_levels(zone: str) -> tuple[Expectation, ...]:
    if zone == "raw":
        return (
            present("location_id"),
            present("inventory_item_id"),
            unique("location_id", "inventory_item_id", "quantity_name"),
            known("quantity_name", INVENTORY_QUANTITY_NAMES),
            present("quantity"),
            in_range("level_updated_at", allow_null=True, blocking=False),
            quarantine_empty("inventory_levels"),
        )
    return (
        present("location_id"),
        present("inventory_item_id"),
        unique("location_id", "inventory_item_id"),
        present("on_hand", blocking=False),
    )


def _gl_lines(zone: str) -> tuple[Expectation, ...]:
    return (
        present("transaction_id"),
        present("line_id"),
        unique("transaction_id", "line_id"),
        present("account_number"),
        currency("currency"),
        decimal("debit", allow_null=zone == "raw"),
        decimal("credit", allow_null=zone == "raw"),
        in_range("trandate", min_value="2000-01-01T00:00:00+00:00"),
        DEBITS_EQUAL_CREDITS,
        ACCOUNTS_EXIST,
        PERIODS_EXIST,
    )


def _on_hand(zone: str) -> tuple[Expectation, ...]:
    return (
        present("item_id"),
        present("location_id"),
        unique("item_id", "location_id"),
        present("quantity_on_hand", blocking=False),
        present("sku", blocking=False),
    )


_ORDER_TABLES = {
    "orders": (_orders, ("order_id",)),
    "order_line_items": (_line_items, ("line_item_id",)),
    "order_refunds": (_refunds, ("refund_id",)),
    "order_refund_line_items": (_refund_lines, ("refund_line_item_id",)),
    "order_refund_shipping_lines": (_refund_shipping_lines, ("refund_shipping_line_id",)),
    "order_transactions": (_transactions, ("transaction_id",)),
    "payouts": (_payouts, ("payout_id",)),
    "balance_transactions": (_balance_transactions, ("balance_transaction_id",)),
    "inventory_levels": (_inventory_levels, ("location_id", "inventory_item_id")),
}
_ERP_TABLES = {
    "gl_lines": (_gl_lines, ("transaction_id", "line_id")),
    "on_hand": (_on_hand, ("item_id", "location_id")),
}


def _suites() -> dict[tuple[str, str, str], Suite]:
    suites: list[Suite] = []
    for zone in ("raw", "staging"):
        for entity, (build, ids) in _ORDER_TABLES.items():
            suites.append(Suite(zone, "shopify", entity, ids, build(zone)))
        for entity, (build, ids) in _ERP_TABLES.items():
            suites.append(Suite(zone, "erp", entity, ids, build(zone)))
    suites.append(
        Suite(
            "raw",
            "erp",
            "accounts",
            ("account_number",),
            (present("account_number"), unique("account_number"), present("type")),
            partitioned=False,
        )
    )
    suites.append(
        Suite(
            "raw",
            "erp",
            "periods",
            ("period_id",),
            (
                present("period_id"),
                unique("period_id"),
                present("start_date"),
                present("end_date"),
                known("status", PERIOD_STATUSES),
                PERIOD_DATES_ORDERED,
            ),
            partitioned=False,
        )
    )
    return {suite.asset_path: suite for suite in suites}


SUITES: dict[tuple[str, str, str], Suite] = _suites()
