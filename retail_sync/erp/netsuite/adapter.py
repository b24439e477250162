"""The NetSuite implementation of the ERP port; nothing NetSuite-specific goes past this module."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from retail_sync.erp.netsuite import rows
from retail_sync.erp.netsuite.client import NetSuiteClient, OutcomeUnknown
from retail_sync.erp.netsuite.config import parse_subsidiary_id
from retail_sync.erp.port import (
    Account,
    ERPError,
    ERPMalformedResponse,
    ERPRejected,
    ERPUnavailable,
    GLLine,
    JournalEntryDraft,
    JournalLineDraft,
    OnHand,
    Period,
    PeriodStatus,
    PostedJournal,
    PostResult,
    RejectedRow,
)

log = logging.getLogger(__name__)

GL_LINES_QUERY = """
SELECT t.id AS transaction_id, tl.id AS line_id, t.externalid, t.tranid,
       TO_CHAR(t.trandate, 'YYYY-MM-DD') AS trandate, t.postingperiod, tl.subsidiary,
       a.acctnumber, tal.debit, tal.credit, c.symbol AS currency, tl.memo AS line_memo,
       t.memo AS header_memo
FROM transactionaccountingline tal
JOIN transactionline tl ON tl.transaction = tal.transaction AND tl.id = tal.transactionline
JOIN transaction t ON t.id = tal.transaction
JOIN account a ON a.id = tal.account
JOIN subsidiary s ON s.id = tl.subsidiary
JOIN currency c ON c.id = s.currency
WHERE tal.posting = 'T'
  AND t.trandate BETWEEN TO_DATE('{start}', 'YYYY-MM-DD') AND TO_DATE('{end}', 'YYYY-MM-DD')
  {subsidiary_filter}
