"""Corrective journals proposed from an exception's lines (docs/journals.md).

An exception's lines (`recon/exception_lines`) hold, per account and ledger date, the delta
ERP − rules (debit positive). The correction books −delta on each line (docs/finance.md, "The
lines"): one journal per ledger date, one journal line per account, each journal balanced to the
cent, or no proposal at all (a `Refusal` with its reason). Inventory kinds carry one line on the
inventory account; their journal books −delta there and +delta on the adjustment account (5100).

Ids are deterministic: the proposal id hashes the exception id and its sorted (account, ledger
date, delta) lines, so the same exception with the same deltas gets the same id on every run, in
any line order, and any changed delta gives a new id (a new proposal that supersedes the old one).
Each journal's id adds its date; its ERP external id is `retail-sync-<journal_id>`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from retail_sync.journals.policy import CENT, Route, ShopPolicy

EXTERNAL_ID_PREFIX = "retail-sync-"
CORRECTION_TOKEN_PREFIX = "retail-sync:exception:"  # noqa: S105 (a memo token, not a secret)
ID_LENGTH = 24


@dataclass(frozen=True)
class JournalLine:
    """One account of a journal: amount signed debit +, credit −."""

    account: str
    amount: Decimal

    @property
    def debit(self) -> Decimal:
        return max(self.amount, Decimal("0.00"))

    @property
    def credit(self) -> Decimal:
        return max(-self.amount, Decimal("0.00"))


@dataclass(frozen=True)
class ProposedJournal:
    """A balanced journal dated on one ledger date."""

    journal_id: str
    external_id: str
    trandate: date
    memo: str
    lines: tuple[JournalLine, ...]

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), Decimal("0.00"))

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class Proposal:
    """The correction of one exception: its journals (one per ledger date) and its route."""

    proposal_id: str
    exception_id: str
    shop_id: str
    kind: str
    subsidiary_id: str
    currency: str
    route: Route
    amount: Decimal  # Σ debit over the journals: what the correction posts
    journals: tuple[ProposedJournal, ...]


@dataclass(frozen=True)
class Refusal:
    """No journal for this exception, and why."""

    exception_id: str
    kind: str
    reason: str


@dataclass(frozen=True)
class _Line:
    account: str
    ledger_date: date
    delta: Decimal
    currency: str


def money(value: Any) -> Decimal:
    """An exact amount to the cent (Decimal, int or text); floats and fractions of a cent fail."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"an amount must be a Decimal, int or text, not {value!r}")
    amount = Decimal(value)
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValueError(f"{value!r} is not an amount to the cent")
    return amount.quantize(CENT)


def _ledger_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise TypeError(f"a ledger_date must be a date, not {value!r}")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def proposal_id(exception_id: str, lines: Sequence[Mapping[str, Any]]) -> str:
    """The hash of the exception id and its sorted (account, ledger date, delta) lines."""
    basis = sorted(
        f"{_text(line['account'])},{_ledger_date(line['ledger_date']).isoformat()},"
        f"{money(line['delta'])}"
        for line in lines
    )
    return _digest("|".join([exception_id, *basis]))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_LENGTH]


def correction_token(exception_id: str, ledger_date: date) -> str:
    """The memo token that ties a posted correction to its exception and the ledger date it
    corrects: `retail-sync:exception:<exception id>:<YYYY-MM-DD>`. The reconciliation reads it
    (sql/recon/correction_lines.sql), so it stays in the memo when the journal's date moves."""
    return f"{CORRECTION_TOKEN_PREFIX}{exception_id}:{ledger_date.isoformat()}"


def _memo(exception: Mapping[str, Any], trandate: date, count: int) -> str:
    parts = [f"{correction_token(str(exception['exception_id']), trandate)} ({exception['kind']})"]
    if _text(exception.get("shopify_ref")):
        parts.append(f"Shopify {exception['shopify_ref']}")
    if _text(exception.get("erp_ref")):
        parts.append(f"ERP {exception['erp_ref']}")
    if count > 1:
        parts.append(f"{count} journals")
    return "; ".join(parts)


