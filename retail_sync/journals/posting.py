"""Posting approved corrections through the ERP port, exactly once, with an outbox.

One pass (`post_approved`) holds the shop's posting lock (`JournalStore.posting_lock`) from start
to end, so two passes for one shop never interleave: the second waits for the first (or, with
`lock_timeout`, gives up with PostingBusy). Per journal of each approved proposal:

1. No outbox row yet: the journal's date is checked against the ERP's periods (read once per
   pass). In a locked or closed period it moves to the first day of the next open period after
   it; its memo keeps its text (and the correction token) and adds "originally dated <d>: period
   <name> is <status>"; the audit records both dates. The outbox row is written `sending` with
   that final draft, and committed, before the ERP is called. Then `erp.post_journal(draft)`:
   posted → outbox `posted` with the ERP id; refused (ERPRejected) → outbox `failed`, the
   proposal `post_failed`; any other ERP error (5xx, timeout, lost response, maintenance, a body
   we cannot read) → the row stays `sending` for the next pass.
2. An outbox row already `sending` (a crash, or an uncertain attempt): the external id is looked
   up first; found → `posted` (`found_by_lookup`); not found → the *stored* draft is POSTed again
   (the adapter turns a duplicate external id into `already_posted`). Never an upsert: NetSuite's
   PUT on an existing entry adds lines.

A proposal becomes `posting` with its first outbox row, `posted` when all its journals are
posted. Once one of its journals is refused, no further journal of it is started. Every step
boundary has a named failpoint (`FAILPOINTS`) for the crash-safety tests.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from retail_sync.erp.port import (
    ERPError,
    ERPPort,
    ERPRejected,
    JournalEntryDraft,
    JournalLineDraft,
    Period,
)
from retail_sync.failpoints import failpoint
from retail_sync.journals.store import (
    APPROVED,
    OUTBOX_FAILED,
    OUTBOX_SENDING,
    POST_FAILED,
    POSTED,
    POSTING,
    JournalRecord,
    JournalStore,
    OutboxRecord,
    ProposalRecord,
)
from retail_sync.journals.verification import VERIFY_FAILPOINTS

POST_FAILPOINTS = (
    "journals.post.lock_acquired",
    "journals.post.before_proposal",
    "journals.post.periods_read",
    "journals.post.before_outbox_write",
    "journals.post.after_outbox_write",
    "journals.post.before_erp_call",
    "journals.post.after_erp_call",
    "journals.post.before_outbox_update",
    "journals.post.after_outbox_update",
    "journals.post.between_journals",
    "journals.post.before_lookup",
    "journals.post.after_lookup",
    "journals.post.before_repost",
    "journals.post.after_attempt_recorded",
    "journals.post.before_proposal_status",
    "journals.post.after_proposal_status",
    "journals.post.pass_done",
)
# Every crash point of posting and verification (RETAIL_SYNC_FAILPOINT=<name>[@n]).
FAILPOINTS = POST_FAILPOINTS + VERIFY_FAILPOINTS

REPOST_REASON = (
    "not in the ERP after an uncertain attempt: posting the stored draft again (POST, never PUT)"
)


@dataclass(frozen=True)
class MovedJournal:
    journal_id: str
    original_date: date
    posting_date: date
    reason: str


@dataclass(frozen=True)
class PostingSummary:
    """One pass: journals the ERP created (`posted`) or already had (`already_posted`: a
    duplicate external id, or found by looking it up), their amount (Σ debit), the journals
    moved to another period, those that failed (journal id, reason), and the outbox rows still
    `sending` when the pass ended (`pending_uncertain`: the next pass resolves them)."""

    shop_id: str
    posted: int = 0
    already_posted: int = 0
    amount: Decimal = Decimal("0.00")
    moved: tuple[MovedJournal, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    pending_uncertain: int = 0
    proposals_posted: tuple[str, ...] = ()
    lock_waited: bool = False


@dataclass
class _Pass:
    store: JournalStore
    erp: ERPPort
    shop_id: str
    now: Callable[[], datetime]
    posted: int = 0
    already_posted: int = 0
    amount: Decimal = Decimal("0.00")
    moved: list[MovedJournal] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    proposals_posted: list[str] = field(default_factory=list)
    _periods: list[Period] | None = None

    # ---- one proposal ---------------------------------------------------------------------
    def post_proposal(self, proposal: ProposalRecord) -> None:
        failpoint("journals.post.before_proposal")
        start_new = proposal.status in (APPROVED, POSTING)
        for index, journal in enumerate(proposal.journals):
            if index:
                failpoint("journals.post.between_journals")
            row = self.store.outbox_row(journal.journal_id)
            if row is None:
                if not start_new:
                    continue
                row = self.start(proposal, journal)
                if row is None:
                    start_new = False
                    continue
                self.send(row)
            elif row.status == OUTBOX_SENDING:
                self.resolve(row)
            settled = self.store.outbox_row(journal.journal_id)
            if settled is not None and settled.status == OUTBOX_FAILED:
                start_new = False  # never post the rest of a correction the ERP refused
        failpoint("journals.post.before_proposal_status")
        status = self.store.settle_proposal(proposal.proposal_id, now=self.now())
        failpoint("journals.post.after_proposal_status")
        if status == POSTED and proposal.status != POSTED:
            self.proposals_posted.append(proposal.proposal_id)

    # ---- a journal without an outbox row --------------------------------------------------
    def start(self, proposal: ProposalRecord, journal: JournalRecord) -> OutboxRecord | None:
        """Write the journal's outbox row (date moved out of a locked/closed period)."""
        when, moved_reason = posting_date(journal.ledger_date, self.periods())
        if when is None:
            assert moved_reason is not None
            self.store.block_posting(
                proposal.proposal_id, journal.journal_id, reason=moved_reason, now=self.now()
            )
            self.failed.append((journal.journal_id, moved_reason))
            return None
        memo = journal.memo
        if moved_reason is not None:
            memo = f"{memo}; originally dated {journal.ledger_date.isoformat()}: {moved_reason}"
        draft = JournalEntryDraft(
            external_id=journal.external_id,
            subsidiary_id=proposal.subsidiary_id,
            currency=proposal.currency,
            date=when,
            memo=memo,
            lines=tuple(
                JournalLineDraft(account_number=line.account, debit=line.debit, credit=line.credit)
                for line in journal.lines
            ),
        )
        draft.check_balanced()
        failpoint("journals.post.before_outbox_write")
        row = self.store.begin_posting(
            proposal.proposal_id,
            journal.journal_id,
            draft=draft,
            original_date=journal.ledger_date,
            moved_reason=moved_reason,
            now=self.now(),
        )
        failpoint("journals.post.after_outbox_write")
        if row is not None and moved_reason is not None:
            self.moved.append(
                MovedJournal(journal.journal_id, journal.ledger_date, when, moved_reason)
            )
        return row

    def periods(self) -> list[Period]:
        if self._periods is None:
            self._periods = [p for p in self.erp.periods() if isinstance(p, Period)]
            failpoint("journals.post.periods_read")
        return self._periods

    # ---- the ERP calls --------------------------------------------------------------------
    def send(self, row: OutboxRecord) -> None:
        """POST the stored draft once and record what came of it."""
        failpoint("journals.post.before_erp_call")
        try:
            result = self.erp.post_journal(row.draft())
        except ERPRejected as error:
            failpoint("journals.post.before_outbox_update")
            self.store.record_rejected(
                row.journal_id,
                code=error.code,
                message=str(error),
                correlation_id=error.correlation_id,
                now=self.now(),
            )
            failpoint("journals.post.after_outbox_update")
            self.failed.append((row.journal_id, f"refused by the ERP: {error}"))
            return
        except ERPError as error:
            self.uncertain(row, error)
            return
        failpoint("journals.post.after_erp_call")
        failpoint("journals.post.before_outbox_update")
        landed = self.store.record_landed(
            row.journal_id,
            erp_id=result.erp_id,
            how=result.status,
            now=self.now(),
            correlation_id=result.correlation_id,
        )
        failpoint("journals.post.after_outbox_update")
        if landed:
            self.count(row, already=result.status == "already_posted")

    def resolve(self, row: OutboxRecord) -> None:
        """A row left `sending`: look the external id up before anything is sent again."""
        failpoint("journals.post.before_lookup")
        try:
            found = self.erp.find_journal(row.external_id)
        except ERPError as error:
            self.uncertain(row, error)
            return
        failpoint("journals.post.after_lookup")
        if found is not None:
            failpoint("journals.post.before_outbox_update")
            landed = self.store.record_landed(
                row.journal_id, erp_id=found.erp_id, how="found_by_lookup", now=self.now()
            )
            failpoint("journals.post.after_outbox_update")
            if landed:
                self.count(row, already=True)
            return
        failpoint("journals.post.before_repost")
        self.store.note_attempt(
            row.journal_id, now=self.now(), action="post_retry", reason=REPOST_REASON
        )
        failpoint("journals.post.after_attempt_recorded")
        self.send(row)

    def uncertain(self, row: OutboxRecord, error: ERPError) -> None:
        self.store.record_uncertain(
            row.journal_id,
            code=error.code,
            message=str(error),
            correlation_id=error.correlation_id,
            now=self.now(),
        )

    def count(self, row: OutboxRecord, *, already: bool) -> None:
        if already:
            self.already_posted += 1
        else:
            self.posted += 1
        self.amount += sum((line.debit for line in row.lines), Decimal("0.00"))


