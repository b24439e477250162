"""`retail-sync journals`: list, show, approve, reject and waive from a terminal.

Approving or rejecting runs the same Dagster asset the UI does (`journals/approved` or
`journals/rejected` for the proposal's `journal_proposal` partition), in process on the current
instance, so a decision from the terminal is recorded, posted and verified exactly as one from
the UI. The terminal cannot prove who typed it: the name (`--as`, default the login name) is
recorded as self-declared, like an approval in a UI without an authenticating proxy.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

import dagster as dg

from retail_sync.app.run_outcome import run_outcome
from retail_sync.definitions import build_definitions
from retail_sync.defs.journals.assets import PROPOSAL_PARTITIONS
from retail_sync.defs.recovery import worker_tags
from retail_sync.defs.settlement.jobs import APPROVE_JOURNAL_JOB, REJECT_JOURNAL_JOB
from retail_sync.errors import RetailSyncError
from retail_sync.journals.store import Actor, JournalStore, ProposalRecord
from retail_sync.reconcile.lifecycle import WAIVED, LifecycleStore, set_status
from retail_sync.reconcile.lifecycle import state_url_from_environment as state_url
from retail_sync.settings import Paths

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


class JournalCommandFailed(RetailSyncError):
    """A journals command could not do what it was asked; the message says why."""


def _stores(paths: Paths) -> tuple[LifecycleStore, JournalStore]:
    lifecycle = LifecycleStore(state_url(paths))
    return lifecycle, JournalStore(lifecycle)


def _row(record: ProposalRecord) -> str:
    return (
        f"{record.proposal_id}  {record.shop_id:<20} {record.business_date}  "
        f"{record.kind:<32} {record.amount:>12} {record.currency}  {record.status}"
    )


def list_proposals(paths: Paths, *, shop_id: str | None, statuses: list[str] | None) -> str:
    lifecycle, journals = _stores(paths)
    with lifecycle:
        records = journals.proposals(shop_id, statuses=statuses or None)
    if not records:
        return "no proposals" + (f" with status {', '.join(statuses)}" if statuses else "")
    header = f"{'proposal':<24}  {'shop':<20} {'date':<10}  {'kind':<32} {'amount':>12}      status"
    return "\n".join([header, *(_row(record) for record in records)])


def show_proposal(paths: Paths, proposal_id: str) -> str:
    lifecycle, journals = _stores(paths)
    with lifecycle:
        record = journals.proposal(proposal_id)
    if record is None:
        raise JournalCommandFailed(f"no proposal {proposal_id!r} (see `retail-sync journals list`)")
    lines = [
        _row(record),
        f"exception {record.exception_id}; route {record.route}",
    ]
    if record.decided_by:
        lines.append(
            f"decided by {record.decided_by} ({record.decided_via}) at {record.decided_at}: "
            f"{record.decision_reason or 'no reason given'}"
        )
    if record.detail:
        lines.append(record.detail)
    for journal in record.journals:
        lines.append(f"  journal {journal.external_id} dated {journal.ledger_date}: {journal.memo}")
        for line in journal.lines:
            lines.append(f"    {line.account:<8} Dr {line.debit:>12}  Cr {line.credit:>12}")
    return "\n".join(lines)


def decide(paths: Paths, proposal_id: str, decision: str, *, reason: str, actor: str | None) -> str:
    """Approve (post and verify) or reject one proposal through its Dagster asset."""
    if decision == "reject" and not reason.strip():
        raise JournalCommandFailed("a rejection needs a reason (--reason)")
    definitions = build_definitions(paths)
    job_name = APPROVE_JOURNAL_JOB if decision == "approve" else REJECT_JOURNAL_JOB
    op = "journals__approved" if decision == "approve" else "journals__rejected"
    with dg.DagsterInstance.get() as instance:
        if proposal_id not in instance.get_dynamic_partitions(PROPOSAL_PARTITIONS):
            raise JournalCommandFailed(
                f"{proposal_id!r} is not a proposal awaiting approval "
                "(see `retail-sync journals list --status awaiting_approval`)"
            )
        result = definitions.resolve_job_def(job_name).execute_in_process(
            instance=instance,
            partition_key=proposal_id,
            run_config=QUIET_LOGS
            | {"ops": {op: {"config": {"reason": reason, "approver": actor or getpass.getuser()}}}},
            raise_on_error=False,
            tags=worker_tags(),
        )
    if not result.success:
        outcome = run_outcome(result)
        failure = next(
            (
                event.step_failure_data.error.message.strip()
                for event in result.all_events
                if event.is_step_failure and event.step_failure_data.error
            ),
            "",
        )
        raise JournalCommandFailed(
            f"{decision} {proposal_id} failed in {', '.join(outcome.errored_steps) or 'the run'}"
            + (f": {failure}" if failure else "")
            + f" (run {result.run_id})"
        )
    return show_proposal(paths, proposal_id)


def waive(paths: Paths, shop_id: str, exception_id: str, *, reason: str, actor: str | None) -> str:
    """Close an exception without a journal, with a reason."""
    if not reason.strip():
        raise JournalCommandFailed("a waiver needs a reason (--reason)")
    lifecycle, journals = _stores(paths)
    now = datetime.now(UTC)
    with lifecycle:
        who = Actor(name=actor or getpass.getuser(), source="self_declared")
        # The lifecycle first: it refuses an exception id it does not know.
        set_status(lifecycle, shop_id, [exception_id], WAIVED, now.date())
        journals.waive(shop_id, exception_id, actor=who, reason=reason.strip(), now=now)
    return f"exception {exception_id} of {shop_id} waived by {who.name}: {reason.strip()}"
