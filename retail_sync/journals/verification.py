"""Verification: read every posted correction back from the ERP and check that it did its job.

For each `posted` proposal of the shop whose business date was re-reconciled (`checked_dates`):
each journal is read back by its external id and compared with its outbox draft (date, and the
lines as a multiset of account, debit, credit); then the re-reconciliation's verdict
(`remaining`: the exceptions it still finds, with their remaining variance) is applied. All well →
`verified`; a journal absent or different, or the difference still there → `correction_failed`,
with the detail saying which and both figures. An ERP error leaves the proposal `posted` (listed
as unverified) for the next run. Verified and failed proposals are not looked at again, so a
second call changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from retail_sync.erp.port import ERPError, ERPPort, PostedJournal
from retail_sync.failpoints import failpoint
from retail_sync.journals.store import (
    OUTBOX_POSTED,
    POSTED,
    JournalStore,
    OutboxRecord,
    ProposalRecord,
)

VERIFY_FAILPOINTS = (
    "journals.verify.start",
    "journals.verify.before_read",
    "journals.verify.after_read",
    "journals.verify.before_status",
    "journals.verify.after_status",
    "journals.verify.done",
)


@dataclass(frozen=True)
class VerifiedProposal:
    proposal_id: str
    exception_id: str
    amount: Decimal


@dataclass(frozen=True)
class FailedVerification:
    proposal_id: str
    exception_id: str
    reason: str
    variance_before: Decimal | None
    variance_after: Decimal | None


@dataclass(frozen=True)
class VerificationSummary:
    shop_id: str
    verified: tuple[VerifiedProposal, ...] = ()
    failed: tuple[FailedVerification, ...] = ()
    unverified: tuple[tuple[str, str], ...] = ()  # (proposal id, why it could not be read back)

    @property
    def verified_amount(self) -> Decimal:
        return sum((item.amount for item in self.verified), Decimal("0.00"))


def verify_posted(
    store: JournalStore,
    erp: ERPPort,
    shop_id: str,
    *,
    remaining: Mapping[str, Decimal],
    checked_dates: Collection[date],
    now: datetime,
) -> VerificationSummary:
    """Verify the shop's posted proposals of `checked_dates` against the ERP and `remaining`."""
    dates = set(checked_dates)
    verified: list[VerifiedProposal] = []
    failed: list[FailedVerification] = []
    unverified: list[tuple[str, str]] = []
    failpoint("journals.verify.start")
    outbox = {row.journal_id: row for row in store.outbox(shop_id)}
    for proposal in store.proposals(shop_id, statuses=(POSTED,)):
        if proposal.business_date not in dates:
            continue
        try:
            problems = _read_back(erp, proposal, outbox)
        except ERPError as error:
            unverified.append((proposal.proposal_id, f"cannot read it back: {error}"))
            continue
        before = proposal.variance if proposal.variance is not None else proposal.amount
        after = remaining.get(proposal.exception_id)
        if problems:
            reason = "; ".join(problems)
        elif after is not None:
            reason = (
                f"the difference persists after the correction: variance before {before}, "
                f"after {after}"
            )
        else:
            reason = ""
        failpoint("journals.verify.before_status")
        if reason:
            changed = store.conclude_verification(
                proposal.proposal_id, verified=False, detail=reason, now=now
            )
            if changed:
                failed.append(
                    FailedVerification(
                        proposal_id=proposal.proposal_id,
                        exception_id=proposal.exception_id,
                        reason=reason,
                        variance_before=before,
                        variance_after=after,
                    )
                )
        else:
            detail = (
                f"read back: {len(proposal.journals)} journal(s) as posted; the difference "
                f"({before}) is gone"
            )
            if store.conclude_verification(
                proposal.proposal_id, verified=True, detail=detail, now=now
            ):
                verified.append(
                    VerifiedProposal(proposal.proposal_id, proposal.exception_id, proposal.amount)
                )
        failpoint("journals.verify.after_status")
    failpoint("journals.verify.done")
    return VerificationSummary(
        shop_id=shop_id,
        verified=tuple(verified),
        failed=tuple(failed),
        unverified=tuple(unverified),
    )


def _read_back(
    erp: ERPPort, proposal: ProposalRecord, outbox: Mapping[str, OutboxRecord]
) -> list[str]:
    """What is wrong with the proposal's journals in the ERP (empty: each is as drafted)."""
    problems: list[str] = []
    for journal in proposal.journals:
        row = outbox.get(journal.journal_id)
        if row is None or row.status != OUTBOX_POSTED:
            problems.append(f"journal {journal.external_id} has no posted outbox row")
            continue
        failpoint("journals.verify.before_read")
        found = erp.find_journal(row.external_id)
        failpoint("journals.verify.after_read")
        problems.extend(compare_journal(row, found))
    return problems


def compare_journal(row: OutboxRecord, found: PostedJournal | None) -> list[str]:
    """How the journal read back differs from its outbox draft (empty: it does not)."""
    if found is None:
        return [f"journal {row.external_id} is not in the ERP"]
    problems = []
    if row.erp_id is not None and found.erp_id != row.erp_id:
        problems.append(
            f"journal {row.external_id} is ERP id {found.erp_id}, not {row.erp_id} as posted"
        )
    if found.date != row.posting_date:
        problems.append(
            f"journal {row.external_id} is dated {found.date} in the ERP, not {row.posting_date}"
        )
    drafted = Counter((line.account, line.debit, line.credit) for line in row.lines)
    read = Counter((line.account_number, line.debit, line.credit) for line in found.lines)
    if drafted != read:
        missing = sorted(drafted - read)
        extra = sorted(read - drafted)
        parts = []
        if missing:
            parts.append("missing " + ", ".join(_line(line) for line in missing))
        if extra:
            parts.append("unexpected " + ", ".join(_line(line) for line in extra))
        problems.append(f"journal {row.external_id} lines differ: {'; '.join(parts)}")
    return problems


def _line(line: tuple[str, Decimal, Decimal]) -> str:
    account, debit, credit = line
    return f"{account} Dr {debit}" if debit else f"{account} Cr {credit}"
