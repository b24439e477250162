"""Read a sandbox world (the format is documented in docs/sandbox.md) as streams of plain dicts."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypeGuard

from retail_sync.errors import RetailSyncError
from retail_sync.shops import is_shop_id

# Version 2 (docs/sandbox.md): per-account truth (`counter_account`, `truth/discrepancy_lines.csv`).
# Generators and builders write it; worlds of version 1 (written by hand before it) are read too:
# their truth has no counter accounts and no lines, their refunds no `refund_shipping_lines`.
FORMAT_VERSION = 2
READABLE_FORMAT_VERSIONS = (1, 2)

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


def parse_json(text: str, where: str) -> Any:
    """One JSON document, or a WorldFormatError naming `where` (a file, or a file and line).

    Stricter than `json.loads`: `NaN` and `Infinity` are not JSON, and a number too long to
    convert or a document nested too deep is an error of the document, not of the reader.
    """
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise WorldFormatError(f"{where}: not JSON ({error.msg})") from None
    except ValueError as error:  # NaN / Infinity, an integer of more than 4300 digits
        raise WorldFormatError(f"{where}: not JSON we accept ({error})") from None
    except RecursionError:
        raise WorldFormatError(f"{where}: JSON nested too deep") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Yield one object per non-blank line; a bad line raises with its file and line number."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise WorldFormatError(f"{path}: missing") from None
    except OSError as error:
        raise WorldFormatError(f"{path}: cannot be read ({error.strerror})") from None
    with handle:
        number = 0
        while True:
            try:
                raw = handle.readline()
            except OSError as error:  # a folder where the file belongs
                raise WorldFormatError(f"{path}: cannot be read ({error.strerror})") from None
            if not raw:
                return
            number += 1
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise WorldFormatError(f"{path}:{number}: not UTF-8") from None
            if not line.strip():
                continue
            record = parse_json(line, f"{path}:{number}")
            if not isinstance(record, dict):
                raise WorldFormatError(f"{path}:{number}: expected a JSON object")
            yield record


def read_json(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WorldFormatError(f"{path}: missing") from None
    except OSError as error:
        raise WorldFormatError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise WorldFormatError(f"{path}: not UTF-8 (byte {error.start})") from None
    return parse_json(text, str(path))


def read_json_objects(path: Path) -> list[dict[str, Any]]:
    """A `.json` file that holds a list of objects (every `.json` file of a world but two)."""
    document = read_json(path)
    if not isinstance(document, list):
        raise WorldFormatError(f"{path}: expected a list of JSON objects")
    for index, item in enumerate(document):
        if not isinstance(item, dict):
            raise WorldFormatError(f"{path}: item {index} is not a JSON object")
    return document


def is_readable_format_version(version: Any) -> TypeGuard[int]:
    """Whether a manifest's `format_version` is one this reader reads (`true` is not 1)."""
    return type(version) is int and version in READABLE_FORMAT_VERSIONS


