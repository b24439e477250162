"""The journal store: proposals, their journals, the outbox and the audit trail (docs/journals.md).

Everything lives in the transactional state store (`retail_sync.state`: SQLite embedded,
PostgreSQL in production), on its own tables. Every write is one transaction under the shop's
writer lock (`StateStore.transaction`); posting also holds the shop's *posting lock*
(`JournalStore.posting_lock`) for a whole pass. Money is stored as integer cents (exact on every
backend) and read back as `Decimal`. Times are tz-aware UTC.

A proposal's journals and lines are written once, when the proposal is first recorded, and never
changed: the outbox row of a journal (its final date and memo) together with the journal's lines
is the draft that is posted, on every attempt.

Proposal statuses (`PROPOSAL_STATUSES`):

- `awaiting_approval` → `approved` | `rejected` (a person, `decide`);
- `approved` (by a person, or by the policy for route `auto`) → `posting` when the first outbox row
  is written → `posted` when every journal is in the ERP, or `post_failed` when the ERP refuses one;
- `posted` → `verified` (read back, difference gone) or `correction_failed` (`verify_posted`);
- `awaiting_approval` / `approved` → `superseded` (a new proposal for the same exception) or
  `withdrawn` (the exception is no longer open, its lines are now refused, or it was waived).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal, get_args

import sqlalchemy as sa

from retail_sync.erp.port import JournalEntryDraft, JournalLineDraft
from retail_sync.errors import RetailSyncError
from retail_sync.journals.proposals import Proposal, Refusal
from retail_sync.state import StateStore, in_chunks, lock_key

# ---- statuses and actions -------------------------------------------------------------------

AWAITING_APPROVAL = "awaiting_approval"
APPROVED = "approved"
REJECTED = "rejected"
SUPERSEDED = "superseded"
WITHDRAWN = "withdrawn"
POSTING = "posting"
POSTED = "posted"
POST_FAILED = "post_failed"
VERIFIED = "verified"
CORRECTION_FAILED = "correction_failed"
PROPOSAL_STATUSES = (
    AWAITING_APPROVAL,
    APPROVED,
    REJECTED,
    SUPERSEDED,
    WITHDRAWN,
    POSTING,
    POSTED,
    POST_FAILED,
    VERIFIED,
    CORRECTION_FAILED,
)
# Not yet handed to the ERP: may still be superseded or withdrawn.
PENDING_STATUSES = (AWAITING_APPROVAL, APPROVED)
# Something of the correction may be in the ERP: a further correction needs approval.
LANDED_STATUSES = (POSTING, POSTED, VERIFIED, CORRECTION_FAILED)
WAIVED = "waived"  # an exception status (exception_statuses), not a proposal's

OUTBOX_SENDING = "sending"
OUTBOX_POSTED = "posted"
OUTBOX_FAILED = "failed"
OUTBOX_STATUSES = (OUTBOX_SENDING, OUTBOX_POSTED, OUTBOX_FAILED)

ActorSource = Literal["trusted_header", "self_declared", "policy", "cli"]
ACTOR_SOURCES: tuple[str, ...] = get_args(ActorSource)
Decision = Literal["approve", "reject"]
LandedHow = Literal["posted", "already_posted", "found_by_lookup"]


class JournalError(RetailSyncError):
    """A journal operation cannot be done as asked (unknown id, wrong status, bad input)."""


class PostingBusy(JournalError):
    """Another posting pass holds the shop's posting lock and did not let go in time."""


@dataclass(frozen=True)
class Actor:
    """Who did something, and how we know: a header set by an authenticating proxy
    (`trusted_header`), a name the person typed (`self_declared`), the correction policy
    (`policy`), or a terminal user (`cli`)."""

    name: str
    source: ActorSource

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise JournalError("an actor needs a name")
        if self.source not in ACTOR_SOURCES:
            raise JournalError(
                f"actor source {self.source!r} is not one of {', '.join(ACTOR_SOURCES)}"
            )


POLICY_ACTOR = Actor("policy", "policy")
SYSTEM_ACTOR = Actor("retail-sync", "policy")  # the posting pass and the verification

# ---- money and time -------------------------------------------------------------------------


def to_cents(amount: Decimal | int | str) -> int:
    """Exact integer cents of an amount with at most two decimals; anything finer is an error."""
    if isinstance(amount, float | bool):
        raise JournalError(f"an amount must be a Decimal, not {amount!r}")
    cents = Decimal(amount) * 100
    if not cents.is_finite() or cents != cents.to_integral_value():
        raise JournalError(f"amount {amount} is not an amount to the cent")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return Decimal(int(cents)).scaleb(-2).quantize(Decimal("0.01"))


def _optional_cents(amount: Decimal | None) -> int | None:
    return None if amount is None else to_cents(amount)


