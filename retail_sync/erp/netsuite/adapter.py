"""The NetSuite implementation of the ERP port; nothing NetSuite-specific goes past this module."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from retail_sync.erp.netsuite.client import NetSuiteClient, OutcomeUnknown
from retail_sync.erp.port import (
    CENT,
    Account,
    ERPError,
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


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal("0")


def _optional_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _money(value: Any) -> Decimal:
    return _decimal(value).quantize(CENT)


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
    ) -> Iterator[GLLine]:
        subsidiary_filter = ""
        if subsidiary_id is not None:
            subsidiary_filter = f"AND tl.subsidiary = {int(subsidiary_id)}"
        query = GL_LINES_QUERY.format(
            start=start.isoformat(), end=end.isoformat(), subsidiary_filter=subsidiary_filter
        )
        for row in self.client.suiteql(query):
            yield GLLine(
                transaction_id=str(row["transaction_id"]),
                line_id=str(row["line_id"]),
                external_id=row.get("externalid"),
                document_number=row.get("tranid"),
                date=date.fromisoformat(row["trandate"]),
                period_id=row.get("postingperiod"),
                subsidiary_id=row.get("subsidiary"),
                account_number=str(row["acctnumber"]),
                debit=_money(row.get("debit")),
                credit=_money(row.get("credit")),
                currency=str(row["currency"]),
                memo=row.get("line_memo"),
                header_memo=row.get("header_memo"),
            )

    def accounts(self) -> list[Account]:
        rows = self.client.suiteql(
            "SELECT id, acctnumber, acctname, accttype, isinactive FROM account ORDER BY id"
        )
        accounts = [
            Account(
                id=str(r["id"]),
                number=str(r.get("acctnumber", "")),
                name=str(r.get("acctname", "")),
                type=str(r.get("accttype", "")),
                active=r.get("isinactive") != "T",
            )
            for r in rows
        ]
        with self._lock:
            self._accounts = accounts
        return accounts

    def periods(self) -> list[Period]:
        rows = self.client.suiteql(
            "SELECT id, periodname, TO_CHAR(startdate, 'YYYY-MM-DD') AS startdate, "
            "TO_CHAR(enddate, 'YYYY-MM-DD') AS enddate, closed, alllocked FROM accountingperiod "
            "WHERE isposting = 'T' AND isquarter = 'F' AND isyear = 'F' ORDER BY startdate"
        )
        periods = []
        for r in rows:
            status: PeriodStatus = "open"
            if r.get("closed") == "T":
                status = "closed"
            elif r.get("alllocked") == "T":
                status = "locked"
            periods.append(
                Period(
                    id=str(r["id"]),
                    name=str(r["periodname"]),
                    start=date.fromisoformat(r["startdate"]),
                    end=date.fromisoformat(r["enddate"]),
                    status=status,
                )
            )
        return periods

    def on_hand(
        self, as_of: date | None = None, *, subsidiary_id: str | None = None
    ) -> Iterator[OnHand]:
        subsidiary_filter = ""
        if subsidiary_id is not None:
            subsidiary_filter = f"l.subsidiary = {int(subsidiary_id)}"
        if as_of is None:
            rows = self.client.suiteql(
                "SELECT ib.item, i.itemid, ib.location, l.name AS location_name, l.subsidiary, "
                "ib.quantityonhand FROM inventorybalance ib JOIN item i ON i.id = ib.item "
                "JOIN location l ON l.id = ib.location "
                + (f"WHERE {subsidiary_filter} " if subsidiary_filter else "")
                + "ORDER BY ib.item, ib.location"
            )
            for r in rows:
                yield OnHand(
                    str(r["item"]),
                    str(r["itemid"]),
                    str(r["location"]),
                    str(r["location_name"]),
                    _decimal(r.get("quantityonhand")),
                    None,
                    _optional_str(r.get("subsidiary")),
                )
            return
        # The end-of-day snapshot custom record: the latest snapshot at or before `as_of`.
        rows = self.client.suiteql(
            "SELECT s.custrecord_rs_item AS item, i.itemid, s.custrecord_rs_location AS location, "
            "l.name AS location_name, l.subsidiary, "
            "TO_CHAR(s.custrecord_rs_asof, 'YYYY-MM-DD') AS asof, "
            "s.custrecord_rs_quantityonhand AS quantity FROM customrecord_rs_onhand_snapshot s "
            "JOIN item i ON i.id = s.custrecord_rs_item "
            "JOIN location l ON l.id = s.custrecord_rs_location "
            f"WHERE s.custrecord_rs_asof <= TO_DATE('{as_of.isoformat()}', 'YYYY-MM-DD') "
            + (f"AND {subsidiary_filter} " if subsidiary_filter else "")
            + "ORDER BY s.custrecord_rs_item, s.custrecord_rs_location, s.custrecord_rs_asof"
        )
        latest: dict[tuple[str, str], OnHand] = {}
        for r in rows:
            key = (str(r["item"]), str(r["location"]))
            latest[key] = OnHand(
                key[0],
                str(r["itemid"]),
                key[1],
                str(r["location_name"]),
                _decimal(r.get("quantity")),
                date.fromisoformat(r["asof"]),
                _optional_str(r.get("subsidiary")),
            )
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
                erp_id = self.client.create_journal(body)
                return PostResult("posted", draft.external_id, erp_id)
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
        lines = []
        for item in record.get("line", {}).get("items", []):
            account_id = str(item["account"]["id"])
            lines.append(
                JournalLineDraft(
                    account_number=numbers.get(account_id, account_id),
                    debit=_money(item.get("debit")),
                    credit=_money(item.get("credit")),
                    memo=item.get("memo"),
                )
            )
        return PostedJournal(
            erp_id=str(record["id"]),
            external_id=record.get("externalId"),
            date=date.fromisoformat(record["tranDate"]),
            memo=record.get("memo"),
            lines=tuple(lines),
        )

    # ---- helpers -----------------------------------------------------------------------
    def _lookup_id(self, external_id: str) -> str | None:
        record = self.client.get_journal(f"eid:{external_id}")
        return str(record["id"]) if record else None

    def _cached_accounts(self) -> list[Account]:
        with self._lock:
            cached = self._accounts
        return cached if cached is not None else self.accounts()

    def _currency_id(self, symbol: str) -> str:
        with self._lock:
            known = self._currency_ids
        if known is None:
            known = {
                str(r["symbol"]).upper(): str(r["id"])
                for r in self.client.suiteql("SELECT id, symbol FROM currency")
            }
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
                ids = {a.number: a.id for a in self.accounts()}  # chart may have changed
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
