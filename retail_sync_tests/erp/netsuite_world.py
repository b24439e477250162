"""A small ERP-side world written per the world format (docs/sandbox.md), for NetSuite tests."""

from __future__ import annotations

import json
from pathlib import Path

ACCOUNTS = [
    ("100", "1000", "Bank — operating", "Bank"),
    ("110", "1205", "Shopify Payments clearing", "OthCurrAsset"),
    ("130", "2200", "Sales tax payable", "OthCurrLiab"),
    ("140", "4000", "Product sales", "Income"),
    ("150", "4050", "Discounts", "Income"),
    ("160", "4100", "Shipping income", "Income"),
    ("170", "6100", "Payment processing fees", "Expense"),
]


def write_erp_world(root: Path, *, entries: int = 30) -> Path:
    """Write world.json and erp/ with `entries` balanced order entries in October 2026."""
    (root / "erp").mkdir(parents=True, exist_ok=True)
    (root / "world.json").write_text(
        json.dumps(
            {
                "format_version": 1,
                "name": "erp-fixture",
                "start": "2026-10-01",
                "days": 28,
                "shops": ["north-outfitters"],
            }
        )
    )
    erp = root / "erp"
    dump = lambda name, doc: (erp / name).write_text(json.dumps(doc))  # noqa: E731
    dump(
        "subsidiaries.json",
        [
            {
                "id": "1",
                "name": "North Outfitters US",
                "currency": "1",
                "shop_id": "north-outfitters",
            }
        ],
    )
    dump(
        "currencies.json",
        [{"id": "1", "symbol": "USD", "name": "US Dollar", "isbasecurrency": True}],
    )
    dump(
        "accounts.json",
        [
            {"id": i, "acctnumber": n, "acctname": name, "accttype": t, "isinactive": False}
            for i, n, name, t in ACCOUNTS
        ],
    )
    dump(
        "periods.json",
        [
            {
                "id": "209",
                "periodname": "Sep 2026",
                "startdate": "2026-09-01",
                "enddate": "2026-09-30",
                "isposting": True,
                "closed": True,
                "alllocked": True,
            },
            {
                "id": "210",
                "periodname": "Oct 2026",
                "startdate": "2026-10-01",
                "enddate": "2026-10-31",
                "isposting": True,
                "closed": False,
                "alllocked": False,
            },
            {
                "id": "211",
                "periodname": "Nov 2026",
                "startdate": "2026-11-01",
                "enddate": "2026-11-30",
                "isposting": True,
                "closed": False,
                "alllocked": False,
            },
        ],
    )
    dump("locations.json", [{"id": "31", "name": "Warehouse East", "subsidiary": "1"}])
    dump(
        "items.json",
        [
            {"id": "501", "itemid": "TENT-2P", "cost": "84.20"},
            {"id": "502", "itemid": "MAT-1", "cost": "12.00"},
        ],
    )
    with (erp / "journal_entries.jsonl").open("w") as handle:
        for n in range(entries):
            order = 1000001 + n
            token = f"shopify:order:{order}"
            day = f"2026-10-{(n % 28) + 1:02d}"
            handle.write(
                json.dumps(
                    {
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
                                "line": 1,
                                "account": "110",
                                "debit": "204.40",
                                "credit": None,
                                "memo": token,
                            },
                            {
                                "line": 2,
                                "account": "150",
                                "debit": "20.00",
                                "credit": None,
                                "memo": token,
                            },
                            {
                                "line": 3,
                                "account": "140",
                                "debit": None,
                                "credit": "200.00",
                                "memo": token,
                            },
                            {
                                "line": 4,
                                "account": "160",
                                "debit": None,
                                "credit": "10.00",
                                "memo": token,
                            },
                            {
                                "line": 5,
                                "account": "130",
                                "debit": None,
                                "credit": "14.40",
                                "memo": token,
                            },
                        ],
                    }
                )
                + "\n"
            )
    with (erp / "inventory_on_hand.jsonl").open("w") as handle:
        for day, quantity in (("2026-10-01", 42), ("2026-10-02", 40)):
            handle.write(
                json.dumps(
                    {"item": "501", "location": "31", "as_of": day, "quantityonhand": quantity}
                )
                + "\n"
            )
        handle.write(
            json.dumps(
                {"item": "502", "location": "31", "as_of": "2026-10-01", "quantityonhand": 7}
            )
            + "\n"
        )
    return root
