"""A one-shop world whose refunded order returns shipping: three refund shipping lines (more than
the paged read's nested limit) over two shipping lines, one with an id and one without, with tax.

Written by hand on top of `make_world` so the amounts are known here, not derived from the
generator: the order of 20.00 goods (1.60 tax) ships on Standard (10.00 + 0.80 tax, no id: it is
shipping line 1) and Express (5.00, id 77). Its refund returns one unit (10.00 + 0.80 tax) and all
the shipping, as 4.00 + 0.32 tax and 6.00 + 0.48 tax of Standard and 5.00 of Express: shipping
15.00, shipping tax 0.80, total tax 1.60, total 26.60.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from retail_sync.sandbox.world import FORMAT_VERSION
from retail_sync_tests.sandbox.shopify_fixtures import make_world

TOKEN = "shpat_bulk"
SHOP_ID = "bulk-shop"
ORDER_ID = 1_000_002  # make_world refunds the orders whose id is a multiple of 3
REFUND_ID = 3_000_000 + ORDER_ID
EXPRESS_ID = 77
# (refund shipping line id, shipping line id, subtotal, tax), as the world writes them.
REFUND_SHIPPING_LINES = (
    (3_300_001, 1, "4.00", "0.32"),
    (3_300_002, 1, "6.00", "0.48"),
    (3_300_003, EXPRESS_ID, "5.00", "0.00"),
)


def _money(amount: str) -> dict[str, str]:
    return {"shop": amount, "presentment": amount}


def _with_shipping(order: dict[str, Any]) -> dict[str, Any]:
    tax = [{"title": "State tax", "rate": "0.0800", "price": _money("0.80")}]
    order["shipping_lines"] = [
        {"title": "Standard", "price": _money("10.00"), "tax_lines": tax},
        {"id": EXPRESS_ID, "title": "Express", "price": _money("5.00"), "tax_lines": []},
    ]
    order["total_shipping"] = _money("15.00")
    order["total_tax"] = _money("2.40")
    order["total_price"] = _money("37.40")
    sale, refund_payment = order["transactions"]
    sale["amount"] = _money("37.40")
    refund_payment["amount"] = _money("26.60")
    (refund,) = order["refunds"]
    refund["refund_shipping_lines"] = [
        {"id": line_id, "shipping_line_id": shipping, "subtotal": _money(subtotal),
         "tax": _money(tax)}
        for line_id, shipping, subtotal, tax in REFUND_SHIPPING_LINES
    ]  # fmt: skip
    refund["shipping"] = _money("15.00")
    refund["total_tax"] = _money("1.60")
    refund["total"] = _money("26.60")
    return order


def refund_shipping_world(root: Path) -> Path:
    """`make_world` with three orders, the refunded one shipping as described above."""
    make_world(root, 3)
    manifest = json.loads((root / "world.json").read_text())
    (root / "world.json").write_text(json.dumps(manifest | {"format_version": FORMAT_VERSION}))
    path = root / "shopify" / SHOP_ID / "orders.jsonl"
    orders = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text(
        "".join(
            json.dumps(_with_shipping(order) if order["id"] == ORDER_ID else order) + "\n"
            for order in orders
        )
    )
    return root


def expected_landed_rows() -> list[dict[str, Any]]:
    """The rows `raw/shopify/order_refund_shipping_lines` should hold, sorted by id."""
    return [
        {
            "shop_id": SHOP_ID,
            "refund_shipping_line_id": line_id,
            "refund_id": REFUND_ID,
            "shipping_line_id": shipping,
            "currency_code": "USD",
            "presentment_currency_code": "USD",
            "subtotal_shop": Decimal(subtotal),
            "subtotal_presentment": Decimal(subtotal),
            "tax_shop": Decimal(tax),
            "tax_presentment": Decimal(tax),
        }
        for line_id, shipping, subtotal, tax in REFUND_SHIPPING_LINES
    ]