def _is_inventory(kind: str) -> bool:
    return kind.startswith("inventory_")


def propose(
    exception: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], policy: ShopPolicy
) -> Proposal | Refusal:
    """The corrective journal(s) of one exception, or a Refusal saying why there are none."""
    exception_id = str(exception["exception_id"])
    kind = str(exception["kind"])
    shop_id = str(exception["shop_id"])
    if shop_id != policy.shop_id:
        raise ValueError(f"exception {exception_id} is shop {shop_id}'s, not {policy.shop_id}'s")
    foreign = [line for line in lines if str(line["exception_id"]) != exception_id]
    if foreign:
        raise ValueError(f"lines of {foreign[0]['exception_id']} given for {exception_id}")

    def refuse(reason: str) -> Refusal:
        return Refusal(exception_id=exception_id, kind=kind, reason=reason)

    if policy.listed(kind) == "never":
        return refuse(f"the policy never proposes a journal for {kind}")
    parsed = [
        _Line(
            account=_text(line["account"]),
            ledger_date=_ledger_date(line["ledger_date"]),
            delta=money(line["delta"]),
            currency=_text(line.get("currency")),
        )
        for line in lines
    ]
    if not parsed:
        return refuse("the exception has no lines: nothing to book")
    currencies = {line.currency for line in parsed}
    if len(currencies) > 1:
        return refuse(f"the lines are in several currencies ({', '.join(sorted(currencies))})")
    (currency,) = currencies
    expected_currency = _text(exception.get("currency"))
    if not currency or (expected_currency and currency != expected_currency):
        return refuse(f"the lines' currency {currency!r} is not the exception's")

    # Per ledger date and account: the amount to book, −Σ delta.
    booked: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    if _is_inventory(kind):
        accounts = policy.accounts
        other = sorted({line.account for line in parsed} - {accounts.inventory})
        if other:
            return refuse(
                f"an inventory correction books {accounts.inventory} only; "
                f"the lines are also on {', '.join(other)}"
            )
        for line in parsed:
            booked[line.ledger_date][accounts.inventory] -= line.delta
            booked[line.ledger_date][accounts.inventory_adjustment] += line.delta
    else:
        for line in parsed:
            booked[line.ledger_date][line.account] -= line.delta

    pid = proposal_id(exception_id, lines)
    dated: list[tuple[date, tuple[JournalLine, ...]]] = []
    for trandate in sorted(booked):
        journal_lines = tuple(
            JournalLine(account=account, amount=amount.quantize(CENT))
            for account, amount in sorted(booked[trandate].items())
            if amount != 0
        )
        total = sum((line.amount for line in journal_lines), Decimal("0.00"))
        if total != 0:
            return refuse(
                f"the lines on {trandate.isoformat()} do not balance "
                f"(Σ delta {-total:+.2f}): no balanced journal books −delta on each"
            )
        if journal_lines:
            dated.append((trandate, journal_lines))
    if not dated:
        return refuse("the lines net to 0.00 on every account and date: nothing to book")

    journals = []
    for trandate, journal_lines in dated:
        journal_id = _digest(f"{pid}|{trandate.isoformat()}")
        journals.append(
            ProposedJournal(
                journal_id=journal_id,
                external_id=EXTERNAL_ID_PREFIX + journal_id,
                trandate=trandate,
                memo=_memo(exception, trandate, len(dated)),
                lines=journal_lines,
            )
        )
    amount = sum((journal.total_debit for journal in journals), Decimal("0.00"))
    return Proposal(
        proposal_id=pid,
        exception_id=exception_id,
        shop_id=shop_id,
        kind=kind,
        subsidiary_id=policy.subsidiary_id,
        currency=currency,
        route=policy.route(kind, amount),
        amount=amount,
        journals=tuple(journals),
    )