def _read_csv_records(path: Path) -> list[dict[str, str]]:
    """A truth CSV file's data rows as dicts keyed by its header (a short row is an error)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            records = list(reader)
    except FileNotFoundError:
        raise WorldFormatError(f"{path}: missing") from None
    except UnicodeDecodeError:
        raise WorldFormatError(f"{path}: not UTF-8") from None
    except (OSError, csv.Error) as error:
        raise WorldFormatError(f"{path}: cannot be read ({error})") from None
    for number, record in enumerate(records, start=2):
        if None in record or None in record.values():
            raise WorldFormatError(f"{path}:{number}: not as many fields as the header")
    return records


@dataclass(frozen=True)
class World:
    """A world folder on disk; every accessor re-reads the files so nothing large is held."""

    root: Path

    @classmethod
    def open(cls, root: str | Path) -> World:
        world = cls(Path(root))
        version = world.manifest.get("format_version")
        if not is_readable_format_version(version):
            readable = " or ".join(map(str, READABLE_FORMAT_VERSIONS))
            raise WorldFormatError(
                f"{world.root / 'world.json'}: format_version {version!r} is not {readable}"
            )
        return world

    @property
    def format_version(self) -> int:
        """The manifest's `format_version` (`open` has checked it is one of the readable ones)."""
        version = self.manifest.get("format_version")
        if not is_readable_format_version(version):
            raise WorldFormatError(
                f"{self.root / 'world.json'}: format_version {version!r} is not readable"
            )
        return version

    @cached_property
    def manifest(self) -> dict[str, Any]:
        manifest = read_json(self.root / "world.json")
        if not isinstance(manifest, dict):
            raise WorldFormatError(f"{self.root / 'world.json'}: expected a JSON object")
        return manifest

    @cached_property
    def shops(self) -> list[dict[str, Any]]:
        path = self.root / "shopify" / "shops.json"
        shops = read_json_objects(path)
        for index, shop in enumerate(shops):
            # The id names the shop's folder of the world (and, served, a lake path segment).
            if not is_shop_id(shop.get("id")):
                raise WorldFormatError(
                    f"{path}: shop {index} id {shop.get('id')!r} is not a shop handle "
                    "(lower-case letters, digits and '-')"
                )
        return shops

    def shop(self, shop_id: str) -> dict[str, Any]:
        for shop in self.shops:
            if shop["id"] == shop_id:
                return shop
        raise WorldFormatError(f"{self.root / 'shopify' / 'shops.json'}: no shop {shop_id!r}")

    def shop_path(self, shop_id: str, name: str) -> Path:
        if not is_shop_id(shop_id):
            raise WorldFormatError(f"{self.root}: {shop_id!r} is not a shop handle")
        return self.root / "shopify" / shop_id / name

    def erp_path(self, name: str) -> Path:
        return self.root / "erp" / name

    def shop_records(self, shop_id: str, name: str) -> Iterator[dict[str, Any]]:
        """Stream a shop's `.jsonl` file, or iterate a `.json` list."""
        path = self.shop_path(shop_id, name)
        if name.endswith(".jsonl"):
            return iter_jsonl(path)
        return iter(read_json_objects(path))

    def erp_records(self, name: str) -> Iterator[dict[str, Any]]:
        path = self.erp_path(name)
        if name.endswith(".jsonl"):
            return iter_jsonl(path)
        return iter(read_json_objects(path))

    @property
    def truth_path(self) -> Path:
        return self.root / "truth" / "discrepancies.csv"

    @property
    def truth_lines_path(self) -> Path:
        """Per discrepancy, the delta on each account and ledger date (format version 2)."""
        return self.root / "truth" / "discrepancy_lines.csv"

    @property
    def has_truth_lines(self) -> bool:
        """Whether the truth has per-account lines: always in format 2, never in format 1."""
        return self.format_version >= 2

    def truth_records(self) -> list[dict[str, str]]:
        """The rows of `truth/discrepancies.csv` by column name. A format-1 truth has no
        `counter_account` column: its rows read it as empty."""
        records = _read_csv_records(self.truth_path)
        if self.format_version < 2:
            return [record | {"counter_account": ""} for record in records]
        for number, record in enumerate(records, start=2):
            if "counter_account" not in record:
                raise WorldFormatError(f"{self.truth_path}:{number}: no counter_account")
        return records

    def truth_line_records(self) -> list[dict[str, str]] | None:
        """The rows of `truth/discrepancy_lines.csv` by column name; None for a format-1 world,
        which has no lines (a format-2 world without the file is an error)."""
        if not self.has_truth_lines:
            return None
        return _read_csv_records(self.truth_lines_path)

    def problems(self) -> list[str]:
        """Everything `retail_sync.sandbox.validate` finds wrong with this world (empty: valid)."""
        from retail_sync.sandbox.validate import validate_world  # validate imports this module

        return validate_world(self.root)
