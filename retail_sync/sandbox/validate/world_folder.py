"""The whole world folder: `world.json`, `shopify/shops.json`, then each part in turn (the truth,
`truth/discrepancies.csv` with its lines `truth/discrepancy_lines.csv`, before the shops).

Format versions 1 and 2 are read (docs/sandbox.md): version 1 has no `counter_account` column,
no lines file and may leave out every refund's `refund_shipping_lines`."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from retail_sync.sandbox.validate.erp import ErpIndex, validate_journal_entries, validate_on_hand
from retail_sync.sandbox.validate.findings import IdRegistry, ValidationProblems, key, objects
from retail_sync.sandbox.validate.shop_folder import validate_shop
from retail_sync.sandbox.validate.truth import read_truth
from retail_sync.sandbox.validate.values import is_count, is_date
from retail_sync.sandbox.validate.vocabulary import PLANS
from retail_sync.sandbox.world import (
    FORMAT_VERSION,
    READABLE_FORMAT_VERSIONS,
    WorldFormatError,
    is_readable_format_version,
    read_json,
)
from retail_sync.shops import is_shop_id


def validate_world(root: str | Path) -> list[str]:
    """Every problem found in the world at `root`; an empty list means it is valid."""
    root = Path(root)
    problems = ValidationProblems()
    try:
        _validate(root, problems)
    except WorldFormatError as error:
        problems.add(str(root), str(error))
    return problems.problems


def _validate(root: Path, problems: ValidationProblems) -> None:
    manifest = _read_manifest(root / "world.json", problems)
    if manifest is None:
        return
    shops_path = root / "shopify" / "shops.json"
    shops_where = str(shops_path)
    shops = read_json(shops_path)
    if not isinstance(shops, list) or not shops:
        problems.add(shops_where, "expected a non-empty list of shops")
        return
    shops = objects(shops_where, shops, "shops", problems)
    shop_ids = [shop.get("id") for shop in shops]
    if manifest.get("shops") != shop_ids:
        problems.add(
            str(root / "world.json"),
            f"shops {manifest.get('shops')!r} differ from shops.json {shop_ids!r}",
        )
    if len({key(shop_id) for shop_id in shop_ids}) != len(shop_ids):
        problems.add(shops_where, "duplicate shop id")
    valid_shops = [shop for shop in shops if _check_shop_record(shops_where, shop, problems)]
    # An unreadable version is reported; the rest is checked as the current version.
    version = manifest.get("format_version")
    format_version = version if is_readable_format_version(version) else FORMAT_VERSION

    truth = read_truth(
        root / "truth" / "discrepancies.csv",
        set(map(key, shop_ids)),
        problems,
        lines_path=root / "truth" / "discrepancy_lines.csv",
        format_version=format_version,
    )
    ids = IdRegistry(problems)
    erp = ErpIndex.load(root / "erp", problems)
    for shop in valid_shops:
        if problems.full:
            return
        validate_shop(root / "shopify" / shop["id"], shop, ids, truth, problems, format_version)
    validate_journal_entries(root / "erp" / "journal_entries.jsonl", erp, problems)
    validate_on_hand(root / "erp" / "inventory_on_hand.jsonl", erp, problems)
    for shop in shops:
        if key(shop.get("erp_subsidiary_id")) not in erp.subsidiaries:
            problems.add(
                shops_where, f"shop {shop.get('id')!r}: erp_subsidiary_id not in subsidiaries"
            )


def _read_manifest(path: Path, problems: ValidationProblems) -> dict[str, Any] | None:
    """`world.json`, its format version, start and days checked; None when not an object."""
    manifest = read_json(path)
    where = str(path)
    if not isinstance(manifest, dict):
        problems.add(where, "expected a JSON object")
        return None
    if not is_readable_format_version(manifest.get("format_version")):
        readable = " or ".join(map(str, READABLE_FORMAT_VERSIONS))
        problems.add(
            where, f"format_version must be {readable} (generators write {FORMAT_VERSION})"
        )
    if not is_date(manifest.get("start")):
        problems.add(where, "start must be a YYYY-MM-DD date")
    if not is_count(manifest.get("days")) or manifest["days"] < 1:
        problems.add(where, "days must be a positive integer")
    return manifest


def _check_shop_record(where: str, shop: dict[str, Any], problems: ValidationProblems) -> bool:
    """Report what is wrong with one shop; True when its id can name its folder."""
    for field in ("id", "domain", "name", "currency", "timezone", "plan", "erp_subsidiary_id"):
        if not isinstance(shop.get(field), str) or not shop[field]:
            problems.add(where, f"shop {shop.get('id')!r}: {field} must be a non-empty string")
    if key(shop.get("plan")) not in PLANS:
        problems.add(where, f"shop {shop.get('id')!r}: plan must be one of {sorted(PLANS)}")
    timezone = shop.get("timezone")
    try:
        if not isinstance(timezone, str):
            raise ValueError(timezone)
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        problems.add(where, f"shop {shop.get('id')!r}: unknown timezone {timezone!r}")
    if not is_shop_id(shop.get("id")):
        # The id names the shop's folder: anything but a handle could point outside the world.
        problems.add(
            where,
            f"shop id {shop.get('id')!r} is not a shop handle (lower-case letters, digits, '-')",
        )
        return False
    return True