def posting_date(ledger_date: date, periods: Sequence[Period]) -> tuple[date | None, str | None]:
    """The date to post a journal of `ledger_date` on, and why it moved (None: as dated).

    A date in a locked or closed period moves to the first day of the next open period after
    that period; (None, reason) when no open period follows. A date in no listed period stays
    (the ERP decides). Of overlapping periods, the shortest covering one counts.
    """
    covering = [p for p in periods if p.start <= ledger_date <= p.end]
    if not covering:
        return ledger_date, None
    period = min(covering, key=lambda p: (p.end - p.start, p.start))
    if period.is_open:
        return ledger_date, None
    reason = f"period {period.name} is {period.status}"
    later = sorted(p.start for p in periods if p.is_open and p.start > period.end)
    if not later:
        return None, f"{reason} and no open period follows it: cannot post"
    return later[0], reason


def post_approved(
    store: JournalStore,
    erp: ERPPort,
    shop_id: str,
    *,
    now: Callable[[], datetime],
    proposal_ids: Collection[str] | None = None,
    lock_timeout: float | None = None,
    on_lock_wait: Callable[[], None] | None = None,
) -> PostingSummary:
    """Post the shop's approved proposals (or those of `proposal_ids`) and resolve every outbox
    row left `sending`, under the shop's posting lock. A second pass for the same shop waits for
    the lock (`on_lock_wait` is called when it starts waiting); with `lock_timeout` seconds it
    raises PostingBusy instead of waiting longer. An ERP error reading the periods propagates
    (nothing new is written then); the other ERP errors are recorded per journal."""
    wanted = None if proposal_ids is None else set(proposal_ids)
    with store.posting_lock(shop_id, timeout=lock_timeout, on_wait=on_lock_wait) as lock:
        failpoint("journals.post.lock_acquired")
        run = _Pass(store=store, erp=erp, shop_id=shop_id, now=now)
        sending = set(store.sending_journal_ids(shop_id))
        for proposal in store.proposals(shop_id, statuses=(APPROVED, POSTING, POST_FAILED)):
            if wanted is not None and proposal.proposal_id not in wanted:
                continue
            if proposal.status == POST_FAILED and not any(
                journal.journal_id in sending for journal in proposal.journals
            ):
                continue  # refused: only a journal still in doubt is looked at again
            run.post_proposal(proposal)
        pending = len(store.sending_journal_ids(shop_id))
        failpoint("journals.post.pass_done")
    return PostingSummary(
        shop_id=shop_id,
        posted=run.posted,
        already_posted=run.already_posted,
        amount=run.amount,
        moved=tuple(run.moved),
        failed=tuple(run.failed),
        pending_uncertain=pending,
        proposals_posted=tuple(run.proposals_posted),
        lock_waited=lock.waited,
    )
