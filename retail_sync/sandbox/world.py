"""Read a sandbox world (the format is documented in docs/sandbox.md) as streams of plain dicts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from retail_sync.errors import RetailSyncError

FORMAT_VERSION = 1

SHOPIFY_SHOP_FILES = (
    "locations.json",
    "inventory_items.json",
    "orders.jsonl",
    "balance_transactions.jsonl",
    "payouts.jsonl",
    "inventory_levels.jsonl",
)
ERP_FILES = (
    "subsidiaries.json",
    "currencies.json",
    "accounts.json",
    "periods.json",
    "locations.json",
    "items.json",
    "journal_entries.jsonl",
    "inventory_on_hand.jsonl",
)


class WorldFormatError(RetailSyncError, ValueError):
    """A world folder is missing a file or holds a document that does not parse."""


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Yield one object per non-blank line; a bad line raises with its file and line number."""
    with path.open("r", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise WorldFormatError(f"{path}:{number}: not JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise WorldFormatError(f"{path}:{number}: expected a JSON object")
            yield record


def read_json(path: Path) -> Any:
    try:
        with path.open("r", encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise WorldFormatError(f"{path}: missing") from None
    except json.JSONDecodeError as error:
        raise WorldFormatError(f"{path}: not JSON ({error.msg})") from None


@dataclass(frozen=True)
class World:
    """A world folder on disk; every accessor re-reads the files so nothing large is held."""

    root: Path

    @classmethod
    def open(cls, root: str | Path) -> World:
        world = cls(Path(root))
        manifest = world.manifest
        if manifest.get("format_version") != FORMAT_VERSION:
            raise WorldFormatError(
                f"{world.root / 'world.json'}: format_version "
                f"{manifest.get('format_version')!r} is not {FORMAT_VERSION}"
            )
        return world

    @cached_property
    def manifest(self) -> dict[str, Any]:
        manifest = read_json(self.root / "world.json")
        if not isinstance(manifest, dict):
            raise WorldFormatError(f"{self.root / 'world.json'}: expected a JSON object")
        return manifest

    @cached_property
    def shops(self) -> list[dict[str, Any]]:
        shops = read_json(self.root / "shopify" / "shops.json")
        if not isinstance(shops, list):
            raise WorldFormatError(f"{self.root / 'shopify' / 'shops.json'}: expected a list")
        return shops

    def shop(self, shop_id: str) -> dict[str, Any]:
        for shop in self.shops:
            if shop["id"] == shop_id:
                return shop
        raise KeyError(f"no shop {shop_id!r} in world {self.root}")

    def shop_path(self, shop_id: str, name: str) -> Path:
        return self.root / "shopify" / shop_id / name

    def erp_path(self, name: str) -> Path:
        return self.root / "erp" / name

    def shop_records(self, shop_id: str, name: str) -> Iterator[dict[str, Any]]:
        """Stream a shop's `.jsonl` file, or iterate a `.json` list."""
        path = self.shop_path(shop_id, name)
        if name.endswith(".jsonl"):
            return iter_jsonl(path)
        return iter(read_json(path))

    def erp_records(self, name: str) -> Iterator[dict[str, Any]]:
        path = self.erp_path(name)
        if name.endswith(".jsonl"):
            return iter_jsonl(path)
        return iter(read_json(path))

    @property
    def truth_path(self) -> Path:
        return self.root / "truth" / "discrepancies.csv"

    def problems(self) -> list[str]:
        """Everything `retail_sync.sandbox.validate` finds wrong with this world (empty: valid)."""
        from retail_sync.sandbox.validate import validate_world  # validate imports this module

        return validate_world(self.root)
