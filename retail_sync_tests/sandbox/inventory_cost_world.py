"""A hand-written one-day world whose items cover every way an item can be costed (issue 15).

One USD shop, one location, no orders: only inventory. Per SKU, the Shopify `unit_cost`, the
ERP's `cost` (Purchase Price) and `averagecost` (Average Cost), and the on-hand of each side at
the end of 2026-10-01 (None: that side has no such item):

| SKU     | Shopify cost | ERP cost | ERP average | Shopify on hand | ERP on hand |
|---------|--------------|----------|-------------|-----------------|-------------|
| TENT-2P | 84.20        | 84.00    | 83.955      | 20              | 18          |
| LAMP-HD | 11.40        | —        | —           | 40              | 40          |
| MAT-1   | —            | —        | —           | 7               | 9           |
| STOVE   | —            | 30.00    | —           | 3               | 3           |
| FUEL    | (no item)    | —        | 2.5         | None            | 12          |
| CUP     | 3.10         | (no item)|             | 5               | None        |

Its truth files are empty: the world is read by the valuation tests, not scored against truth.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from retail_sync.sandbox.validate.vocabulary import TRUTH_HEADER, TRUTH_LINES_HEADER
from retail_sync.sandbox.world import FORMAT_VERSION

SHOP = "north-outfitters"
DAY = "2026-10-01"
LOCATION = "Warehouse East"
# (sku, Shopify item id, Shopify unit_cost, Shopify on hand)
SHOPIFY_ITEMS: list[tuple[str, int, str | None, int]] = [
    ("TENT-2P", 80001, "84.20", 20),
    ("LAMP-HD", 80002, "11.40", 40),
    ("MAT-1", 80003, None, 7),
    ("STOVE", 80004, None, 3),
    ("CUP", 80006, "3.10", 5),
]
# (sku, ERP item id, cost, averagecost, ERP on hand)
ERP_ITEMS: list[tuple[str, str, str | None, str | None, int]] = [
    ("TENT-2P", "501", "84.00", "83.955", 18),
    ("LAMP-HD", "502", None, None, 40),
    ("MAT-1", "503", None, None, 9),
    ("STOVE", "504", "30.00", None, 3),
    ("FUEL", "505", None, "2.5", 12),
]


def _write(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def _write_lines(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")


def _item(item_id: str, sku: str, cost: str | None, average: str | None) -> dict[str, Any]:
    """An ERP item as a world writes it: a cost it does not have is left out or null."""
    item: dict[str, Any] = {"id": item_id, "itemid": sku}
    if cost is not None:
        item["cost"] = cost
    item["averagecost"] = average  # null when none, to cover both forms
    return item


def write_cost_world(root: Path) -> Path:
    """Write the world at `root` and return it."""
    _write(
        root / "world.json",
        {"format_version": FORMAT_VERSION, "name": "inventory-costs", "start": DAY, "days": 1,
         "shops": [SHOP]},
    )  # fmt: skip
    _write(
        root / "shopify" / "shops.json",
        [
            {
                "id": SHOP,
                "domain": f"{SHOP}.myshopify.com",
                "name": "North Outfitters",
                "currency": "USD",
                "timezone": "America/New_York",
                "plan": "PLUS",
                "access_token": "shpat_sandbox_north",
                "webhook_secret": "whsec_sandbox_north",
                "erp_subsidiary_id": "1",
            }
        ],
    )
    shop = root / "shopify" / SHOP
    _write(shop / "locations.json", [{"id": 70001, "name": LOCATION, "active": True}])
    _write(
        shop / "inventory_items.json",
        [
            {"id": item_id, "sku": sku, "unit_cost": cost, "tracked": True}
            for sku, item_id, cost, _ in SHOPIFY_ITEMS
        ],
    )
    _write_lines(
        shop / "inventory_levels.jsonl",
        [
            {
                "inventory_item_id": item_id,
                "location_id": 70001,
                "at": f"{DAY}T00:00:00-04:00",
                "quantities": {
                    "available": on_hand,
                    "on_hand": on_hand,
                    "committed": 0,
                    "incoming": 0,
                    "reserved": 0,
                },
            }
            for _, item_id, _, on_hand in SHOPIFY_ITEMS
        ],
    )
    for name in ("orders.jsonl", "balance_transactions.jsonl", "payouts.jsonl"):
        _write_lines(shop / name, [])
    erp = root / "erp"
    _write(
        erp / "subsidiaries.json",
        [{"id": "1", "name": "North Outfitters US", "currency": "1", "shop_id": SHOP}],
    )
    _write(
        erp / "currencies.json",
        [{"id": "1", "symbol": "USD", "name": "US Dollar", "isbasecurrency": True}],
    )
    _write(
        erp / "accounts.json",
        [{"id": "100", "acctnumber": "1000", "acctname": "Bank — operating", "accttype": "Bank",
          "isinactive": False}],
    )  # fmt: skip
    _write(
        erp / "periods.json",
        [{"id": "210", "periodname": "Oct 2026", "startdate": "2026-10-01",
          "enddate": "2026-10-31", "isposting": True, "closed": False, "alllocked": False}],
    )  # fmt: skip
    _write(erp / "locations.json", [{"id": "31", "name": LOCATION, "subsidiary": "1"}])
    _write(
        erp / "items.json",
        [_item(item_id, sku, cost, average) for sku, item_id, cost, average, _ in ERP_ITEMS],
    )
    _write_lines(erp / "journal_entries.jsonl", [])
    _write_lines(
        erp / "inventory_on_hand.jsonl",
        [
            {"item": item_id, "location": "31", "as_of": DAY, "quantityonhand": on_hand}
            for _, item_id, _, _, on_hand in ERP_ITEMS
        ],
    )
    truth = root / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    for name, header in (
        ("discrepancies.csv", TRUTH_HEADER),
        ("discrepancy_lines.csv", TRUTH_LINES_HEADER),
    ):
        with (truth / name).open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow(header)
    return root