ORDER BY t.id, tl.id
"""


GL_KEY = ("transaction_id", "line_id")
ON_HAND_KEY = ("item", "location")
# The item's cost, read beside its on-hand: `averagecost` (the Average Cost NetSuite values an
# average-costed inventory item at) and `cost` (its Purchase Price, the fallback), both item
# fields, in the currency of the location's subsidiary. Six places: an average cost is a quotient.
# It is the item's cost when read, also for an earlier date's snapshot: the item keeps no history.
ON_HAND_COST_COLUMNS = "i.averagecost, i.cost, cur.symbol AS currency "
ON_HAND_COST_JOINS = (
    "LEFT JOIN subsidiary sub ON sub.id = l.subsidiary "
    "LEFT JOIN currency cur ON cur.id = sub.currency "
)
COST_PLACES = 6


def _gl_line(row: dict[str, Any], start: date, end: date, subsidiary_id: str | None) -> GLLine:
    day = rows.iso_date(row, "trandate")
    if not start <= day <= end:
        raise rows.BadRow(f"trandate {day} is outside the window read ({start}..{end})")
    subsidiary = rows.text(row, "subsidiary", required=False)
    if subsidiary_id is not None and subsidiary != subsidiary_id:
        raise rows.BadRow(f"subsidiary is not the one read ({subsidiary_id})")
    return GLLine(
        transaction_id=rows.required_text(row, "transaction_id"),
        line_id=rows.required_text(row, "line_id"),
        external_id=rows.text(row, "externalid", required=False),
        document_number=rows.text(row, "tranid", required=False),
        date=day,
        period_id=rows.text(row, "postingperiod", required=False),
        subsidiary_id=subsidiary,
        account_number=rows.required_text(row, "acctnumber"),
        debit=rows.decimal(row, "debit", places=2, digits=18),
        credit=rows.decimal(row, "credit", places=2, digits=18),
        currency=rows.currency(row, "currency"),
        memo=rows.text(row, "line_memo", required=False),
        header_memo=rows.text(row, "header_memo", required=False),
    )


def _on_hand(
    row: dict[str, Any], as_of: date | None, subsidiary_id: str | None, quantity_field: str
) -> OnHand:
    snapshot_date = None
    if as_of is not None:
        snapshot_date = rows.iso_date(row, "asof")
        if snapshot_date > as_of:
            raise rows.BadRow(f"asof {snapshot_date} is after the date read ({as_of})")
    subsidiary = rows.text(row, "subsidiary", required=False)
    if subsidiary_id is not None and subsidiary != subsidiary_id:
        raise rows.BadRow(f"subsidiary is not the one read ({subsidiary_id})")
    unit_cost, cost_currency = _unit_cost(row)
    return OnHand(
        rows.required_text(row, "item"),
        rows.required_text(row, "itemid"),
        rows.required_text(row, "location"),
        rows.required_text(row, "location_name"),
        rows.decimal(row, quantity_field, places=4, digits=18),
        snapshot_date,
        subsidiary,
        unit_cost,
        cost_currency,
    )


def _unit_cost(row: dict[str, Any]) -> tuple[Decimal | None, str | None]:
    """The item's ERP cost and its currency: the average cost, else the purchase price; (None,
    None) when the item has neither. A cost or currency that is there must read."""
    average = rows.optional_decimal(row, "averagecost", places=COST_PLACES, digits=18)
    purchase = rows.optional_decimal(row, "cost", places=COST_PLACES, digits=18)
    currency = None if row.get("currency") in (None, "") else rows.currency(row, "currency")
    cost = average if average is not None else purchase
    return cost, (currency if cost is not None else None)


def _account(row: dict[str, Any]) -> Account:
    return Account(
        id=rows.required_text(row, "id"),
        number=rows.text(row, "acctnumber", required=False) or "",
        name=rows.text(row, "acctname", required=False) or "",
        type=rows.text(row, "accttype", required=False) or "",
        active=not rows.flag(row, "isinactive"),
    )


def _period(row: dict[str, Any]) -> Period:
    start, end = rows.iso_date(row, "startdate"), rows.iso_date(row, "enddate")
    if end < start:
        raise rows.BadRow(f"enddate {end} is before startdate {start}")
    status: PeriodStatus = "open"
    if rows.flag(row, "closed"):
        status = "closed"
    elif rows.flag(row, "alllocked"):
        status = "locked"
    return Period(
        id=rows.required_text(row, "id"),
        name=rows.required_text(row, "periodname"),
        start=start,
        end=end,
        status=status,
    )


def _subsidiary_id(subsidiary_id: str | None) -> str | None:
    """The subsidiary as the rows carry it (digits), or NetSuiteConfigError: it goes into SQL."""
    return None if subsidiary_id is None else str(parse_subsidiary_id(subsidiary_id))


class NetSuiteERP:
    """`ERPPort` over a `NetSuiteClient` (SuiteQL for reads, record API for journals)."""

    def __init__(self, client: NetSuiteClient) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._accounts: list[Account] | None = None
        self._currency_ids: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"NetSuiteERP({self.client!r})"

    # ---- reads -------------------------------------------------------------------------
    def gl_lines(
        self, start: date, end: date, *, subsidiary_id: str | None = None
    ) -> Iterator[GLLine | RejectedRow]:
        subsidiary = _subsidiary_id(subsidiary_id)
        subsidiary_filter = "" if subsidiary is None else f"AND tl.subsidiary = {subsidiary}"
        query = GL_LINES_QUERY.format(
            start=start.isoformat(), end=end.isoformat(), subsidiary_filter=subsidiary_filter
        )
        for row in self.client.suiteql(query):
            try:
                yield _gl_line(row, start, end, subsidiary)
            except rows.BadRow as error:
                yield rows.reject("gl_lines", row, GL_KEY, error)

    def accounts(self) -> list[Account | RejectedRow]:
        read: list[Account | RejectedRow] = []
        for row in self.client.suiteql(
            "SELECT id, acctnumber, acctname, accttype, isinactive FROM account ORDER BY id"
        ):
            try:
                read.append(_account(row))
            except rows.BadRow as error:
                read.append(rows.reject("accounts", row, ("id",), error))
        with self._lock:
            self._accounts = [account for account in read if isinstance(account, Account)]
        return read

    def periods(self) -> list[Period | RejectedRow]:
        read: list[Period | RejectedRow] = []
        for row in self.client.suiteql(
            "SELECT id, periodname, TO_CHAR(startdate, 'YYYY-MM-DD') AS startdate, "
            "TO_CHAR(enddate, 'YYYY-MM-DD') AS enddate, closed, alllocked FROM accountingperiod "
            "WHERE isposting = 'T' AND isquarter = 'F' AND isyear = 'F' ORDER BY startdate"
        ):
            try:
                read.append(_period(row))
            except rows.BadRow as error:
                read.append(rows.reject("periods", row, ("id",), error))
        return read

    def on_hand(
        self, as_of: date | None = None, *, subsidiary_id: str | None = None
    ) -> Iterator[OnHand | RejectedRow]:
        subsidiary = _subsidiary_id(subsidiary_id)
        subsidiary_filter = "" if subsidiary is None else f"l.subsidiary = {subsidiary}"
        if as_of is None:
            current = self.client.suiteql(
                "SELECT ib.item, i.itemid, ib.location, l.name AS location_name, l.subsidiary, "
                "ib.quantityonhand, " + ON_HAND_COST_COLUMNS + "FROM inventorybalance ib "
                "JOIN item i ON i.id = ib.item JOIN location l ON l.id = ib.location "
                + ON_HAND_COST_JOINS
                + (f"WHERE {subsidiary_filter} " if subsidiary_filter else "")
                + "ORDER BY ib.item, ib.location"
            )
            for row in current:
                try:
                    yield _on_hand(row, None, subsidiary, "quantityonhand")
                except rows.BadRow as error:
                    yield rows.reject("on_hand", row, ON_HAND_KEY, error)
            return
        # The end-of-day snapshot custom record: the latest snapshot at or before `as_of`.
        snapshots = self.client.suiteql(
            "SELECT s.custrecord_rs_item AS item, i.itemid, s.custrecord_rs_location AS location, "
            "l.name AS location_name, l.subsidiary, "
            "TO_CHAR(s.custrecord_rs_asof, 'YYYY-MM-DD') AS asof, "
            "s.custrecord_rs_quantityonhand AS quantity, " + ON_HAND_COST_COLUMNS + "FROM "
            "customrecord_rs_onhand_snapshot s JOIN item i ON i.id = s.custrecord_rs_item "
            "JOIN location l ON l.id = s.custrecord_rs_location "
            + ON_HAND_COST_JOINS
            + f"WHERE s.custrecord_rs_asof <= TO_DATE('{as_of.isoformat()}', 'YYYY-MM-DD') "
            + (f"AND {subsidiary_filter} " if subsidiary_filter else "")
            + "ORDER BY s.custrecord_rs_item, s.custrecord_rs_location, s.custrecord_rs_asof"
        )
        latest: dict[tuple[str, str], OnHand] = {}
        for row in snapshots:
            try:
                snapshot = _on_hand(row, as_of, subsidiary, "quantity")
            except rows.BadRow as error:
                yield rows.reject("on_hand", row, ON_HAND_KEY, error)
                continue
            latest[(snapshot.item_id, snapshot.location_id)] = snapshot
        yield from latest.values()

    # ---- writes ------------------------------------------------------------------------
    def post_journal(self, draft: JournalEntryDraft) -> PostResult:
        """Post once. A duplicate external id or a lost response resolves, by lookup, to
        `already_posted`; a second entry is never created."""
        draft.check_balanced()
        body = self._journal_body(draft)
        policy = self.client.retry
        last: ERPError | None = None
        for attempt in range(1, policy.max_attempts + 1):
            try:
                created = self.client.create_journal(body)
                return PostResult(
                    "posted", draft.external_id, created.erp_id, created.correlation_id
                )
            except ERPRejected as error:
                existing = self._lookup_id(draft.external_id)
                if existing is not None:
                    log.info(
                        "journal %s already in NetSuite as %s (%s)",
                        draft.external_id,
                        existing,
                        error.code,
                    )
                    return PostResult("already_posted", draft.external_id, existing)
                raise
            except OutcomeUnknown as error:
                last = error
                existing = self._lookup_id(draft.external_id)
                if existing is not None:
                    log.info(
                        "journal %s found in NetSuite as %s after %s",
                        draft.external_id,
                        existing,
                        error.code,
                    )
                    return PostResult("already_posted", draft.external_id, existing)
            if attempt < policy.max_attempts:
                self.client._sleep(policy.delay(attempt, self.client._rng))
        raise ERPUnavailable(
            f"journal {draft.external_id} not posted after {policy.max_attempts} attempts: {last}",
            code=last.code if last else None,
            correlation_id=last.correlation_id if last else None,
        )

    def find_journal(self, external_id: str) -> PostedJournal | None:
        record = self.client.get_journal(f"eid:{external_id}")
        if record is None:
            return None
        numbers = {a.id: a.number for a in self._cached_accounts()}
        try:
            return _posted_journal(record, numbers)
        except rows.BadRow as error:
            raise ERPMalformedResponse(
                f"NetSuite journal entry eid:{external_id} cannot be read: {error}",
                retryable=False,
            ) from None

    # ---- helpers -----------------------------------------------------------------------
    def _lookup_id(self, external_id: str) -> str | None:
        record = self.client.get_journal(f"eid:{external_id}")
        if record is None:
            return None
        try:
            return rows.required_text(record, "id")
        except rows.BadRow as error:
            raise ERPMalformedResponse(
                f"NetSuite journal entry eid:{external_id} cannot be read: {error}",
                retryable=False,
            ) from None

    def _cached_accounts(self) -> list[Account]:
        with self._lock:
            cached = self._accounts
        if cached is None:
            self.accounts()  # a row it cannot read is left out: an unknown account is refused
            with self._lock:
                cached = self._accounts
        return cached or []

    def _currency_id(self, symbol: str) -> str:
        with self._lock:
            known = self._currency_ids
        if known is None:
            known = {}
            for row in self.client.suiteql("SELECT id, symbol FROM currency"):
                code, currency_id = row.get("symbol"), row.get("id")
                if isinstance(code, str) and isinstance(currency_id, str | int):
                    known[code.upper()] = str(currency_id)
            with self._lock:
                self._currency_ids = known
        if symbol.upper() not in known:
            raise ERPRejected(
                f"currency {symbol} is not set up in NetSuite", code="UNKNOWN_CURRENCY"
            )
        return known[symbol.upper()]

    def _journal_body(self, draft: JournalEntryDraft) -> dict[str, Any]:
        ids = {a.number: a.id for a in self._cached_accounts()}
        items = []
        for line in draft.lines:
            if line.account_number not in ids:
                self.accounts()  # the chart may have changed
                ids = {a.number: a.id for a in self._cached_accounts()}
            if line.account_number not in ids:
                raise ERPRejected(
                    f"journal {draft.external_id}: account {line.account_number} is not in the "
                    "NetSuite chart of accounts",
                    code="UNKNOWN_ACCOUNT",
                )
            item: dict[str, Any] = {"account": {"id": ids[line.account_number]}}
            if line.debit > 0:
                item["debit"] = line.debit
            else:
                item["credit"] = line.credit
            if line.memo:
                item["memo"] = line.memo
            items.append(item)
        return {
            "externalId": draft.external_id,
            "tranDate": draft.date.isoformat(),
            "subsidiary": {"id": draft.subsidiary_id},
            "currency": {"id": self._currency_id(draft.currency)},
            "memo": draft.memo,
            "line": {"items": items},
        }


def _posted_journal(record: dict[str, Any], numbers: dict[str, str]) -> PostedJournal:
    """A journal entry record (lines expanded) as the port's PostedJournal, or BadRow."""
    sublist = record.get("line", {})
    items = sublist.get("items", []) if isinstance(sublist, dict) else None
    if not isinstance(items, list):
        raise rows.BadRow("line.items is not a list")
    lines = []
    for item in items:
        account = item.get("account") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(account, dict):
            raise rows.BadRow("a line has no account object")
        account_id = rows.required_text(account, "id")
        lines.append(
            JournalLineDraft(
                account_number=numbers.get(account_id, account_id),
                debit=rows.decimal(item, "debit", places=2, digits=18),
                credit=rows.decimal(item, "credit", places=2, digits=18),
                memo=rows.text(item, "memo", required=False),
            )
        )
    return PostedJournal(
        erp_id=rows.required_text(record, "id"),
        external_id=rows.text(record, "externalId", required=False),
        date=rows.iso_date(record, "tranDate"),
        memo=rows.text(record, "memo", required=False),
        lines=tuple(lines),
    )
