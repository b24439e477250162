"""Scale data for benchmarks: lake-shaped Parquet written directly, vectorised, in chunks.

Sizes: `s` 10k orders, `m` 1M, `l` 10M (~40M GL lines). The data follows the posting rules of
ACCOUNTING.md (an order's entry debits 1205 and 4050, credits 4000, 4100 and 2200), with the world
generator's discrepancy kinds injected at a rate, and their truth written beside the data.

Run: python -m benchmarks.scale --size m --out benchmarks/.data/m
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SIZES = {"s": 10_000, "m": 1_000_000, "l": 10_000_000}
CHUNK_ORDERS = 500_000
SHOPS = ("north-outfitters", "maple-goods")
START = date(2026, 10, 1)
DAYS = 30

# Account numbers of the default chart (ACCOUNTING.md).
CLEARING, DISCOUNTS, SALES, SHIPPING, TAX = 1205, 4050, 4000, 4100, 2200
REFUNDS, FEES, BANK = 4090, 6100, 1000

# Kinds shared with the world generator (docs/sandbox.md, "Ground truth"), per table they touch.
ORDER_KINDS = (
    "order_missing_in_erp",
    "order_duplicate_posting",
    "order_tax_mismatch",
    "order_shipping_mismatch",
    "order_discount_mismatch",
    "order_rounding_difference",
    "order_fx_difference",
    "order_wrong_period",
)
REFUND_KINDS = ("refund_missing_in_erp", "refund_amount_mismatch")
FEE_KINDS = ("fee_missing_in_erp", "fee_duplicate_posting")
PAYOUT_KINDS = ("payout_deposit_missing", "payout_deposit_amount_mismatch")

# Disjoint ranges of ERP transaction ids per kind of entry, so chunks never collide.
ORDER_ENTRY_IDS = 1_000_000_000
REFUND_ENTRY_IDS = 2_000_000_000
FEE_ENTRY_IDS = 3_000_000_000
DEPOSIT_ENTRY_IDS = 4_000_000_000
ORPHAN_ENTRY_IDS = 5_000_000_000

MONEY = pa.decimal128(18, 2)
ORDERS_SCHEMA = pa.schema(
    [
        ("shop_id", pa.dictionary(pa.int8(), pa.string())),
        ("order_id", pa.int64()),
        ("business_date", pa.date32()),
        ("gross_sales", MONEY),
        ("total_discounts", MONEY),
        ("total_shipping", MONEY),
        ("total_tax", MONEY),
        ("total_price", MONEY),
    ]
)
LINE_ITEMS_SCHEMA = pa.schema(
    [
        ("order_id", pa.int64()),
        ("line_item_id", pa.int64()),
        ("sku", pa.dictionary(pa.int16(), pa.string())),
        ("quantity", pa.int32()),
        ("total", MONEY),
    ]
)
REFUNDS_SCHEMA = pa.schema(
    [
        ("shop_id", pa.dictionary(pa.int8(), pa.string())),
        ("refund_id", pa.int64()),
        ("order_id", pa.int64()),
        ("business_date", pa.date32()),
        ("subtotal", MONEY),
        ("total_tax", MONEY),
        ("total", MONEY),
    ]
)
BALANCE_SCHEMA = pa.schema(
    [
        ("shop_id", pa.dictionary(pa.int8(), pa.string())),
        ("balance_transaction_id", pa.int64()),
        ("type", pa.dictionary(pa.int8(), pa.string())),
        ("order_id", pa.int64()),
        ("transaction_date", pa.date32()),
        ("amount", MONEY),
        ("fee", MONEY),
        ("net", MONEY),
        ("payout_id", pa.int64()),
    ]
)
PAYOUTS_SCHEMA = pa.schema(
    [
        ("shop_id", pa.dictionary(pa.int8(), pa.string())),
        ("payout_id", pa.int64()),
        ("issued_date", pa.date32()),
        ("net", MONEY),
    ]
)
GL_SCHEMA = pa.schema(
    [
        ("shop_id", pa.dictionary(pa.int8(), pa.string())),
        ("transaction_id", pa.int64()),
        ("line", pa.int16()),
        ("trandate", pa.date32()),
        ("account", pa.int16()),
        ("debit", MONEY),
        ("credit", MONEY),
        ("source_entity", pa.dictionary(pa.int8(), pa.string())),
        ("source_id", pa.int64()),
    ]
)
INVENTORY_SCHEMA = pa.schema(
    [
        ("shop_id", pa.dictionary(pa.int8(), pa.string())),
        ("sku", pa.string()),
        ("location", pa.string()),
        ("shopify_on_hand", pa.int32()),
        ("erp_on_hand", pa.int32()),
    ]
)
TRUTH_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("source_entity", pa.string()),
        ("source_id", pa.int64()),
        ("account", pa.int16()),
        ("expected_variance", MONEY),
    ]
)


def money(cents: np.ndarray) -> pa.Array:
    """Exact DECIMAL(18,2) from integer cents (two's-complement int128, no floats involved)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty(len(cents) * 2, dtype=np.int64)
    words[0::2] = cents
    words[1::2] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(MONEY, len(cents), [None, pa.py_buffer(words.tobytes())])


def _dictionary(values: tuple[str, ...], codes: np.ndarray, index_type: pa.DataType) -> pa.Array:
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(index_type.to_pandas_dtype())), pa.array(values)
    )


