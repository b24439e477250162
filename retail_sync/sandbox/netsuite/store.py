"""The simulator's ledger: one DuckDB file per state dir, seeded from a world, behind one lock."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb

from retail_sync.sandbox.netsuite.schema import (
    TABLES,
    add_missing_columns,
    create_tables,
    journal_rows,
    seed_from_world,
)
from retail_sync.sandbox.netsuite.suiteql import SuiteQLError, translate
from retail_sync.sandbox.world import World

EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_\-]{1,255}$")
CENT = Decimal("0.01")


class RecordError(Exception):
    """A record request NetSuite refuses: HTTP status, o:errorCode, detail, optional o:errorPath."""

    def __init__(self, status: int, code: str, detail: str, path: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.path = path


@dataclass(frozen=True)
class QueryPage:
    items: list[dict[str, Any]]
    total: int


def suiteql_value(value: Any) -> Any:
    """SuiteQL answers every value as a string: dates M/D/YYYY, numbers in plain notation."""
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, datetime):
        return f"{value.month}/{value.day}/{value.year}"
    if isinstance(value, date):
        return f"{value.month}/{value.day}/{value.year}"
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:  # quantities: no padding zeros
            value = value.normalize() if value != 0 else Decimal(0)
        return format(value, "f")
    return str(value)


class LedgerStore:
    """All simulator state; every access holds `lock` (DuckDB allows one writer per file)."""

    def __init__(self, path: Path, world: World | None, clock: Callable[[], datetime]) -> None:
        self.path = path
        self.clock = clock
        self.lock = threading.RLock()
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists()
        self.con = duckdb.connect(str(path))
        self.con.execute("SET threads = 1")  # stable row order for un-ordered paging
        if fresh:
            if world is None:
                raise FileNotFoundError(f"{path}: no state yet and no world to seed it from")
            self.con.execute("BEGIN")
            create_tables(self.con)
            seed_from_world(self.con, world)
            self.con.execute(
                "INSERT INTO _meta VALUES ('world', ?), ('seeded_at', ?)",
                [str(world.root), clock().isoformat()],
            )
            self.con.execute("COMMIT")
            self.con.execute("CHECKPOINT")
        else:
            add_missing_columns(self.con)

    def close(self) -> None:
        with self.lock:
            self.con.close()

    # ---- SuiteQL -------------------------------------------------------------------------
    def suiteql(self, query: str, limit: int, offset: int) -> QueryPage:
        translated = translate(query)
        inner = translated.sql
        if translated.row_limit is not None:
            inner = f"SELECT * FROM ({inner}) LIMIT {translated.row_limit}"
        with self.lock:
            try:
                total_row = self.con.execute(f"SELECT count(*) FROM ({inner})").fetchone()
                cursor = self.con.execute(
                    f"SELECT * FROM ({inner}) LIMIT {int(limit)} OFFSET {int(offset)}"
                )
                names = [d[0].lower() for d in cursor.description or []]
                rows = cursor.fetchall()
            except duckdb.Error as error:
                message = str(error).splitlines()[0]
                raise SuiteQLError(
                    "Invalid search query. Detailed unprocessed description follows. "
                    f"Search error occurred: {message}"
                ) from None
        total = int(total_row[0]) if total_row else 0
        items = []
        for row in rows:
            # NetSuite leaves out null fields and gives each row an empty links list.
            item: dict[str, Any] = {"links": []}
            for name, value in zip(names, row, strict=True):
                if value is not None:
                    item[name] = suiteql_value(value)
            items.append(item)
        return QueryPage(items=items, total=total)

    # ---- journal entries -----------------------------------------------------------------
    def find_journal_id(self, external_id: str) -> int | None:
        with self.lock:
            row = self.con.execute(
                'SELECT id FROM "transaction" WHERE externalid = ? '
                "AND recordtype = 'journalentry'",
                [external_id],
            ).fetchone()
        return int(row[0]) if row else None

    def journal_exists(self, internal_id: int) -> bool:
        with self.lock:
            row = self.con.execute(
                "SELECT 1 FROM \"transaction\" WHERE id = ? AND recordtype = 'journalentry'",
                [internal_id],
            ).fetchone()
        return row is not None

    def create_journal(self, body: dict[str, Any], *, external_id: str | None = None) -> int:
        """Validate and insert a journal entry; return its internal id."""
        with self.lock:
            entry = self._validated(body, external_id=external_id)
            if entry["externalid"] is not None and self.find_journal_id(entry["externalid"]):
                raise RecordError(
                    400,
                    "DUP_RCRD",
                    "Error while accessing a resource. This record already exists: a "
                    f"journalentry with external ID {entry['externalid']} exists.",
                    "externalId",
                )
            row = self.con.execute('SELECT coalesce(max(id), 0) + 1 FROM "transaction"').fetchone()
            entry["id"] = str(row[0] if row else 1)
            self._insert_journal(entry)
            return int(entry["id"])

    def upsert_journal(self, external_id: str, body: dict[str, Any]) -> tuple[int, bool]:
        """PUT …/eid:<id>: replace the entry with that external id, or create it."""
        with self.lock:
            existing = self.find_journal_id(external_id)
            if existing is None:
                return self.create_journal(body, external_id=external_id), True
            entry = self._validated(body, external_id=external_id)
            self._check_period_open(self._period_of_existing(existing), "line")
            entry["id"] = str(existing)
            self.con.execute("BEGIN")
            try:
                for table, key in (
                    ("transactionaccountingline", "transaction"),
                    ("transactionline", "transaction"),
                    ("transaction", "id"),
                ):
                    self.con.execute(f'DELETE FROM "{table}" WHERE "{key}" = ?', [existing])
                self._insert_journal(entry, in_transaction=True)
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            return existing, False

    def _period_of_existing(self, internal_id: int) -> int:
        row = self.con.execute(
            'SELECT postingperiod FROM "transaction" WHERE id = ?', [internal_id]
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else -1

    def _insert_journal(self, entry: dict[str, Any], *, in_transaction: bool = False) -> None:
        header, lines, accounting = journal_rows(entry)
        if not in_transaction:
            self.con.execute("BEGIN")
        try:
            self.con.execute(
                f'INSERT INTO "transaction" VALUES ({", ".join("?" * len(header))})', list(header)
            )
            width = len(TABLES["transactionline"])
            self.con.executemany(
                f'INSERT INTO "transactionline" VALUES ({", ".join("?" * width)})', lines
            )
            width = len(TABLES["transactionaccountingline"])
            self.con.executemany(
                f'INSERT INTO "transactionaccountingline" VALUES ({", ".join("?" * width)})',
                accounting,
            )
            if not in_transaction:
                self.con.execute("COMMIT")
        except BaseException:
            if not in_transaction:
                self.con.execute("ROLLBACK")
            raise

    def _validated(self, body: dict[str, Any], *, external_id: str | None) -> dict[str, Any]:
        """Check a journalentry body as NetSuite would; return it in world-entry shape."""
        eid = body.get("externalId", external_id)
        if external_id is not None and eid != external_id:
            raise RecordError(
                400,
                "INVALID_VALUE",
                "The externalId in the body differs from the URL.",
                "externalId",
            )
        if eid is not None and (not isinstance(eid, str) or not EXTERNAL_ID.match(eid)):
            raise RecordError(
                400,
                "INVALID_VALUE",
                f"Invalid Field Value {eid!r} for the following field: externalId.",
                "externalId",
            )
        tran_date = _parse_date(body.get("tranDate"), "tranDate")
        subsidiary = _required_ref(body.get("subsidiary"), "subsidiary")
        self._require_row("subsidiary", subsidiary, "subsidiary")
        currency = _ref(body.get("currency"), "currency", required=False)
        if currency is None:
            row = self.con.execute(
                "SELECT currency FROM subsidiary WHERE id = ?", [int(subsidiary)]
            ).fetchone()
            currency = str(row[0]) if row else None
        else:
            self._require_row("currency", currency, "currency")
        line = body.get("line")
        items = line.get("items") if isinstance(line, dict) else None
        if not items:
            raise RecordError(
                400,
                "USER_ERROR",
                "Error while accessing a resource. You must enter at least one line item for "
                "this transaction.",
                "line",
            )
        lines = []
        total_debit = total_credit = Decimal("0")
        for index, item in enumerate(items):
            path = f"line.items[{index}]"
            account = _required_ref(item.get("account"), f"{path}.account")
            if not self._row_exists("account", account):
                raise RecordError(
                    400,
                    "INVALID_KEY_OR_REF",
                    f"Error while accessing a resource. Invalid Field Value {account} for the "
                    "following field: account.",
                    f"{path}.account",
                )
            debit = _amount(item.get("debit"), f"{path}.debit")
            credit = _amount(item.get("credit"), f"{path}.credit")
            if (debit is None) == (credit is None):
                raise RecordError(
                    400,
                    "USER_ERROR",
                    "Error while accessing a resource. Each line needs exactly one of debit "
                    "or credit.",
                    path,
                )
            total_debit += debit or Decimal("0")
            total_credit += credit or Decimal("0")
            lines.append(
                {
                    "line": index + 1,
                    "account": account,
                    "debit": debit,
                    "credit": credit,
                    "memo": item.get("memo"),
                    "location": _ref(item.get("location"), f"{path}.location", required=False),
                }
            )
        if total_debit != total_credit:
            raise RecordError(
                400,
                "USER_ERROR",
                "Error while accessing a resource. The transaction is out of balance: total "
                f"debits {total_debit} do not equal total credits {total_credit}.",
                "line",
            )
        period = self._period_for(tran_date, _ref(body.get("postingPeriod"), "postingPeriod"))
        return {
            "externalid": eid,
            "trandate": tran_date.isoformat(),
            "postingperiod": str(period),
            "subsidiary": subsidiary,
            "currency": currency,
            "memo": body.get("memo"),
            "created": self.clock().isoformat(),
            "lines": lines,
        }

    def _period_for(self, tran_date: date, explicit: str | None) -> int:
        if explicit is not None:
            row = self.con.execute(
                "SELECT id FROM accountingperiod WHERE id = ?", [int(explicit)]
            ).fetchone()
        else:
            row = self.con.execute(
                "SELECT id FROM accountingperiod WHERE isposting = 'T' AND ? BETWEEN startdate "
                "AND enddate ORDER BY enddate - startdate LIMIT 1",
                [tran_date],
            ).fetchone()
        if row is None:
            raise RecordError(
                400,
                "USER_ERROR",
                f"Error while accessing a resource. No accounting period covers {tran_date}.",
                "tranDate",
            )
        self._check_period_open(int(row[0]), "tranDate")
        return int(row[0])

    def _check_period_open(self, period_id: int, path: str) -> None:
        row = self.con.execute(
            "SELECT periodname, closed, alllocked FROM accountingperiod WHERE id = ?", [period_id]
        ).fetchone()
        if row is None:
            return
        name, closed, locked = row
        if closed == "T":
            raise RecordError(
                400,
                "USER_ERROR",
                f"Error while accessing a resource. The accounting period {name} is closed.",
                path,
            )
        if locked == "T":
            raise RecordError(
                400,
                "USER_ERROR",
                f"Error while accessing a resource. The accounting period {name} is locked "
                "for all transactions (you lack the permission to override period restrictions).",
                path,
            )

    def lock_period_covering(self, day: date) -> None:
        """The `locked-period` fault: lock the posting period that covers `day`."""
        with self.lock:
            self.con.execute(
                "UPDATE accountingperiod SET alllocked = 'T' WHERE isposting = 'T' AND ? BETWEEN "
                "startdate AND enddate",
                [day],
            )

    def _row_exists(self, table: str, internal_id: str) -> bool:
        return (
            self.con.execute(f'SELECT 1 FROM "{table}" WHERE id = ?', [int(internal_id)]).fetchone()
            is not None
        )

    def _require_row(self, table: str, internal_id: str, path: str) -> None:
        if not self._row_exists(table, internal_id):
            raise RecordError(
                400,
                "INVALID_KEY_OR_REF",
                f"Error while accessing a resource. Invalid Field Value {internal_id} for the "
                f"following field: {path}.",
                path,
            )

    def journal_record(self, internal_id: int, base_url: str, expand: bool) -> dict[str, Any]:
        """The REST record representation of a journal entry."""
        with self.lock:
            header = self.con.execute(
                "SELECT t.id, t.tranid, t.externalid, t.trandate, t.memo, t.postingperiod, "
                "p.periodname, t.currency, c.symbol, t.createddate, t.lastmodifieddate, "
                '(SELECT min(subsidiary) FROM transactionline WHERE "transaction" = t.id) '
                'FROM "transaction" t LEFT JOIN accountingperiod p ON p.id = t.postingperiod '
                "LEFT JOIN currency c ON c.id = t.currency WHERE t.id = ?",
                [internal_id],
            ).fetchone()
            lines = self.con.execute(
                "SELECT tl.id, tal.account, a.acctname, tal.debit, tal.credit, tl.memo, "
                "tl.location FROM transactionline tl JOIN transactionaccountingline tal ON "
                'tal.transactionline = tl.id AND tal."transaction" = tl."transaction" '
                'LEFT JOIN account a ON a.id = tal.account WHERE tl."transaction" = ? '
                "ORDER BY tl.linesequencenumber",
                [internal_id],
            ).fetchall()
        if header is None:
            raise KeyError(internal_id)
        (
            rid,
            tranid,
            eid,
            trandate,
            memo,
            period,
            periodname,
            currency,
            symbol,
            created,
            modified,
            subsidiary,
        ) = header
        self_href = f"{base_url}/record/v1/journalentry/{rid}"
        record: dict[str, Any] = {
            "links": [{"rel": "self", "href": self_href}],
            "id": str(rid),
            "tranId": tranid,
            "tranDate": trandate.isoformat(),
            "postingPeriod": {"id": str(period), "refName": periodname},
            "currency": {"id": str(currency), "refName": symbol},
            "subsidiary": {"id": str(subsidiary)},
            "createdDate": created.isoformat() if created else None,
            "lastModifiedDate": modified.isoformat() if modified else None,
        }
        if eid is not None:
            record["externalId"] = eid
        if memo is not None:
            record["memo"] = memo
        line_href = f"{self_href}/line"
        if not expand:
            record["line"] = {"links": [{"rel": "self", "href": line_href}]}
        else:
            items = []
            for line_id, account, name, debit, credit, line_memo, location in lines:
                item: dict[str, Any] = {
                    "links": [{"rel": "self", "href": f"{line_href}/{line_id}"}],
                    "line": line_id,
                    "account": {"id": str(account), "refName": name},
                }
                if debit is not None:
                    item["debit"] = debit
                if credit is not None:
                    item["credit"] = credit
                if line_memo is not None:
                    item["memo"] = line_memo
                if location is not None:
                    item["location"] = {"id": str(location)}
                items.append(item)
            record["line"] = {
                "links": [{"rel": "self", "href": line_href}],
                "count": len(items),
                "hasMore": False,
                "offset": 0,
                "totalResults": len(items),
                "items": items,
            }
        return {k: v for k, v in record.items() if v is not None}

    # ---- async jobs ----------------------------------------------------------------------
    def job_for_key(self, key: str) -> int | None:
        with self.lock:
            row = self.con.execute(
                "SELECT id FROM _async_job WHERE idempotency_key = ?", [key]
            ).fetchone()
        return int(row[0]) if row else None

    def record_job(self, key: str | None, status: int, location: str | None, body: str) -> int:
        with self.lock:
            row = self.con.execute("SELECT coalesce(max(id), 0) + 1 FROM _async_job").fetchone()
            job_id = int(row[0]) if row else 1
            self.con.execute(
                "INSERT INTO _async_job VALUES (?, ?, ?, ?, ?, ?)",
                [job_id, key, status, location, body, self.clock()],
            )
            return job_id

    def job(self, job_id: int) -> tuple[int, str | None, str] | None:
        with self.lock:
            row = self.con.execute(
                "SELECT status, location, body FROM _async_job WHERE id = ?", [job_id]
            ).fetchone()
        return (int(row[0]), row[1], row[2]) if row else None


def _ref(value: Any, path: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise RecordError(
                400, "USER_ERROR", f"Please enter value(s) for: {path.split('.')[-1]}.", path
            )
        return None
    if isinstance(value, dict):
        value = value.get("id")
    if value is None or not str(value).isdigit():
        raise RecordError(
            400,
            "INVALID_KEY_OR_REF",
            f"Invalid Field Value {value!r} for the following field: {path.split('.')[-1]}.",
            path,
        )
    return str(value)


def _required_ref(value: Any, path: str) -> str:
    ref = _ref(value, path, required=True)
    assert ref is not None
    return ref


def _amount(value: Any, path: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RecordError(400, "INVALID_VALUE", f"Invalid amount {value!r}.", path) from None
    if amount < 0 or amount != amount.quantize(CENT):
        raise RecordError(400, "INVALID_VALUE", f"Invalid amount {value!r}.", path)
    return amount.quantize(CENT)


def _parse_date(value: Any, path: str) -> date:
    if not isinstance(value, str):
        raise RecordError(400, "USER_ERROR", f"Please enter value(s) for: {path}.", path)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RecordError(
            400,
            "INVALID_VALUE",
            f"Invalid Field Value {value} for the following field: {path}.",
            path,
        ) from None
