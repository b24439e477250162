"""A built world as files in format version 2 (docs/sandbox.md), and writing them to disk."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from retail_sync.sandbox.generate.catalog import ACCOUNT_ID, CHART
from retail_sync.sandbox.validate import TRUTH_HEADER, TRUTH_LINES_HEADER
from retail_sync.sandbox.world import FORMAT_VERSION

from .built import Built, Entry, ShopState
from .money import money
from .shops import ShopSpec
from .specs import WorldSpec

CURRENCIES = [
    ("1", "USD", "US Dollar", True),
    ("2", "EUR", "Euro", False),
    ("3", "CAD", "Canadian Dollar", False),
    ("4", "GBP", "British Pound", False),
    ("5", "CHF", "Swiss Franc", False),
]
CURRENCY_ID = {symbol: currency_id for currency_id, symbol, _, _ in CURRENCIES}


def write(world: Built, root: Path) -> Path:
    """Replace `root/<name>` with the world's files."""
    folder = root / world.name
    if folder.exists():
        assert (folder / "world.json").exists(), f"{folder} is not a world; refusing to replace"
        shutil.rmtree(folder)
    for relative, text in render(world).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def render(world: Built) -> dict[str, str]:
    """Every file of the world, by relative path."""
    files = {"world.json": world_json(world)}
    files |= shop_files([state.spec for state in world.shops])
    for state in world.shops:
        files |= shopify_files(state)
    files |= erp_files(world)
    files["truth/discrepancies.csv"] = truth_csv(world.truth)
    files["truth/discrepancy_lines.csv"] = truth_csv(world.truth_lines, TRUTH_LINES_HEADER)
    return files


def world_json(world: Built) -> str:
    header = {
        "format_version": FORMAT_VERSION,
        "name": world.name,
        "start": world.spec.start.isoformat(),
        "days": world.spec.days,
        "shops": [state.spec.id for state in world.shops],
        "description": world.description,
    }
    return json.dumps(header, ensure_ascii=False, indent=1) + "\n"


def shop_files(shops: list[ShopSpec]) -> dict[str, str]:
    shops_json = json_list(
        {
            "id": shop.id,
            "domain": f"{shop.id}.myshopify.com",
            "name": shop.name,
            "currency": shop.currency,
            "timezone": shop.timezone,
            "plan": shop.plan,
            "access_token": f"shpat_sandbox_{shop.token_suffix}",
            "webhook_secret": f"whsec_sandbox_{shop.token_suffix}",
            "erp_subsidiary_id": shop.subsidiary_id,
        }
        for shop in shops
    )
    return {"shopify/shops.json": shops_json}


def shopify_files(state: ShopState) -> dict[str, str]:
    shop = state.spec
    folder = f"shopify/{shop.id}"
    return {
        f"{folder}/locations.json": json_list(
            [{"id": shop.location_id, "name": shop.location_name, "active": True}]
        ),
        f"{folder}/inventory_items.json": json_list(
            {"id": item.id, "sku": item.sku, "unit_cost": item.unit_cost, "tracked": True}
            for item in shop.items
        ),
        f"{folder}/orders.jsonl": json_lines(state.orders),
        f"{folder}/balance_transactions.jsonl": json_lines(state.balance),
        f"{folder}/payouts.jsonl": json_lines(state.payouts),
        f"{folder}/inventory_levels.jsonl": json_lines(state.levels),
    }


def erp_files(world: Built) -> dict[str, str]:
    shops = [state.spec for state in world.shops]
    periods = periods_for(world.spec)
    entries = sorted(world.entries, key=lambda entry: int(entry.id))
    return {
        "erp/subsidiaries.json": json_list(
            {
                "id": shop.subsidiary_id,
                "name": shop.subsidiary_name,
                "currency": CURRENCY_ID[shop.currency],
                "shop_id": shop.id,
            }
            for shop in shops
        ),
        "erp/currencies.json": json_list(
            {"id": currency_id, "symbol": symbol, "name": name, "isbasecurrency": base}
            for currency_id, symbol, name, base in CURRENCIES
        ),
        "erp/accounts.json": json_list(
            {
                "id": account_id,
                "acctnumber": number,
                "acctname": name,
                "accttype": kind,
                "isinactive": False,
            }
            for account_id, number, name, kind in CHART
        ),
        "erp/periods.json": json_list(periods),
        "erp/locations.json": json_list(
            {
                "id": shop.erp_location_id,
                "name": shop.location_name,
                "subsidiary": shop.subsidiary_id,
            }
            for shop in shops
        ),
        "erp/items.json": json_list(
            {"id": item.erp_id, "itemid": item.sku, "cost": item.unit_cost}
            for shop in shops
            for item in shop.items
        ),
        "erp/journal_entries.jsonl": json_lines(entry_record(entry, periods) for entry in entries),
        "erp/inventory_on_hand.jsonl": json_lines(world.on_hand),
    }


def periods_for(spec: WorldSpec) -> list[dict[str, Any]]:
    """Monthly periods from two months before the start to the month after the last business
    date; months before the start month closed (and locked), months before the last locked."""
    first_month = (spec.start.year, spec.start.month)
    last_month = (spec.last_date.year, spec.last_date.month)
    after_last = (last_month[0] + (last_month[1] == 12), last_month[1] % 12 + 1)
    year, month = spec.start.year, spec.start.month - 2
    if month < 1:
        year, month = year - 1, month + 12
    periods = []
    while (year, month) <= after_last:
        start = date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        periods.append(
            {
                "id": str((year - 2024) * 100 + month),
                "periodname": start.strftime("%b %Y"),
                "startdate": start.isoformat(),
                "enddate": (following - timedelta(days=1)).isoformat(),
                "isposting": True,
                "closed": (year, month) < first_month,
                "alllocked": (year, month) < last_month,
            }
        )
        year, month = following.year, following.month
    return periods


def period_of(periods: list[dict[str, Any]], day: str) -> str:
    return str(next(p["id"] for p in periods if p["startdate"] <= day <= p["enddate"]))


def entry_record(entry: Entry, periods: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": entry.id,
        "tranid": f"JE{entry.id}",
        "externalid": entry.externalid,
        "trandate": entry.trandate,
        "postingperiod": period_of(periods, entry.trandate),
        "subsidiary": entry.shop.subsidiary_id,
        "currency": CURRENCY_ID[entry.shop.currency],
        "memo": entry.memo,
        "created": entry.created,
        "lines": [
            {
                "line": number,
                "account": ACCOUNT_ID[account],
                "debit": money(amount) if side == "debit" else None,
                "credit": money(amount) if side == "credit" else None,
                "memo": entry.token,
            }
            for number, (account, side, amount) in enumerate(entry.lines, start=1)
        ],
    }


def truth_csv(truth: list[dict[str, str]], header: list[str] = TRUTH_HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(truth)
    return buffer.getvalue()


def json_list(records: Iterable[Any]) -> str:
    return "[" + ",\n ".join(dump(record) for record in records) + "]\n"


def json_lines(records: Iterable[Any]) -> str:
    return "".join(dump(record) + "\n" for record in records)


def dump(record: Any) -> str:
    return json.dumps(record, ensure_ascii=False)
