"""The ERP port: what the pipeline reads from and posts to a general ledger, ERP-neutral."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

from retail_sync.errors import RetailSyncError

CENT = Decimal("0.01")
PeriodStatus = Literal["open", "locked", "closed"]
PostStatus = Literal["posted", "already_posted"]


class ERPError(RetailSyncError):
    """An ERP call failed; `code` is the ERP's own error code, `correlation_id` the request's.

    `retryable` says whether running the same step again later can succeed: only errors that
    look transient are (see the subclasses); a refusal or a broken contract is not.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.correlation_id = correlation_id

    def __str__(self) -> str:
        extras = [
            f"{k}={v}"
            for k, v in (
                ("code", self.code),
                ("status", self.status),
                ("correlation_id", self.correlation_id),
            )
            if v
        ]
        base = super().__str__()
        return f"{base} ({', '.join(extras)})" if extras else base


class ERPRejected(ERPError):
    """The ERP refused the request for a business reason (unbalanced, unknown account, period)."""


class ERPUnavailable(ERPError):
    """The ERP could not be reached or kept failing (after retries, or with the circuit open)."""

    retryable = True


class ERPMalformedResponse(ERPError):
    """The ERP answered, but with a body we cannot read (`code="MALFORMED_RESPONSE"`).

    `retryable` is True for a body that is not JSON at all (empty, HTML, not UTF-8, cut short:
    what a proxy, a maintenance page or a dropped transfer produces) and False for JSON of the
    wrong shape, which the same request would only return again.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(
            message, code="MALFORMED_RESPONSE", status=status, correlation_id=correlation_id
        )
        self.retryable = retryable


@dataclass(frozen=True)
class RejectedRow:
    """A row the ERP returned that cannot be landed: its table, its key as far as it could be
    read, why, and the row as received (JSON text), so landing quarantines it and goes on."""

    table: str
    key: str | None
    reason: str
    raw_payload: str


@dataclass(frozen=True)
class GLLine:
    """One posted general-ledger line with its header's references."""

    transaction_id: str
    line_id: str
    external_id: str | None
    document_number: str | None
    date: date
    period_id: str | None
    subsidiary_id: str | None
    account_number: str
    debit: Decimal
    credit: Decimal
    currency: str
    memo: str | None
    header_memo: str | None

    @property
    def amount(self) -> Decimal:
        """Signed amount: debit positive, credit negative."""
        return self.debit - self.credit


@dataclass(frozen=True)
class Account:
    id: str
    number: str
    name: str
    type: str
    active: bool


@dataclass(frozen=True)
class Period:
    id: str
    name: str
    start: date
    end: date
    status: PeriodStatus

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class OnHand:
    item_id: str
    sku: str
    location_id: str
    location_name: str
    quantity: Decimal
    as_of: date | None
    subsidiary_id: str | None = None
    unit_cost: Decimal | None = None
    """The item's cost per unit in the ERP (None: the ERP has none), in `cost_currency`."""
    cost_currency: str | None = None


@dataclass(frozen=True)
class JournalLineDraft:
    account_number: str
    debit: Decimal = Decimal("0.00")
    credit: Decimal = Decimal("0.00")
    memo: str | None = None


@dataclass(frozen=True)
class JournalEntryDraft:
    """A journal to post; `external_id` is our journal id, the end-to-end idempotency key."""

    external_id: str
    subsidiary_id: str
    currency: str
    date: date
    memo: str
    lines: Sequence[JournalLineDraft] = field(default_factory=tuple)

    def check_balanced(self) -> None:
        """Raise ValueError unless every line is one-sided, to the cent, and Σ debit = Σ credit."""
        if not self.lines:
            raise ValueError(f"journal {self.external_id} has no lines")
        for line in self.lines:
            for amount in (line.debit, line.credit):
                if amount < 0 or amount != amount.quantize(CENT):
                    raise ValueError(f"journal {self.external_id}: bad amount {amount}")
            if (line.debit > 0) == (line.credit > 0):
                raise ValueError(f"journal {self.external_id}: a line needs a debit or a credit")
        debit = sum((line.debit for line in self.lines), Decimal("0"))
        credit = sum((line.credit for line in self.lines), Decimal("0"))
        if debit != credit:
            raise ValueError(
                f"journal {self.external_id} is unbalanced: debit {debit} ≠ credit {credit}"
            )


@dataclass(frozen=True)
class PostResult:
    status: PostStatus
    external_id: str
    erp_id: str
    correlation_id: str | None = None  # the creating request's, when the ERP answered it


@dataclass(frozen=True)
class PostedJournal:
    erp_id: str
    external_id: str | None
    date: date
    memo: str | None
    lines: tuple[JournalLineDraft, ...]


@runtime_checkable
class ERPPort(Protocol):
    """What the pipeline needs from an ERP. Implementations: `retail_sync.erp.netsuite`."""

    # Reads yield a `RejectedRow` in place of a row that cannot be read (a missing key, an
    # amount that is not a decimal, a date in another format): never raised, so one bad row
    # is quarantined by the landing instead of stopping it.

    def gl_lines(
        self, start: date, end: date, *, subsidiary_id: str | None = None
    ) -> Iterator[GLLine | RejectedRow]:
        """Posted GL lines dated start..end inclusive, streamed."""
        ...

    def accounts(self) -> list[Account | RejectedRow]: ...

    def periods(self) -> list[Period | RejectedRow]: ...

    def on_hand(
        self, as_of: date | None = None, *, subsidiary_id: str | None = None
    ) -> Iterator[OnHand | RejectedRow]:
        """On-hand per item and location (of one subsidiary's locations, when given):
        current, or at the end of `as_of`."""
        ...

    def post_journal(self, draft: JournalEntryDraft) -> PostResult:
        """Post exactly once: a repeat (or a lost response) resolves to `already_posted`."""
        ...

    def find_journal(self, external_id: str) -> PostedJournal | None: ...
