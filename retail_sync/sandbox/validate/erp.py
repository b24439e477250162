"""The ERP side: reference data, `journal_entries.jsonl` and `inventory_on_hand.jsonl`."""

from __future__ import annotations

import re
from collections.abc import Hashable
from itertools import pairwise
from pathlib import Path
from typing import Any

from retail_sync.sandbox.validate.findings import ValidationProblems, document_objects, key, objects
from retail_sync.sandbox.validate.values import (
    cents,
    format_cents,
    is_count,
    is_date,
    is_timestamp,
    unit_cost_field,
)
from retail_sync.sandbox.validate.vocabulary import ACCOUNT_TYPES
from retail_sync.sandbox.world import iter_jsonl


class ErpIndex:
    """The ERP reference data that journal lines and on-hand rows point at."""

    def __init__(self) -> None:
        self.subsidiaries: dict[Hashable, dict[str, Any]] = {}
        self.currencies: set[Hashable] = set()
        self.accounts: set[Hashable] = set()
        self.periods: dict[Hashable, tuple[str, str]] = {}
        self.locations: set[Hashable] = set()
        self.items: set[Hashable] = set()

    @classmethod
    def load(cls, folder: Path, problems: ValidationProblems) -> ErpIndex:
        index = cls()
        index._load_ids(folder, problems)
        _check_accounts(folder, problems)
        index._load_subsidiaries(folder, problems)
        index._load_periods(folder, problems)
        return index

    def _load_ids(self, folder: Path, problems: ValidationProblems) -> None:
        """Currencies, accounts, locations and items: unique digit-string ids (and each item's
        number and costs)."""
        for name, target in (
            ("currencies.json", self.currencies),
            ("accounts.json", self.accounts),
            ("locations.json", self.locations),
            ("items.json", self.items),
        ):
            for record in document_objects(folder / name, problems):
                record_id = record.get("id")
                if not isinstance(record_id, str) or not record_id.isdigit():
                    problems.add(str(folder / name), f"id {record_id!r} must be a digit string")
                if key(record_id) in target:
                    problems.add(str(folder / name), f"duplicate id {record_id!r}")
                target.add(key(record_id))
                if name == "items.json":
                    _check_item(f"{folder / name} item {record_id!r}", record, problems)

    def _load_subsidiaries(self, folder: Path, problems: ValidationProblems) -> None:
        for subsidiary in document_objects(folder / "subsidiaries.json", problems):
            self.subsidiaries[key(subsidiary.get("id"))] = subsidiary
            if key(subsidiary.get("currency")) not in self.currencies:
                problems.add(str(folder / "subsidiaries.json"), "currency not in currencies.json")

    def _load_periods(self, folder: Path, problems: ValidationProblems) -> None:
        """Posting periods with dates in order, locked when closed, and not overlapping."""
        ranges: list[tuple[str, str]] = []
        for period in document_objects(folder / "periods.json", problems):
            where = f"{folder / 'periods.json'} period {period.get('id')!r}"
            start, end = period.get("startdate"), period.get("enddate")
            if not (is_date(start) and is_date(end) and start <= end):
                problems.add(where, "startdate/enddate must be dates with start <= end")
                continue
            if period.get("closed") and not period.get("alllocked"):
                problems.add(where, "a closed period is also locked (alllocked true)")
            if "id" not in period:
                problems.add(where, "a period needs an id")
                continue
            self.periods[key(period["id"])] = (start, end)
            ranges.append((start, end))
        ranges.sort()
        for (_, previous_end), (next_start, _) in pairwise(ranges):
            if next_start <= previous_end:
                problems.add(str(folder / "periods.json"), "posting periods overlap")


def _check_accounts(folder: Path, problems: ValidationProblems) -> None:
    """Known account types and unique account numbers."""
    account_numbers: set[Hashable] = set()
    for account in document_objects(folder / "accounts.json", problems):
        if key(account.get("accttype")) not in ACCOUNT_TYPES:
            problems.add(str(folder / "accounts.json"), f"accttype {account.get('accttype')!r}")
        if key(account.get("acctnumber")) in account_numbers:
            problems.add(str(folder / "accounts.json"), "duplicate acctnumber")
        account_numbers.add(key(account.get("acctnumber")))


def _check_item(where: str, item: dict[str, Any], problems: ValidationProblems) -> None:
    """An item number, and costs the ERP can hold: `cost` (NetSuite's Purchase Price, two
    decimals) and `averagecost` (its Average Cost, up to six), each absent or null when none."""
    if not isinstance(item.get("itemid"), str) or not item["itemid"]:
        problems.add(where, "itemid must be a non-empty string")
    unit_cost_field(where, item, "cost", problems, places=2)
    unit_cost_field(where, item, "averagecost", problems, places=6)


