"""A small ERP-side world written per the world format (docs/sandbox.md), for NetSuite tests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ACCOUNTS = [
    ("100", "1000", "Bank — operating", "Bank"),
    ("110", "1205", "Shopify Payments clearing", "OthCurrAsset"),
    ("130", "2200", "Sales tax payable", "OthCurrLiab"),
    ("140", "4000", "Product sales", "Income"),
    ("150", "4050", "Discounts", "Income"),
    ("160", "4100", "Shipping income", "Income"),
    ("170", "6100", "Payment processing fees", "Expense"),
]
WORLD_HEADER = {
    "format_version": 2,
    "name": "erp-fixture",
    "start": "2026-10-01",
    "days": 28,
    "shops": ["north-outfitters"],
}
# Every order entry books the same balanced lines: (account id, side, amount).
ORDER_LINES = [
    ("110", "debit", "204.40"),
    ("150", "debit", "20.00"),
    ("140", "credit", "200.00"),
    ("160", "credit", "10.00"),
    ("130", "credit", "14.40"),
]
ON_HAND = [("501", "2026-10-01", 42), ("501", "2026-10-02", 40), ("502", "2026-10-01", 7)]


def write_erp_world(root: Path, *, entries: int = 30) -> Path:
    """Write world.json and erp/ with `entries` balanced order entries in October 2026."""
    erp = root / "erp"
    erp.mkdir(parents=True, exist_ok=True)
    (root / "world.json").write_text(json.dumps(WORLD_HEADER))
    for name, document in reference_documents().items():
        (erp / name).write_text(json.dumps(document))
    write_lines(erp / "journal_entries.jsonl", (order_entry(n) for n in range(entries)))
    write_lines(
        erp / "inventory_on_hand.jsonl",
        (
            {"item": item, "location": "31", "as_of": day, "quantityonhand": quantity}
            for item, day, quantity in ON_HAND
        ),
    )
    return root


def reference_documents() -> dict[str, list[dict[str, Any]]]:
    """The erp/*.json files: one USD subsidiary, the chart, three periods, a location, items."""
    return {
        "subsidiaries.json": [
            {
                "id": "1",
                "name": "North Outfitters US",
                "currency": "1",
                "shop_id": "north-outfitters",
            }
        ],
        "currencies.json": [
            {"id": "1", "symbol": "USD", "name": "US Dollar", "isbasecurrency": True}
        ],
        "accounts.json": [
            {"id": i, "acctnumber": n, "acctname": name, "accttype": t, "isinactive": False}
            for i, n, name, t in ACCOUNTS
        ],
        "periods.json": [
            period("209", "Sep 2026", "2026-09-01", "2026-09-30", locked=True),
            period("210", "Oct 2026", "2026-10-01", "2026-10-31", locked=False),
            period("211", "Nov 2026", "2026-11-01", "2026-11-30", locked=False),
        ],
        "locations.json": [{"id": "31", "name": "Warehouse East", "subsidiary": "1"}],
        "items.json": [
            {"id": "501", "itemid": "TENT-2P", "cost": "84.20"},
            {"id": "502", "itemid": "MAT-1", "cost": "12.00"},
        ],
    }


def period(period_id: str, name: str, start: str, end: str, *, locked: bool) -> dict[str, Any]:
    """A posting period; a locked one is also closed."""
    return {
        "id": period_id,
        "periodname": name,
        "startdate": start,
        "enddate": end,
        "isposting": True,
        "closed": locked,
        "alllocked": locked,
    }


def order_entry(n: int) -> dict[str, Any]:
    """The n-th order's journal entry (0-based), dated by cycling through October 1-28."""
    order = 1000001 + n
    token = f"shopify:order:{order}"
    day = f"2026-10-{(n % 28) + 1:02d}"
    return {
        "id": str(90001 + n),
        "tranid": f"JE{90001 + n}",
        "externalid": f"shopify-north-outfitters-order-{order}",
        "trandate": day,
        "postingperiod": "210",
        "subsidiary": "1",
        "currency": "1",
        "memo": f"Shopify order #{1001 + n} {token}",
        "created": f"{day}T23:00:00Z",
        "lines": [
            {
                "line": number,
                "account": account,
                "debit": amount if side == "debit" else None,
                "credit": amount if side == "credit" else None,
                "memo": token,
            }
            for number, (account, side, amount) in enumerate(ORDER_LINES, start=1)
        ],
    }


def write_lines(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