def _dates(day_offsets: np.ndarray) -> pa.Array:
    epoch_days = (START - date(1970, 1, 1)).days
    return pa.array((epoch_days + day_offsets).astype(np.int32), type=pa.date32())


@dataclass
class Writers:
    """One streaming Parquet writer per table."""

    root: Path

    def __post_init__(self) -> None:
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {}

    def write(
        self, name: str, schema: pa.Schema, columns: dict[str, pa.Array | np.ndarray]
    ) -> None:
        table = pa.table(columns, schema=schema)
        if name not in self._writers:
            (self.root / name).mkdir(parents=True, exist_ok=True)
            self._writers[name] = pq.ParquetWriter(
                self.root / name / "part-0.parquet", schema, compression="zstd"
            )
        self._writers[name].write_table(table)
        self.rows[name] = self.rows.get(name, 0) + table.num_rows

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()


def _pick(rng: np.random.Generator, count: int, rate: float, kinds: int) -> np.ndarray:
    """Per record, -1 (clean) or the index of the one discrepancy kind injected into it.

    Every kind appears at least once per chunk (when there are records for it), so small tables
    such as payouts still carry each kind.
    """
    chosen = np.full(count, -1, dtype=np.int8)
    hit = rng.random(count) < rate
    chosen[hit] = rng.integers(0, kinds, hit.sum())
    if rate > 0 and count >= 2 * kinds:
        chosen[rng.choice(count, kinds, replace=False)] = np.arange(kinds)
    return chosen