def _optional_money(cents: int | None) -> Decimal | None:
    return None if cents is None else from_cents(cents)


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is refused (an audit time must be unambiguous)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise JournalError(f"{moment.isoformat()} has no time zone: give an aware datetime")
    return moment.astimezone(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A tz-aware UTC timestamp on every backend (SQLite stores it naive, in UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# ---- tables ---------------------------------------------------------------------------------

metadata = sa.MetaData()
_ID = 64  # proposal and journal ids are 24 hex digits; room to spare
_EXCEPTION_ID = 400
_SHOP_ID = 200

proposals_table = sa.Table(
    "journal_proposals",
    metadata,
    sa.Column("proposal_id", sa.String(_ID), primary_key=True),
    sa.Column("shop_id", sa.String(_SHOP_ID), nullable=False),
    sa.Column("exception_id", sa.String(_EXCEPTION_ID), nullable=False),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("kind", sa.String(80), nullable=False),
    sa.Column("subsidiary_id", sa.String(40), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("route", sa.String(20), nullable=False),  # what the policy said: auto | approval
    sa.Column("amount_cents", sa.BigInteger, nullable=False),  # Σ debit of its journals
    sa.Column("variance_cents", sa.BigInteger),  # the exception's variance when proposed
    sa.Column("status", sa.String(40), nullable=False),
    # Per exception, 1, 2, …: the latest revision is the exception's current proposal.
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("superseded_by", sa.String(_ID)),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_via", sa.String(40)),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("decision_reason", sa.Text),
    sa.Column("detail", sa.Text),
    sa.Index("ix_journal_proposals_shop_exception", "shop_id", "exception_id"),
    sa.Index("ix_journal_proposals_shop_status", "shop_id", "status"),
)

journals_table = sa.Table(
    "journal_entries",
    metadata,
    sa.Column("journal_id", sa.String(_ID), primary_key=True),
    sa.Column("proposal_id", sa.String(_ID), nullable=False),
    sa.Column("shop_id", sa.String(_SHOP_ID), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),  # the journal's place in its proposal
    sa.Column("external_id", sa.String(120), nullable=False, unique=True),
    sa.Column("ledger_date", sa.Date, nullable=False),
    sa.Column("memo", sa.Text, nullable=False),
    sa.Index("ix_journal_entries_proposal", "proposal_id"),
)

lines_table = sa.Table(
    "journal_lines",
    metadata,
    sa.Column("journal_id", sa.String(_ID), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("account", sa.String(40), nullable=False),
    sa.Column("debit_cents", sa.BigInteger, nullable=False),
    sa.Column("credit_cents", sa.BigInteger, nullable=False),
)

outbox_table = sa.Table(
    "journal_outbox",
    metadata,
    sa.Column("journal_id", sa.String(_ID), primary_key=True),
    sa.Column("proposal_id", sa.String(_ID), nullable=False),
    sa.Column("shop_id", sa.String(_SHOP_ID), nullable=False),
    sa.Column("external_id", sa.String(120), nullable=False, unique=True),
    sa.Column("subsidiary_id", sa.String(40), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("posting_date", sa.Date, nullable=False),
    sa.Column("original_date", sa.Date, nullable=False),
    sa.Column("moved_reason", sa.Text),
    sa.Column("memo", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("erp_id", sa.String(80)),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_code", sa.String(120)),
    sa.Column("last_error", sa.Text),
    sa.Column("correlation_id", sa.String(120)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_journal_outbox_shop_status", "shop_id", "status"),
    sa.Index("ix_journal_outbox_proposal", "proposal_id"),
)

waivers_table = sa.Table(
    "journal_waivers",
    metadata,
    sa.Column("shop_id", sa.String(_SHOP_ID), primary_key=True),
    sa.Column("exception_id", sa.String(_EXCEPTION_ID), primary_key=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("actor_source", sa.String(40), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("waived_at", UTCDateTime, nullable=False),
)

audit_table = sa.Table(
    "journal_audit",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("shop_id", sa.String(_SHOP_ID), nullable=False),
    sa.Column("proposal_id", sa.String(_ID)),
    sa.Column("journal_id", sa.String(_ID)),
    sa.Column("exception_id", sa.String(_EXCEPTION_ID)),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("actor_source", sa.String(40), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("erp_status", sa.String(40)),
    sa.Column("erp_code", sa.String(120)),
    sa.Column("correlation_id", sa.String(120)),
    sa.Column("detail", sa.Text),
    sa.Index("ix_journal_audit_shop_exception", "shop_id", "exception_id"),
    sa.Index("ix_journal_audit_proposal", "proposal_id"),
)

# ---- records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineRecord:
    account: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class JournalRecord:
    journal_id: str
    proposal_id: str
    external_id: str
    ledger_date: date
    memo: str
    lines: tuple[LineRecord, ...]

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class ProposalRecord:
    proposal_id: str
    shop_id: str
    exception_id: str
    business_date: date
    kind: str
    subsidiary_id: str
    currency: str
    route: str
    amount: Decimal
    variance: Decimal | None
    status: str
    revision: int
    created_at: datetime
    updated_at: datetime
    superseded_by: str | None
    decided_by: str | None
    decided_via: str | None
    decided_at: datetime | None
    decision_reason: str | None
    detail: str | None
    journals: tuple[JournalRecord, ...] = ()


@dataclass(frozen=True)
class OutboxRecord:
    journal_id: str
    proposal_id: str
    shop_id: str
    external_id: str
    subsidiary_id: str
    currency: str
    posting_date: date
    original_date: date
    moved_reason: str | None
    memo: str
    status: str
    erp_id: str | None
    attempts: int
    last_code: str | None
    last_error: str | None
    correlation_id: str | None
    created_at: datetime
    updated_at: datetime
    lines: tuple[LineRecord, ...] = ()

    def draft(self) -> JournalEntryDraft:
        """The journal exactly as it was written to the outbox: what every attempt posts."""
        return JournalEntryDraft(
            external_id=self.external_id,
            subsidiary_id=self.subsidiary_id,
            currency=self.currency,
            date=self.posting_date,
            memo=self.memo,
            lines=tuple(
                JournalLineDraft(account_number=line.account, debit=line.debit, credit=line.credit)
                for line in self.lines
            ),
        )


@dataclass(frozen=True)
class AuditRecord:
    event_id: int
    at: datetime
    shop_id: str
    proposal_id: str | None
    journal_id: str | None
    exception_id: str | None
    action: str
    actor: str
    actor_source: str
    reason: str | None
    erp_status: str | None
    erp_code: str | None
    correlation_id: str | None
    detail: str | None


@dataclass(frozen=True)
class WaiverRecord:
    shop_id: str
    exception_id: str
    actor: str
    actor_source: str
    reason: str
    waived_at: datetime
    withdrawn: tuple[str, ...] = ()  # proposals the waiver withdrew


@dataclass(frozen=True)
class ProposalSync:
    """What `record_proposals` changed. `new` counts proposals that became pending in this call
    (recorded for the first time, or an earlier withdrawn/superseded one back again)."""

    new: int = 0
    unchanged: int = 0
    superseded: int = 0
    withdrawn: int = 0
    refused: int = 0
    waived: int = 0  # proposals left out because their exception is waived
    new_auto: tuple[str, ...] = ()  # new ids now `approved` by the policy
    new_approval: tuple[str, ...] = ()  # new ids now `awaiting_approval`

    @property
    def new_ids(self) -> tuple[str, ...]:
        return self.new_auto + self.new_approval


@dataclass
class PostingLock:
    """The held posting lock of one shop; `waited` says whether another pass held it first."""

    shop_id: str
    waited: bool = False
    waited_seconds: float = 0.0


@dataclass
class _Sync:
    new: int = 0
    unchanged: int = 0
    superseded: int = 0
    withdrawn: int = 0
    new_auto: list[str] = field(default_factory=list)
    new_approval: list[str] = field(default_factory=list)


# ---- the store ------------------------------------------------------------------------------

_POSTING_LOCK_NAMESPACE = "retail_sync.journals.posting"
_LOCK_POLL_SECONDS = 0.05


class JournalStore:
    """Proposals, journals, outbox and audit on a `StateStore` (creates its tables)."""

    def __init__(self, state: StateStore) -> None:
        self.state = state
        try:
            metadata.create_all(state.engine)
        except sa.exc.DBAPIError:
            # Two processes creating the tables at once on PostgreSQL: one of them loses the race
            # on the catalog; by now the tables exist.
            metadata.create_all(state.engine)

    # ---- proposals ------------------------------------------------------------------------
    def record_proposals(
        self,
        shop_id: str,
        proposals: Sequence[Proposal],
        refusals: Sequence[Refusal],
        *,
        business_dates: Collection[date],
        open_exception_dates: Mapping[str, date],
        now: datetime,
        variances: Mapping[str, Decimal] | None = None,
    ) -> ProposalSync:
        """Record one run's proposals and refusals for `business_dates` (one transaction).

        `open_exception_dates` maps every exception open on those dates to its business date.
        `variances` (optional) maps an exception to its variance, kept for the verification's
        "variance before X, after Y". The same call again changes nothing.
        """
        at = utc(now)
        dates = set(business_dates)
        seen: set[str] = set()
        for proposal in proposals:
            self._check_proposal(shop_id, proposal, dates, open_exception_dates, seen)
        both = seen & {refusal.exception_id for refusal in refusals}
        if both:
            raise JournalError(f"exception {sorted(both)[0]} has both a proposal and a refusal")
        sync = _Sync()
        with self.state.transaction(shop_id) as connection:
            waived = self._waived(connection, shop_id)
            exception_ids = sorted(
                {p.exception_id for p in proposals} | {r.exception_id for r in refusals}
            )
            existing = self._proposal_rows(connection, shop_id, exception_ids=exception_ids)
            by_exception: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for row in existing.values():
                by_exception[row["exception_id"]].append(row)
            landed = self._exceptions_with_landed_journals(connection, shop_id, exception_ids)
            skipped = 0
            for proposal in proposals:
                if proposal.exception_id in waived:
                    skipped += 1
                    continue
                self._sync_proposal(
                    connection,
                    proposal,
                    open_exception_dates[proposal.exception_id],
                    existing,
                    by_exception[proposal.exception_id],
                    landed,
                    variances,
                    at,
                    sync,
                )
            refused_exceptions = {refusal.exception_id: refusal for refusal in refusals}
            self._withdraw_stale(
                connection, shop_id, dates, open_exception_dates, refused_exceptions, at, sync
            )
            self._audit_refusals(connection, shop_id, refusals, at)
        return ProposalSync(
            new=sync.new,
            unchanged=sync.unchanged,
            superseded=sync.superseded,
            withdrawn=sync.withdrawn,
            refused=len(refusals),
            waived=skipped,
            new_auto=tuple(sync.new_auto),
            new_approval=tuple(sync.new_approval),
        )

    @staticmethod
    def _check_proposal(
        shop_id: str,
        proposal: Proposal,
        dates: set[date],
        open_exception_dates: Mapping[str, date],
        seen: set[str],
    ) -> None:
        where = f"proposal {proposal.proposal_id} (exception {proposal.exception_id})"
        if proposal.shop_id != shop_id:
            raise JournalError(f"{where} is shop {proposal.shop_id}'s, not {shop_id}'s")
        if proposal.route not in ("auto", "approval"):
            raise JournalError(f"{where} has route {proposal.route!r}: only auto or approval")
        if proposal.exception_id in seen:
            raise JournalError(f"{where}: two proposals for one exception in one run")
        seen.add(proposal.exception_id)
        business_date = open_exception_dates.get(proposal.exception_id)
        if business_date is None:
            raise JournalError(f"{where}: the exception is not among the open exceptions given")
        if business_date not in dates:
            raise JournalError(
                f"{where}: the exception's date {business_date} is not among the business dates"
            )
        if not proposal.journals:
            raise JournalError(f"{where} has no journals")
        for journal in proposal.journals:
            debit = sum((line.debit for line in journal.lines), Decimal("0"))
            credit = sum((line.credit for line in journal.lines), Decimal("0"))
            if debit != credit or not journal.lines:
                raise JournalError(f"{where}: journal {journal.journal_id} does not balance")

    def _sync_proposal(
        self,
        connection: sa.Connection,
        proposal: Proposal,
        business_date: date,
        existing: dict[str, dict[str, Any]],
        siblings: list[dict[str, Any]],
        landed: set[str],
        variances: Mapping[str, Decimal] | None,
        at: datetime,
        sync: _Sync,
    ) -> None:
        shop_id, exception_id = proposal.shop_id, proposal.exception_id
        current = existing.get(proposal.proposal_id)
        if current is not None and current["status"] not in (WITHDRAWN, SUPERSEDED):
            sync.unchanged += 1
            return
        previous = current["status"] if current is not None else None
        # A correction of what remains after one already (partly) in the ERP needs a person.
        earlier = [
            row
            for row in siblings
            if row["proposal_id"] != proposal.proposal_id and row["status"] in LANDED_STATUSES
        ]
        forced: str | None = None
        if earlier or exception_id in landed:
            names = ", ".join(f"{row['proposal_id']} ({row['status']})" for row in earlier)
            forced = (
                f"a further correction of {exception_id}: an earlier correction "
                f"{names or 'of it'} is already in the ERP, so this one needs approval "
                f"whatever the policy route ({proposal.route})"
            )
        status = APPROVED if proposal.route == "auto" and forced is None else AWAITING_APPROVAL
        revision = max((row["revision"] for row in siblings), default=0) + 1
        decision_reason = (
            f"route auto: {proposal.kind} {proposal.amount} within the policy's limit"
            if status == APPROVED
            else None
        )
        decided: dict[str, Any] = {
            "decided_by": POLICY_ACTOR.name if decision_reason else None,
            "decided_via": POLICY_ACTOR.source if decision_reason else None,
            "decided_at": at if decision_reason else None,
            "decision_reason": decision_reason,
        }
        variance = (variances or {}).get(exception_id)
        if current is None:
            row = {
                "proposal_id": proposal.proposal_id,
                "shop_id": shop_id,
                "exception_id": exception_id,
                "business_date": business_date,
                "kind": proposal.kind,
                "subsidiary_id": proposal.subsidiary_id,
                "currency": proposal.currency,
                "route": proposal.route,
                "amount_cents": to_cents(proposal.amount),
                "variance_cents": _optional_cents(variance),
                "status": status,
                "revision": revision,
                "created_at": at,
                "updated_at": at,
                "superseded_by": None,
                "detail": forced,
                **decided,
            }
            connection.execute(proposals_table.insert(), [row])
            self._insert_journals(connection, proposal)
            action, reason = "proposed", f"route {proposal.route}"
        else:
            row = current
            row.update(
                status=status,
                revision=revision,
                updated_at=at,
                superseded_by=None,
                detail=forced,
                **decided,
            )
            connection.execute(
                proposals_table.update()
                .where(proposals_table.c.proposal_id == proposal.proposal_id)
                .values(
                    status=status,
                    revision=revision,
                    updated_at=at,
                    superseded_by=None,
                    detail=forced,
                    **decided,
                )
            )
            action = "proposed_again"
            reason = f"the exception's difference is again this proposal's, which was {previous}"
        existing[proposal.proposal_id] = row
        if current is None:
            siblings.append(row)
        _audit(
            connection,
            at,
            shop_id,
            action,
            POLICY_ACTOR,
            proposal_id=proposal.proposal_id,
            exception_id=exception_id,
            reason=reason,
            detail=forced
            or f"{proposal.kind} {proposal.amount} {proposal.currency}, "
            f"{len(proposal.journals)} journal(s)",
        )
        if status == APPROVED:
            _audit(
                connection,
                at,
                shop_id,
                "approved",
                POLICY_ACTOR,
                proposal_id=proposal.proposal_id,
                exception_id=exception_id,
                reason=decision_reason,
            )
            sync.new_auto.append(proposal.proposal_id)
        else:
            sync.new_approval.append(proposal.proposal_id)
        sync.new += 1
        # The new one replaces any older pending proposal of the same exception.
        for older in siblings:
            if older["proposal_id"] != proposal.proposal_id and older["status"] in PENDING_STATUSES:
                connection.execute(
                    proposals_table.update()
                    .where(proposals_table.c.proposal_id == older["proposal_id"])
                    .values(status=SUPERSEDED, superseded_by=proposal.proposal_id, updated_at=at)
                )
                older["status"] = SUPERSEDED
                sync.superseded += 1
                _audit(
                    connection,
                    at,
                    shop_id,
                    "superseded",
                    POLICY_ACTOR,
                    proposal_id=older["proposal_id"],
                    exception_id=exception_id,
                    reason=f"the exception's difference changed: superseded by "
                    f"{proposal.proposal_id}",
                )

    @staticmethod
    def _insert_journals(connection: sa.Connection, proposal: Proposal) -> None:
        journal_rows, line_rows = [], []
        for position, journal in enumerate(proposal.journals, start=1):
            journal_rows.append(
                {
                    "journal_id": journal.journal_id,
                    "proposal_id": proposal.proposal_id,
                    "shop_id": proposal.shop_id,
                    "position": position,
                    "external_id": journal.external_id,
                    "ledger_date": journal.trandate,
                    "memo": journal.memo,
                }
            )
            for line_no, line in enumerate(journal.lines, start=1):
                line_rows.append(
                    {
                        "journal_id": journal.journal_id,
                        "line_no": line_no,
                        "account": line.account,
                        "debit_cents": to_cents(line.debit),
                        "credit_cents": to_cents(line.credit),
                    }
                )
        connection.execute(journals_table.insert(), journal_rows)
        connection.execute(lines_table.insert(), line_rows)

    def _withdraw_stale(
        self,
        connection: sa.Connection,
        shop_id: str,
        dates: set[date],
        open_exception_dates: Mapping[str, date],
        refused: Mapping[str, Refusal],
        at: datetime,
        sync: _Sync,
    ) -> None:
        if not dates:
            return
        pending = connection.execute(
            sa.select(proposals_table.c.proposal_id, proposals_table.c.exception_id).where(
                proposals_table.c.shop_id == shop_id,
                proposals_table.c.status.in_(PENDING_STATUSES),
                proposals_table.c.business_date.in_(sorted(dates)),
            )
        ).all()
        for proposal_id, exception_id in pending:
            if exception_id not in open_exception_dates:
                reason = "the exception is no longer open"
            elif exception_id in refused:
                reason = (
                    f"the exception's lines now give no journal: {refused[exception_id].reason}"
                )
            else:
                continue
            self._withdraw(connection, shop_id, proposal_id, exception_id, reason, at)
            sync.withdrawn += 1

    @staticmethod
    def _withdraw(
        connection: sa.Connection,
        shop_id: str,
        proposal_id: str,
        exception_id: str,
        reason: str,
        at: datetime,
        actor: Actor = POLICY_ACTOR,
    ) -> None:
        connection.execute(
            proposals_table.update()
            .where(proposals_table.c.proposal_id == proposal_id)
            .values(status=WITHDRAWN, updated_at=at, detail=reason)
        )
        _audit(
            connection,
            at,
            shop_id,
            "withdrawn",
            actor,
            proposal_id=proposal_id,
            exception_id=exception_id,
            reason=reason,
        )

    @staticmethod
    def _audit_refusals(
        connection: sa.Connection, shop_id: str, refusals: Sequence[Refusal], at: datetime
    ) -> None:
        ids = sorted({refusal.exception_id for refusal in refusals})
        known: set[tuple[str, str]] = set()
        for chunk in in_chunks(ids):
            known.update(
                (row.exception_id, row.reason)
                for row in connection.execute(
                    sa.select(audit_table.c.exception_id, audit_table.c.reason).where(
                        audit_table.c.shop_id == shop_id,
                        audit_table.c.action == "refused",
                        audit_table.c.exception_id.in_(chunk),
                    )
                )
            )
        for refusal in refusals:
            if (refusal.exception_id, refusal.reason) in known:
                continue
            known.add((refusal.exception_id, refusal.reason))
            _audit(
                connection,
                at,
                shop_id,
                "refused",
                POLICY_ACTOR,
                exception_id=refusal.exception_id,
                reason=refusal.reason,
                detail=refusal.kind,
            )

    def decide(
        self,
        proposal_id: str,
        decision: Decision,
        *,
        actor: Actor,
        reason: str,
        now: datetime,
    ) -> ProposalRecord:
        """Approve or reject a proposal awaiting approval (a reason is required to reject).

        Approving a `post_failed` proposal (the ERP refused one of its journals: an inactive
        account, a period locked after the pass read the periods) posts it again on the next
        pass, once the cause is fixed in the ERP."""
        at = utc(now)
        if decision not in ("approve", "reject"):
            raise JournalError(f"decision {decision!r} is neither approve nor reject")
        if decision == "reject" and not reason.strip():
            raise JournalError(f"rejecting proposal {proposal_id} needs a reason")
        found = self.proposal(proposal_id)
        if found is None:
            raise JournalError(f"no proposal {proposal_id!r}")
        with self.state.transaction(found.shop_id) as connection:
            status = connection.execute(
                sa.select(proposals_table.c.status).where(
                    proposals_table.c.proposal_id == proposal_id
                )
            ).scalar_one()
            retry = decision == "approve" and status == POST_FAILED
            if status != AWAITING_APPROVAL and not retry:
                raise JournalError(
                    f"proposal {proposal_id} is {status}: only a proposal awaiting approval "
                    + (
                        "(or one the ERP refused, to post it again) can be approved"
                        if decision == "approve"
                        else "can be rejected"
                    )
                )
            detail = None
            if retry:
                # The ERP refused these journals, so none of them is in it (a refusal of a
                # duplicate external id resolves to already_posted instead): their outbox rows
                # go, and the next pass plans them again (periods included) and posts them.
                refused = connection.execute(
                    outbox_table.delete()
                    .where(
                        outbox_table.c.proposal_id == proposal_id,
                        outbox_table.c.status == OUTBOX_FAILED,
                    )
                    .returning(outbox_table.c.journal_id)
                ).all()
                detail = f"post again after the ERP refused {len(refused)} journal(s)"
            new_status = APPROVED if decision == "approve" else REJECTED
            connection.execute(
                proposals_table.update()
                .where(proposals_table.c.proposal_id == proposal_id)
                .values(
                    status=new_status,
                    updated_at=at,
                    decided_by=actor.name,
                    decided_via=actor.source,
                    decided_at=at,
                    decision_reason=reason,
                )
            )
            _audit(
                connection,
                at,
                found.shop_id,
                new_status,
                actor,
                proposal_id=proposal_id,
                exception_id=found.exception_id,
                reason=reason,
                detail=detail,
            )
        decided = self.proposal(proposal_id)
        assert decided is not None
        return decided

    def waive(
        self, shop_id: str, exception_id: str, *, actor: Actor, reason: str, now: datetime
    ) -> WaiverRecord:
        """Close an exception without a journal: record the waiver and withdraw its proposals
        not yet handed to the ERP. Waiving a waived exception again changes nothing."""
        at = utc(now)
        if not reason.strip():
            raise JournalError(f"waiving {exception_id} needs a reason")
        with self.state.transaction(shop_id) as connection:
            existing = connection.execute(
                sa.select(waivers_table).where(
                    waivers_table.c.shop_id == shop_id,
                    waivers_table.c.exception_id == exception_id,
                )
            ).first()
            if existing is not None:
                return WaiverRecord(**existing._mapping)
            connection.execute(
                waivers_table.insert(),
                [
                    {
                        "shop_id": shop_id,
                        "exception_id": exception_id,
                        "actor": actor.name,
                        "actor_source": actor.source,
                        "reason": reason,
                        "waived_at": at,
                    }
                ],
            )
            _audit(connection, at, shop_id, WAIVED, actor, exception_id=exception_id, reason=reason)
            pending = connection.execute(
                sa.select(proposals_table.c.proposal_id).where(
                    proposals_table.c.shop_id == shop_id,
                    proposals_table.c.exception_id == exception_id,
                    proposals_table.c.status.in_(PENDING_STATUSES),
                )
            ).scalars()
            withdrawn = tuple(sorted(pending))
            for proposal_id in withdrawn:
                self._withdraw(
                    connection,
                    shop_id,
                    proposal_id,
                    exception_id,
                    f"the exception was waived: {reason}",
                    at,
                    actor,
                )
        return WaiverRecord(
            shop_id=shop_id,
            exception_id=exception_id,
            actor=actor.name,
            actor_source=actor.source,
            reason=reason,
            waived_at=at,
            withdrawn=withdrawn,
        )

    # ---- reads ----------------------------------------------------------------------------
    def proposals(
        self, shop_id: str | None = None, statuses: Collection[str] | None = None
    ) -> list[ProposalRecord]:
        """Proposals (with their journals and lines), oldest first."""
        query = sa.select(proposals_table)
        if shop_id is not None:
            query = query.where(proposals_table.c.shop_id == shop_id)
        if statuses is not None:
            unknown = set(statuses) - set(PROPOSAL_STATUSES)
            if unknown:
                raise JournalError(f"unknown proposal status {sorted(unknown)[0]!r}")
            query = query.where(proposals_table.c.status.in_(sorted(statuses)))
        query = query.order_by(
            proposals_table.c.shop_id,
            proposals_table.c.created_at,
            proposals_table.c.exception_id,
            proposals_table.c.revision,
        )
        with self.state.engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(query)]
            journals = self._journals(connection, [row["proposal_id"] for row in rows])
        return [_proposal_record(row, journals.get(row["proposal_id"], ())) for row in rows]

    def proposal(self, proposal_id: str) -> ProposalRecord | None:
        with self.state.engine.connect() as connection:
            row = connection.execute(
                sa.select(proposals_table).where(proposals_table.c.proposal_id == proposal_id)
            ).first()
            if row is None:
                return None
            journals = self._journals(connection, [proposal_id])
        return _proposal_record(dict(row._mapping), journals.get(proposal_id, ()))

    def audit(self, shop_id: str | None = None) -> list[AuditRecord]:
        query = sa.select(audit_table).order_by(audit_table.c.event_id)
        if shop_id is not None:
            query = query.where(audit_table.c.shop_id == shop_id)
        with self.state.engine.connect() as connection:
            return [AuditRecord(**row._mapping) for row in connection.execute(query)]

    def outbox(self, shop_id: str | None = None) -> list[OutboxRecord]:
        query = sa.select(outbox_table).order_by(
            outbox_table.c.created_at, outbox_table.c.journal_id
        )
        if shop_id is not None:
            query = query.where(outbox_table.c.shop_id == shop_id)
        with self.state.engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(query)]
            lines = self._lines(connection, [row["journal_id"] for row in rows])
        return [OutboxRecord(**row, lines=lines.get(row["journal_id"], ())) for row in rows]

    def outbox_row(self, journal_id: str) -> OutboxRecord | None:
        with self.state.engine.connect() as connection:
            return self._outbox_row(connection, journal_id)

    def exception_statuses(self, shop_id: str) -> dict[str, str]:
        """Per exception: its current proposal's status (the latest revision), or `waived`."""
        latest = (
            sa.select(
                proposals_table.c.exception_id,
                sa.func.max(proposals_table.c.revision).label("revision"),
            )
            .where(proposals_table.c.shop_id == shop_id)
            .group_by(proposals_table.c.exception_id)
            .subquery()
        )
        query = (
            sa.select(proposals_table.c.exception_id, proposals_table.c.status)
            .join(
                latest,
                sa.and_(
                    proposals_table.c.exception_id == latest.c.exception_id,
                    proposals_table.c.revision == latest.c.revision,
                ),
            )
            .where(proposals_table.c.shop_id == shop_id)
        )
        with self.state.engine.connect() as connection:
            statuses = {row.exception_id: row.status for row in connection.execute(query)}
            for exception_id in self._waived(connection, shop_id):
                statuses[exception_id] = WAIVED
        return dict(sorted(statuses.items()))

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every journal table, for the catalog: money as Decimal (`<x>_cents`
        columns become `<x>`), times tz-aware UTC. Nothing here is a secret."""
        tables = {
            "proposals": proposals_table,
            "journals": journals_table,
            "lines": lines_table,
            "outbox": outbox_table,
            "waivers": waivers_table,
            "audit": audit_table,
        }
        snapshot: dict[str, list[dict[str, Any]]] = {}
        with self.state.engine.connect() as connection:
            for name, table in tables.items():
                order = list(table.primary_key.columns)
                rows = connection.execute(sa.select(table).order_by(*order))
                snapshot[name] = [_money_row(dict(row._mapping)) for row in rows]
        return snapshot

    # ---- posting support (used by retail_sync.journals.posting and .verification) ---------
    @contextmanager
    def posting_lock(
        self,
        shop_id: str,
        *,
        timeout: float | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> Iterator[PostingLock]:
        """Hold the shop's posting lock for the block, across any number of commits.

        PostgreSQL: a session advisory lock on a dedicated connection (the server frees it when
        a killed process's connection drops). SQLite: `flock` on a lock file beside the database
        file (the kernel frees it when the process dies). A second pass for the same shop waits
        — `on_wait` is called once when it starts waiting — for at most `timeout` seconds
        (None: as long as it takes), then raises PostingBusy.
        """
        held = PostingLock(shop_id)
        if self.state.is_postgresql:
            with self._pg_posting_lock(held, timeout, on_wait):
                yield held
        else:
            with self._file_posting_lock(held, timeout, on_wait):
                yield held

    @contextmanager
    def _pg_posting_lock(
        self, held: PostingLock, timeout: float | None, on_wait: Callable[[], None] | None
    ) -> Iterator[None]:
        key = lock_key(held.shop_id, _POSTING_LOCK_NAMESPACE)
        connection = self.state.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = connection.execute(
                sa.text("select pg_try_advisory_lock(:key)"), {"key": key}
            ).scalar_one()
            if not got:
                held.waited = True
                if on_wait is not None:
                    on_wait()
                started = time.monotonic()
                milliseconds = 0 if timeout is None else max(1, int(timeout * 1000))
                connection.execute(sa.text(f"set lock_timeout = {milliseconds}"))
                try:
                    connection.execute(sa.text("select pg_advisory_lock(:key)"), {"key": key})
                except sa.exc.OperationalError as error:
                    raise PostingBusy(
                        f"shop {held.shop_id}: another posting pass holds the posting lock "
                        f"(waited {timeout}s)"
                    ) from error
                finally:
                    held.waited_seconds = time.monotonic() - started
                connection.execute(sa.text("set lock_timeout = 0"))
            try:
                yield
            finally:
                connection.execute(sa.text("select pg_advisory_unlock(:key)"), {"key": key})
        except BaseException:
            # Never hand a connection that may still hold the lock back to the pool.
            connection.invalidate()
            raise
        finally:
            connection.close()

    @contextmanager
    def _file_posting_lock(
        self, held: PostingLock, timeout: float | None, on_wait: Callable[[], None] | None
    ) -> Iterator[None]:
        path = self.posting_lock_path(held.shop_id)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held.waited = True
                if on_wait is not None:
                    on_wait()
                started = time.monotonic()
                if timeout is None:
                    fcntl.flock(descriptor, fcntl.LOCK_EX)
                else:
                    while True:
                        try:
                            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                            break
                        except BlockingIOError:
                            if time.monotonic() - started >= timeout:
                                raise PostingBusy(
                                    f"shop {held.shop_id}: another posting pass holds the "
                                    f"posting lock ({path}; waited {timeout}s)"
                                ) from None
                            time.sleep(_LOCK_POLL_SECONDS)
                held.waited_seconds = time.monotonic() - started
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)

    def posting_lock_path(self, shop_id: str) -> str:
        """The SQLite posting lock file of a shop: beside the database file."""
        database = self.state.engine.url.database
        if not database or database == ":memory:":
            raise JournalError("posting needs a SQLite database file or PostgreSQL, not memory")
        digest = hashlib.sha256(shop_id.encode()).hexdigest()[:16]
        return f"{os.path.abspath(database)}.posting-{digest}.lock"

    def sending_journal_ids(self, shop_id: str) -> dict[str, str]:
        """journal id → proposal id of the shop's outbox rows still `sending`."""
        with self.state.engine.connect() as connection:
            rows = connection.execute(
                sa.select(outbox_table.c.journal_id, outbox_table.c.proposal_id).where(
                    outbox_table.c.shop_id == shop_id,
                    outbox_table.c.status == OUTBOX_SENDING,
                )
            )
            return {row.journal_id: row.proposal_id for row in rows}

    def begin_posting(
        self,
        proposal_id: str,
        journal_id: str,
        *,
        draft: JournalEntryDraft,
        original_date: date,
        moved_reason: str | None,
        now: datetime,
    ) -> OutboxRecord | None:
        """Write the journal's outbox row `sending` (the draft as it will be posted) and mark the
        proposal `posting`, in one transaction. None if the proposal is no longer postable
        (superseded, withdrawn, refused meanwhile) or the row exists already."""
        at = utc(now)
        found = self.proposal(proposal_id)
        if found is None:
            raise JournalError(f"no proposal {proposal_id!r}")
        journal = next((j for j in found.journals if j.journal_id == journal_id), None)
        if journal is None:
            raise JournalError(f"proposal {proposal_id} has no journal {journal_id}")
        with self.state.transaction(found.shop_id) as connection:
            status = connection.execute(
                sa.select(proposals_table.c.status).where(
                    proposals_table.c.proposal_id == proposal_id
                )
            ).scalar_one()
            if status not in (APPROVED, POSTING):
                return None
            if self._outbox_row(connection, journal_id) is not None:
                return None
            connection.execute(
                outbox_table.insert(),
                [
                    {
                        "journal_id": journal_id,
                        "proposal_id": proposal_id,
                        "shop_id": found.shop_id,
                        "external_id": journal.external_id,
                        "subsidiary_id": draft.subsidiary_id,
                        "currency": draft.currency,
                        "posting_date": draft.date,
                        "original_date": original_date,
                        "moved_reason": moved_reason,
                        "memo": draft.memo,
                        "status": OUTBOX_SENDING,
                        "erp_id": None,
                        "attempts": 1,
                        "last_code": None,
                        "last_error": None,
                        "correlation_id": None,
                        "created_at": at,
                        "updated_at": at,
                    }
                ],
            )
            context = {
                "proposal_id": proposal_id,
                "journal_id": journal_id,
                "exception_id": found.exception_id,
            }
            if moved_reason is not None:
                _audit(
                    connection,
                    at,
                    found.shop_id,
                    "moved_period",
                    SYSTEM_ACTOR,
                    reason=moved_reason,
                    detail=f"original date {original_date.isoformat()}, "
                    f"posting date {draft.date.isoformat()}",
                    **context,
                )
            _audit(
                connection,
                at,
                found.shop_id,
                "outbox_written",
                SYSTEM_ACTOR,
                detail=f"{draft.external_id} dated {draft.date.isoformat()}",
                **context,
            )
            if status == APPROVED:
                connection.execute(
                    proposals_table.update()
                    .where(proposals_table.c.proposal_id == proposal_id)
                    .values(status=POSTING, updated_at=at)
                )
                _audit(
                    connection,
                    at,
                    found.shop_id,
                    POSTING,
                    SYSTEM_ACTOR,
                    proposal_id=proposal_id,
                    exception_id=found.exception_id,
                )
            return self._outbox_row(connection, journal_id)

    def note_attempt(
        self, journal_id: str, *, now: datetime, action: str, reason: str | None = None
    ) -> None:
        """One more attempt at a `sending` row is about to be made (audited as `action`)."""
        at = utc(now)
        row = self._require_outbox(journal_id)
        with self.state.transaction(row.shop_id) as connection:
            connection.execute(
                outbox_table.update()
                .where(outbox_table.c.journal_id == journal_id)
                .values(attempts=outbox_table.c.attempts + 1, updated_at=at)
            )
            _audit_outbox(connection, at, row, action, reason=reason)

    def record_landed(
        self,
        journal_id: str,
        *,
        erp_id: str,
        how: LandedHow,
        now: datetime,
        correlation_id: str | None = None,
    ) -> bool:
        """The journal is in the ERP as `erp_id`: outbox row `posted`. False if it was already."""
        at = utc(now)
        row = self._require_outbox(journal_id)
        with self.state.transaction(row.shop_id) as connection:
            result = connection.execute(
                outbox_table.update()
                .where(
                    outbox_table.c.journal_id == journal_id,
                    outbox_table.c.status == OUTBOX_SENDING,
                )
                .values(
                    status=OUTBOX_POSTED,
                    erp_id=erp_id,
                    last_code=None,
                    last_error=None,
                    correlation_id=correlation_id,
                    updated_at=at,
                )
            )
            if result.rowcount != 1:
                return False
            _audit_outbox(
                connection,
                at,
                row,
                how,
                erp_status=how,
                correlation_id=correlation_id,
                detail=f"ERP id {erp_id}",
            )
        return True

    def record_uncertain(
        self,
        journal_id: str,
        *,
        code: str | None,
        message: str,
        correlation_id: str | None,
        now: datetime,
    ) -> None:
        """An attempt's outcome is unknown or it failed transiently: the row stays `sending`."""
        self._record_unposted(
            journal_id, None, "post_uncertain", "unknown", code, message, correlation_id, now
        )

    def record_rejected(
        self,
        journal_id: str,
        *,
        code: str | None,
        message: str,
        correlation_id: str | None,
        now: datetime,
    ) -> None:
        """The ERP refused the journal: outbox row `failed` (settle_proposal then fails it)."""
        self._record_unposted(
            journal_id,
            OUTBOX_FAILED,
            "erp_rejected",
            "rejected",
            code,
            message,
            correlation_id,
            now,
        )

    def _record_unposted(
        self,
        journal_id: str,
        status: str | None,
        action: str,
        erp_status: str,
        code: str | None,
        message: str,
        correlation_id: str | None,
        now: datetime,
    ) -> None:
        """An attempt that did not land: its code and message on the outbox row (and `status`,
        when given), and an audit row `action`."""
        at = utc(now)
        row = self._require_outbox(journal_id)
        values: dict[str, Any] = {
            "last_code": code,
            "last_error": message,
            "correlation_id": correlation_id,
            "updated_at": at,
        }
        if status is not None:
            values["status"] = status
        with self.state.transaction(row.shop_id) as connection:
            connection.execute(
                outbox_table.update().where(outbox_table.c.journal_id == journal_id).values(values)
            )
            _audit_outbox(
                connection,
                at,
                row,
                action,
                erp_status=erp_status,
                erp_code=code,
                correlation_id=correlation_id,
                detail=message,
            )

    def block_posting(
        self, proposal_id: str, journal_id: str, *, reason: str, now: datetime
    ) -> None:
        """A journal cannot be posted at all (no open period to move it to): the proposal
        fails without an outbox row for it."""
        at = utc(now)
        found = self.proposal(proposal_id)
        if found is None:
            raise JournalError(f"no proposal {proposal_id!r}")
        with self.state.transaction(found.shop_id) as connection:
            result = connection.execute(
                proposals_table.update()
                .where(
                    proposals_table.c.proposal_id == proposal_id,
                    proposals_table.c.status.in_((APPROVED, POSTING)),
                )
                .values(status=POST_FAILED, updated_at=at, detail=reason)
            )
            if result.rowcount == 1:
                _audit(
                    connection,
                    at,
                    found.shop_id,
                    POST_FAILED,
                    SYSTEM_ACTOR,
                    proposal_id=proposal_id,
                    journal_id=journal_id,
                    exception_id=found.exception_id,
                    reason=reason,
                )

    def settle_proposal(self, proposal_id: str, *, now: datetime) -> str:
        """Bring a posting proposal's status in line with its outbox rows: `post_failed` when
        the ERP refused one of its journals, `posted` when all are in the ERP. Returns it."""
        at = utc(now)
        found = self.proposal(proposal_id)
        if found is None:
            raise JournalError(f"no proposal {proposal_id!r}")
        with self.state.transaction(found.shop_id) as connection:
            status = connection.execute(
                sa.select(proposals_table.c.status).where(
                    proposals_table.c.proposal_id == proposal_id
                )
            ).scalar_one()
            if status not in (APPROVED, POSTING):
                return str(status)
            rows = {
                row.journal_id: row
                for row in connection.execute(
                    sa.select(
                        outbox_table.c.journal_id,
                        outbox_table.c.status,
                        outbox_table.c.last_code,
                        outbox_table.c.last_error,
                    ).where(outbox_table.c.proposal_id == proposal_id)
                )
            }
            failed = [row for row in rows.values() if row.status == OUTBOX_FAILED]
            if failed:
                new_status = POST_FAILED
                reason = "; ".join(
                    f"journal {row.journal_id} refused by the ERP ({row.last_code}): "
                    f"{row.last_error}"
                    for row in failed
                )
            elif all(
                journal.journal_id in rows and rows[journal.journal_id].status == OUTBOX_POSTED
                for journal in found.journals
            ):
                new_status, reason = POSTED, None
            else:
                return str(status)
            connection.execute(
                proposals_table.update()
                .where(proposals_table.c.proposal_id == proposal_id)
                .values(status=new_status, updated_at=at, detail=reason or found.detail)
            )
            _audit(
                connection,
                at,
                found.shop_id,
                # A journal's landing is audited as `posted`; the proposal's as `proposal_posted`.
                "proposal_posted" if new_status == POSTED else new_status,
                SYSTEM_ACTOR,
                proposal_id=proposal_id,
                exception_id=found.exception_id,
                reason=reason,
            )
            return new_status

    def conclude_verification(
        self, proposal_id: str, *, verified: bool, detail: str, now: datetime
    ) -> bool:
        """A posted proposal read back: `verified` or `correction_failed` (with why). False if
        it is no longer `posted` (another verification got there first)."""
        at = utc(now)
        found = self.proposal(proposal_id)
        if found is None:
            raise JournalError(f"no proposal {proposal_id!r}")
        new_status = VERIFIED if verified else CORRECTION_FAILED
        with self.state.transaction(found.shop_id) as connection:
            result = connection.execute(
                proposals_table.update()
                .where(
                    proposals_table.c.proposal_id == proposal_id,
                    proposals_table.c.status == POSTED,
                )
                .values(status=new_status, updated_at=at, detail=detail)
            )
            if result.rowcount != 1:
                return False
            _audit(
                connection,
                at,
                found.shop_id,
                new_status,
                SYSTEM_ACTOR,
                proposal_id=proposal_id,
                exception_id=found.exception_id,
                detail=detail,
            )
        return True

    # ---- helpers --------------------------------------------------------------------------
    @staticmethod
    def _waived(connection: sa.Connection, shop_id: str) -> set[str]:
        return set(
            connection.execute(
                sa.select(waivers_table.c.exception_id).where(waivers_table.c.shop_id == shop_id)
            ).scalars()
        )

    @staticmethod
    def _proposal_rows(
        connection: sa.Connection, shop_id: str, *, exception_ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for chunk in in_chunks(exception_ids):
            for row in connection.execute(
                sa.select(proposals_table).where(
                    proposals_table.c.shop_id == shop_id,
                    proposals_table.c.exception_id.in_(chunk),
                )
            ):
                rows[row.proposal_id] = dict(row._mapping)
        return rows

    @staticmethod
    def _exceptions_with_landed_journals(
        connection: sa.Connection, shop_id: str, exception_ids: Sequence[str]
    ) -> set[str]:
        """Exceptions with a journal posted (or maybe posted) under any of their proposals."""
        landed: set[str] = set()
        for chunk in in_chunks(exception_ids):
            landed.update(
                connection.execute(
                    sa.select(proposals_table.c.exception_id)
                    .join(outbox_table, outbox_table.c.proposal_id == proposals_table.c.proposal_id)
                    .where(
                        proposals_table.c.shop_id == shop_id,
                        proposals_table.c.exception_id.in_(chunk),
                        outbox_table.c.status.in_((OUTBOX_SENDING, OUTBOX_POSTED)),
                    )
                ).scalars()
            )
        return landed

    def _journals(
        self, connection: sa.Connection, proposal_ids: Sequence[str]
    ) -> dict[str, tuple[JournalRecord, ...]]:
        rows: list[dict[str, Any]] = []
        for chunk in in_chunks(proposal_ids):
            rows.extend(
                dict(row._mapping)
                for row in connection.execute(
                    sa.select(journals_table)
                    .where(journals_table.c.proposal_id.in_(chunk))
                    .order_by(journals_table.c.proposal_id, journals_table.c.position)
                )
            )
        lines = self._lines(connection, [row["journal_id"] for row in rows])
        journals: dict[str, list[JournalRecord]] = defaultdict(list)
        for row in rows:
            journals[row["proposal_id"]].append(
                JournalRecord(
                    journal_id=row["journal_id"],
                    proposal_id=row["proposal_id"],
                    external_id=row["external_id"],
                    ledger_date=row["ledger_date"],
                    memo=row["memo"],
                    lines=lines.get(row["journal_id"], ()),
                )
            )
        return {key: tuple(value) for key, value in journals.items()}

    @staticmethod
    def _lines(
        connection: sa.Connection, journal_ids: Sequence[str]
    ) -> dict[str, tuple[LineRecord, ...]]:
        lines: dict[str, list[LineRecord]] = defaultdict(list)
        for chunk in in_chunks(journal_ids):
            for row in connection.execute(
                sa.select(lines_table)
                .where(lines_table.c.journal_id.in_(chunk))
                .order_by(lines_table.c.journal_id, lines_table.c.line_no)
            ):
                lines[row.journal_id].append(
                    LineRecord(
                        account=row.account,
                        debit=from_cents(row.debit_cents),
                        credit=from_cents(row.credit_cents),
                    )
                )
        return {key: tuple(value) for key, value in lines.items()}

    def _outbox_row(self, connection: sa.Connection, journal_id: str) -> OutboxRecord | None:
        row = connection.execute(
            sa.select(outbox_table).where(outbox_table.c.journal_id == journal_id)
        ).first()
        if row is None:
            return None
        lines = self._lines(connection, [journal_id])
        return OutboxRecord(**row._mapping, lines=lines.get(journal_id, ()))

    def _require_outbox(self, journal_id: str) -> OutboxRecord:
        row = self.outbox_row(journal_id)
        if row is None:
            raise JournalError(f"journal {journal_id} has no outbox row")
        return row


def _proposal_record(row: dict[str, Any], journals: tuple[JournalRecord, ...]) -> ProposalRecord:
    values = dict(row)
    values["amount"] = from_cents(values.pop("amount_cents"))
    values["variance"] = _optional_money(values.pop("variance_cents"))
    return ProposalRecord(**values, journals=journals)


def _money_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key.endswith("_cents"):
            out[key[: -len("_cents")]] = _optional_money(value)
        else:
            out[key] = value
    return out


def _audit(
    connection: sa.Connection,
    at: datetime,
    shop_id: str,
    action: str,
    actor: Actor,
    *,
    proposal_id: str | None = None,
    journal_id: str | None = None,
    exception_id: str | None = None,
    reason: str | None = None,
    erp_status: str | None = None,
    erp_code: str | None = None,
    correlation_id: str | None = None,
    detail: str | None = None,
) -> None:
    connection.execute(
        audit_table.insert(),
        [
            {
                "at": at,
                "shop_id": shop_id,
                "proposal_id": proposal_id,
                "journal_id": journal_id,
                "exception_id": exception_id,
                "action": action,
                "actor": actor.name,
                "actor_source": actor.source,
                "reason": reason,
                "erp_status": erp_status,
                "erp_code": erp_code,
                "correlation_id": correlation_id,
                "detail": detail,
            }
        ],
    )


def _audit_outbox(
    connection: sa.Connection,
    at: datetime,
    row: OutboxRecord,
    action: str,
    *,
    reason: str | None = None,
    erp_status: str | None = None,
    erp_code: str | None = None,
    correlation_id: str | None = None,
    detail: str | None = None,
) -> None:
    exception_id = connection.execute(
        sa.select(proposals_table.c.exception_id).where(
            proposals_table.c.proposal_id == row.proposal_id
        )
    ).scalar_one_or_none()
    _audit(
        connection,
        at,
        row.shop_id,
        action,
        SYSTEM_ACTOR,
        proposal_id=row.proposal_id,
        journal_id=row.journal_id,
        exception_id=exception_id,
        reason=reason,
        erp_status=erp_status,
        erp_code=erp_code,
        correlation_id=correlation_id,
        detail=detail,
    )