def validate_journal_entries(path: Path, erp: ErpIndex, problems: ValidationProblems) -> None:
    entry_ids: set[Hashable] = set()
    external_ids: set[Hashable] = set()
    for number, entry in enumerate(iter_jsonl(path), start=1):
        if problems.full:
            return
        where = f"{path}:{number} entry {entry.get('id')!r}"
        _check_entry_ids(where, entry, entry_ids, external_ids, problems)
        _check_entry_placement(where, entry, erp, problems)
        _check_entry_lines(where, entry, erp, problems)


def _check_entry_ids(
    where: str,
    entry: dict[str, Any],
    entry_ids: set[Hashable],
    external_ids: set[Hashable],
    problems: ValidationProblems,
) -> None:
    """A unique digit-string id, and a unique, well-formed externalid where there is one."""
    entry_id = entry.get("id")
    if not isinstance(entry_id, str) or not entry_id.isdigit():
        problems.add(where, "id must be a digit string")
    if key(entry_id) in entry_ids:
        problems.add(where, "duplicate journal entry id")
    entry_ids.add(key(entry_id))
    external_id = entry.get("externalid")
    if external_id is not None:
        if not isinstance(external_id, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", external_id):
            problems.add(where, "externalid may hold only letters, digits, _ and -")
        if key(external_id) in external_ids:
            problems.add(where, f"duplicate externalid {external_id!r}")
        external_ids.add(key(external_id))


def _check_entry_placement(
    where: str, entry: dict[str, Any], erp: ErpIndex, problems: ValidationProblems
) -> None:
    """Subsidiary and its currency, a trandate within its posting period, a created time."""
    subsidiary = erp.subsidiaries.get(key(entry.get("subsidiary")))
    if subsidiary is None:
        problems.add(where, f"unknown subsidiary {entry.get('subsidiary')!r}")
    elif entry.get("currency") != subsidiary.get("currency"):
        problems.add(where, "currency must be the subsidiary's currency")
    trandate = entry.get("trandate")
    period = erp.periods.get(key(entry.get("postingperiod")))
    if not is_date(trandate):
        problems.add(where, "trandate must be YYYY-MM-DD")
    elif period is None:
        problems.add(where, f"unknown postingperiod {entry.get('postingperiod')!r}")
    elif not period[0] <= trandate <= period[1]:
        problems.add(where, f"trandate {trandate} is outside its posting period")
    if not is_timestamp(entry.get("created")):
        problems.add(where, "created must be RFC 3339 with an offset")


def _check_entry_lines(
    where: str, entry: dict[str, Any], erp: ErpIndex, problems: ValidationProblems
) -> None:
    """Two lines at least, each on a known account with one amount; debits equal credits."""
    debit_total = credit_total = 0
    lines = objects(where, entry.get("lines"), "lines", problems)
    if len(lines) < 2:
        problems.add(where, "a journal entry needs at least two lines")
    for line in lines:
        line_where = f"{where} line {line.get('line')!r}"
        if key(line.get("account")) not in erp.accounts:
            problems.add(line_where, f"unknown account {line.get('account')!r}")
        debit, credit = line.get("debit"), line.get("credit")
        if (debit is None) == (credit is None):
            problems.add(line_where, "exactly one of debit and credit must be set")
            continue
        amount = cents(debit if debit is not None else credit)
        if amount is None or amount < 0:
            problems.add(line_where, "amount must be a non-negative money string")
            continue
        if debit is not None:
            debit_total += amount
        else:
            credit_total += amount
    if debit_total != credit_total:
        problems.add(
            where,
            f"unbalanced: debits {format_cents(debit_total)} != credits "
            f"{format_cents(credit_total)}",
        )


def validate_on_hand(path: Path, erp: ErpIndex, problems: ValidationProblems) -> None:
    seen: set[tuple[Hashable, Hashable, Hashable]] = set()
    for number, row in enumerate(iter_jsonl(path), start=1):
        if problems.full:
            return
        where = f"{path}:{number}"
        if key(row.get("item")) not in erp.items:
            problems.add(where, f"unknown item {row.get('item')!r}")
        if key(row.get("location")) not in erp.locations:
            problems.add(where, f"unknown location {row.get('location')!r}")
        if not is_date(row.get("as_of")):
            problems.add(where, "as_of must be YYYY-MM-DD")
        if not is_count(row.get("quantityonhand")):
            problems.add(where, "quantityonhand must be an integer")
        row_key = (key(row.get("item")), key(row.get("location")), key(row.get("as_of")))
        if row_key in seen:
            problems.add(where, "duplicate item/location/as_of")
        seen.add(row_key)