def _order_chunk(
    rng: np.random.Generator, writers: Writers, first_id: int, count: int, rate: float
) -> None:
    order_id = first_id + np.arange(count, dtype=np.int64)
    shop = rng.integers(0, len(SHOPS), count)
    day = (np.arange(count) * DAYS // count).astype(np.int64)
    lines = rng.integers(1, 5, count)
    line_order = np.repeat(np.arange(count), lines)
    # Pareto-shaped unit prices, whole cents.
    unit_cents = ((rng.pareto(2.5, len(line_order)) + 1.0) * 1500).astype(np.int64)
    quantity = rng.integers(1, 4, len(line_order))
    line_total = unit_cents * quantity
    gross = np.bincount(line_order, weights=line_total, minlength=count).astype(np.int64)
    discount = np.where(rng.random(count) < 0.15, gross // 10, 0)
    shipping = np.where(rng.random(count) < 0.6, 599, 0)
    tax = (gross - discount + shipping) * 8 // 100
    total = gross - discount + shipping + tax
    shop_codes = _dictionary(SHOPS, shop, pa.int8())
    dates = _dates(day)
    writers.write(
        "orders",
        ORDERS_SCHEMA,
        {
            "shop_id": shop_codes,
            "order_id": order_id,
            "business_date": dates,
            "gross_sales": money(gross),
            "total_discounts": money(discount),
            "total_shipping": money(shipping),
            "total_tax": money(tax),
            "total_price": money(total),
        },
    )
    first_line = first_id * 4
    skus = tuple(f"SKU-{number:04d}" for number in range(500))
    writers.write(
        "line_items",
        LINE_ITEMS_SCHEMA,
        {
            "order_id": order_id[line_order],
            "line_item_id": first_line + np.arange(len(line_order), dtype=np.int64),
            "sku": _dictionary(skus, rng.integers(0, len(skus), len(line_order)), pa.int16()),
            "quantity": quantity.astype(np.int32),
            "total": money(line_total),
        },
    )

    # The existing integration's entry per order, with discrepancies injected.
    kind = _pick(rng, count, rate, len(ORDER_KINDS))
    amounts = {CLEARING: total, DISCOUNTS: discount, SALES: gross, SHIPPING: shipping, TAX: tax}
    expected = {account: values.copy() for account, values in amounts.items()}
    posted = {account: values.copy() for account, values in amounts.items()}
    delta = rng.integers(1, 500, count)
    tiny = rng.integers(1, 5, count)
    for index, (account, size) in {
        2: (TAX, delta),
        3: (SHIPPING, delta),
        4: (DISCOUNTS, delta),
        5: (SALES, tiny),
        6: (SALES, tiny * 3),
    }.items():
        affected = kind == index
        posted[account][affected] += size[affected]
        # Keep the entry balanced: the clearing debit absorbs credit-side changes.
        if account in (TAX, SHIPPING, SALES):
            posted[CLEARING][affected] += size[affected]
        else:
            posted[CLEARING][affected] -= size[affected]
    missing = kind == ORDER_KINDS.index("order_missing_in_erp")
    duplicated = kind == ORDER_KINDS.index("order_duplicate_posting")
    wrong_period = kind == ORDER_KINDS.index("order_wrong_period")
    posted_day = np.where(wrong_period, day + 1, day)

    _write_truth_for_orders(writers, kind, order_id, expected, posted)

    kept = ~missing
    copies = np.where(duplicated, 2, 1) * kept
    entry_order = np.repeat(np.arange(count), copies)
    entry_id = ORDER_ENTRY_IDS + first_id * 2 + np.arange(len(entry_order), dtype=np.int64)
    gl_columns: dict[str, list[np.ndarray]] = {
        "entry": [], "line": [], "account": [], "debit": [], "credit": []
    }  # fmt: skip
    for line_number, (account, is_debit) in enumerate(
        ((CLEARING, True), (DISCOUNTS, True), (SALES, False), (SHIPPING, False), (TAX, False)),
        start=1,
    ):
        values = posted[account][entry_order]
        present = values != 0
        gl_columns["entry"].append(np.nonzero(present)[0])
        gl_columns["line"].append(np.full(present.sum(), line_number, dtype=np.int16))
        gl_columns["account"].append(np.full(present.sum(), account, dtype=np.int16))
        gl_columns["debit"].append(np.where(is_debit, values[present], 0))
        gl_columns["credit"].append(np.where(is_debit, 0, values[present]))
    entry_index = np.concatenate(gl_columns["entry"])
    ordering = np.argsort(entry_index, kind="stable")
    entry_index = entry_index[ordering]
    source_order = entry_order[entry_index]
    writers.write(
        "gl_lines",
        GL_SCHEMA,
        {
            "shop_id": _dictionary(SHOPS, shop[source_order], pa.int8()),
            "transaction_id": entry_id[entry_index],
            "line": np.concatenate(gl_columns["line"])[ordering],
            "trandate": _dates(posted_day[source_order]),
            "account": np.concatenate(gl_columns["account"])[ordering],
            "debit": money(np.concatenate(gl_columns["debit"])[ordering]),
            "credit": money(np.concatenate(gl_columns["credit"])[ordering]),
            "source_entity": _dictionary(("order",), np.zeros(len(entry_index)), pa.int8()),
            "source_id": order_id[source_order],
        },
    )
    _orphan_entries(rng, writers, first_id, count, rate)
    _refunds_fees_payouts(rng, writers, order_id, shop, day, total, rate)


def _orphan_entries(
    rng: np.random.Generator, writers: Writers, first_id: int, count: int, rate: float
) -> None:
    """ERP entries naming an order id that Shopify never had (ids below every real one)."""
    orphans = max(1, int(count * rate / 10))
    orphan_id = -(first_id + np.arange(orphans, dtype=np.int64))
    cents = rng.integers(500, 50_000, orphans)
    _write_two_line_entries(
        writers,
        first_entry_id=ORPHAN_ENTRY_IDS + first_id,
        shop=rng.integers(0, len(SHOPS), orphans),
        day=rng.integers(0, DAYS, orphans),
        debit_account=CLEARING,
        credit_account=SALES,
        cents=cents,
        source_entity="order",
        source_id=orphan_id,
    )
    _write_truth(writers, "orphan_erp_entry", "order", orphan_id, CLEARING, cents)


def _write_truth_for_orders(
    writers: Writers,
    kind: np.ndarray,
    order_id: np.ndarray,
    expected: dict[int, np.ndarray],
    posted: dict[int, np.ndarray],
) -> None:
    rows: dict[str, list[np.ndarray]] = {"kind": [], "id": [], "account": [], "variance": []}
    names = np.array([*ORDER_KINDS, "order_misposted", "order_unexpected_account"])
    for index, name in enumerate(ORDER_KINDS):
        affected = np.nonzero(kind == index)[0]
        if not len(affected):
            continue
        codes = np.full(len(affected), index)
        if name == "order_missing_in_erp":
            account, variance = CLEARING, -expected[CLEARING][affected]
        elif name == "order_duplicate_posting":
            account, variance = CLEARING, expected[CLEARING][affected]
        elif name == "order_wrong_period":
            account, variance = CLEARING, np.zeros(len(affected), dtype=np.int64)
        else:
            account = {2: TAX, 3: SHIPPING, 4: DISCOUNTS}.get(index, SALES)
            variance = posted[account][affected] - expected[account][affected]
        if index in (2, 3, 4):
            # On an order without that tax, shipping or discount the rules expect nothing on the
            # account (docs/finance.md): a discount the clearing debit lacks was misposted there;
            # a credit the clearing debit grew by is on an unexpected account. Same amount and sign.
            other = len(ORDER_KINDS) + (0 if account == DISCOUNTS else 1)
            codes = np.where(expected[account][affected] == 0, other, index)
        rows["kind"].append(codes)
        rows["id"].append(order_id[affected])
        rows["account"].append(np.full(len(affected), account, dtype=np.int16))
        rows["variance"].append(variance)
    if not rows["kind"]:
        return
    kinds = np.concatenate(rows["kind"])
    writers.write(
        "truth",
        TRUTH_SCHEMA,
        {
            "kind": pa.array(names[kinds].tolist()),
            "source_entity": pa.array(["order"] * len(kinds)),
            "source_id": np.concatenate(rows["id"]),
            "account": np.concatenate(rows["account"]),
            "expected_variance": money(np.concatenate(rows["variance"])),
        },
    )


def _write_truth(
    writers: Writers,
    kind: str,
    source_entity: str,
    source_id: np.ndarray,
    account: int,
    variance: np.ndarray,
) -> None:
    if len(source_id):
        writers.write(
            "truth",
            TRUTH_SCHEMA,
            {
                "kind": pa.array([kind] * len(source_id)),
                "source_entity": pa.array([source_entity] * len(source_id)),
                "source_id": source_id,
                "account": np.full(len(source_id), account, dtype=np.int16),
                "expected_variance": money(variance),
            },
        )


def _write_two_line_entries(
    writers: Writers,
    *,
    first_entry_id: int,
    shop: np.ndarray,
    day: np.ndarray,
    debit_account: int,
    credit_account: int,
    cents: np.ndarray,
    source_entity: str,
    source_id: np.ndarray,
) -> None:
    """One balanced entry per row: debit one account, credit another, for `cents`."""
    count = len(cents)
    writers.write(
        "gl_lines",
        GL_SCHEMA,
        {
            "shop_id": _dictionary(SHOPS, np.repeat(shop, 2), pa.int8()),
            "transaction_id": np.repeat(first_entry_id + np.arange(count, dtype=np.int64), 2),
            "line": np.tile(np.array([1, 2], dtype=np.int16), count),
            "trandate": _dates(np.repeat(day, 2)),
            "account": np.tile(np.array([debit_account, credit_account], dtype=np.int16), count),
            "debit": money(np.column_stack([cents, np.zeros(count, np.int64)]).ravel()),
            "credit": money(np.column_stack([np.zeros(count, np.int64), cents]).ravel()),
            "source_entity": _dictionary((source_entity,), np.zeros(2 * count), pa.int8()),
            "source_id": np.repeat(source_id, 2),
        },
    )


def _posted_with_kinds(
    rng: np.random.Generator,
    writers: Writers,
    kinds: tuple[str, str],
    entity: str,
    ids: np.ndarray,
    cents: np.ndarray,
    account: int,
    rate: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Inject kinds[0] (never posted) and kinds[1] (posted twice, or for the wrong amount when
    the kind is an amount mismatch); return which rows to post and the amounts posted."""
    kind = _pick(rng, len(ids), rate, 2)
    posted = cents.copy()
    missing = kind == 0
    _write_truth(writers, kinds[0], entity, ids[missing], account, -cents[missing])
    second = kind == 1
    copies = np.where(missing, 0, 1)
    if kinds[1].endswith("duplicate_posting"):
        copies = copies + second
        _write_truth(writers, kinds[1], entity, ids[second], account, cents[second])
    else:
        delta = rng.integers(1, 2000, len(ids))
        posted[second] += delta[second]
        _write_truth(writers, kinds[1], entity, ids[second], account, delta[second])
    rows = np.repeat(np.arange(len(ids)), copies)
    return rows, posted


def _refunds_fees_payouts(
    rng: np.random.Generator,
    writers: Writers,
    order_id: np.ndarray,
    shop: np.ndarray,
    day: np.ndarray,
    total: np.ndarray,
    rate: float,
) -> None:
    """Refunds (entry per refund), and Shopify Payments: the existing integration books fees and
    the bank deposit once per payout (two entries of two lines) to keep GL volume near 4 lines
    per order; the kinds are injected per refund and per payout."""
    count = len(order_id)
    chunk_base = int(order_id[0]) * 10
    refunded = np.nonzero(rng.random(count) < 0.08)[0]
    refund_total = np.maximum(total[refunded] * rng.integers(20, 101, len(refunded)) // 100, 1)
    refund_tax = refund_total * 8 // 108
    refund_day = np.minimum(day[refunded] + rng.integers(0, 5, len(refunded)), DAYS - 1)
    refund_id = order_id[refunded] * 10 + 1
    writers.write(
        "refunds",
        REFUNDS_SCHEMA,
        {
            "shop_id": _dictionary(SHOPS, shop[refunded], pa.int8()),
            "refund_id": refund_id,
            "order_id": order_id[refunded],
            "business_date": _dates(refund_day),
            "subtotal": money(refund_total - refund_tax),
            "total_tax": money(refund_tax),
            "total": money(refund_total),
        },
    )
    rows, posted = _posted_with_kinds(
        rng, writers, REFUND_KINDS, "refund", refund_id, refund_total, CLEARING, rate
    )
    # Refund entries debit 4090 and credit the clearing account for the refund total.
    _write_two_line_entries(
        writers,
        first_entry_id=REFUND_ENTRY_IDS + chunk_base,
        shop=shop[refunded][rows],
        day=refund_day[rows],
        debit_account=REFUNDS,
        credit_account=CLEARING,
        cents=posted[rows],
        source_entity="refund",
        source_id=refund_id[rows],
    )

    fee = total * 29 // 1000 + 30
    payout_id = (order_id[0] // CHUNK_ORDERS) * 1000 + shop * 100 + day // 2
    writers.write(
        "balance_transactions",
        BALANCE_SCHEMA,
        {
            "shop_id": _dictionary(SHOPS, shop, pa.int8()),
            "balance_transaction_id": order_id * 10 + 5,
            "type": _dictionary(("CHARGE",), np.zeros(count), pa.int8()),
            "order_id": order_id,
            "transaction_date": _dates(day),
            "amount": money(total),
            "fee": money(fee),
            "net": money(total - fee),
            "payout_id": payout_id,
        },
    )
    unique_payouts, inverse = np.unique(payout_id, return_inverse=True)
    payout_net = np.bincount(inverse, weights=total - fee).astype(np.int64)
    payout_fees = np.bincount(inverse, weights=fee).astype(np.int64)
    payout_shop = np.zeros(len(unique_payouts), dtype=np.int64)
    payout_shop[inverse] = shop
    payout_day = (unique_payouts % 100) * 2 + 2
    # Shopify-side inconsistency: the payout's net differs from its balance transactions.
    inconsistent = _pick(rng, len(unique_payouts), rate, 1) == 0
    shopify_net = payout_net + np.where(inconsistent, rng.integers(1, 500, len(unique_payouts)), 0)
    _write_truth(
        writers,
        "payout_balance_mismatch",
        "payout",
        unique_payouts[inconsistent],
        CLEARING,
        (shopify_net - payout_net)[inconsistent],
    )
    writers.write(
        "payouts",
        PAYOUTS_SCHEMA,
        {
            "shop_id": _dictionary(SHOPS, payout_shop, pa.int8()),
            "payout_id": unique_payouts,
            "issued_date": _dates(payout_day),
            "net": money(shopify_net),
        },
    )
    for kinds, debit_account, cents, id_range in (
        (FEE_KINDS, FEES, payout_fees, FEE_ENTRY_IDS),
        (PAYOUT_KINDS, BANK, shopify_net, DEPOSIT_ENTRY_IDS),
    ):
        rows, posted = _posted_with_kinds(
            rng, writers, kinds, "payout", unique_payouts, cents, debit_account, rate
        )
        _write_two_line_entries(
            writers,
            first_entry_id=id_range + int(order_id[0]),
            shop=payout_shop[rows],
            day=payout_day[rows],
            debit_account=debit_account,
            credit_account=CLEARING,
            cents=posted[rows],
            source_entity="payout",
            source_id=unique_payouts[rows],
        )


def generate(out: Path, *, size: str, seed: int = 7, rate: float = 0.01) -> dict[str, object]:
    """Write the tables for `size` under `out` (replacing it); return row counts and seconds."""
    orders = SIZES[size]
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    started = time.perf_counter()
    writers = Writers(out)
    try:
        for chunk, first in enumerate(range(0, orders, CHUNK_ORDERS)):
            rng = np.random.default_rng([seed, chunk])
            _order_chunk(rng, writers, 1_000_000 + first, min(CHUNK_ORDERS, orders - first), rate)
        _inventory(np.random.default_rng([seed, 1_000_000]), writers, rate)
    finally:
        writers.close()
    summary = {"size": size, "orders": orders, "rows": writers.rows}
    summary["seconds"] = round(time.perf_counter() - started, 2)
    (out / "manifest.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def _inventory(rng: np.random.Generator, writers: Writers, rate: float) -> None:
    skus = np.arange(500)
    locations = ("Warehouse East", "Store Downtown", "Store Harbour")
    item, location = np.meshgrid(skus, np.arange(len(locations)))
    item, location = item.ravel(), location.ravel()
    shopify = rng.integers(0, 400, len(item)).astype(np.int32)
    erp = shopify.copy()
    off = _pick(rng, len(item), rate, 1) == 0
    erp[off] += rng.integers(1, 10, off.sum()).astype(np.int32)
    # Inventory rows are identified by their position (sku index × location index).
    _write_truth(
        writers,
        "inventory_on_hand_mismatch",
        "inventory",
        np.nonzero(off)[0].astype(np.int64),
        0,
        (erp - shopify)[off].astype(np.int64) * 100,
    )
    writers.write(
        "inventory",
        INVENTORY_SCHEMA,
        {
            "shop_id": _dictionary(SHOPS, location % len(SHOPS), pa.int8()),
            "sku": pa.array([f"SKU-{number:04d}" for number in item]),
            "location": pa.array([locations[number] for number in location]),
            "shopify_on_hand": shopify,
            "erp_on_hand": erp,
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="s")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--discrepancy-rate", type=float, default=0.01)
    args = parser.parse_args(argv)
    summary = generate(args.out, size=args.size, seed=args.seed, rate=args.discrepancy_rate)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
