"""Corrective journals in the nightly run: propose → auto-post → verify, and approval per proposal.

Per business date × shop, after the reconciliation:

- `journals/proposals` records the run's exceptions in the lifecycle, builds a balanced journal for
  each open exception the policy covers (`retail_sync.journals.proposals`), and keeps them in the
  state store (`retail_sync.journals.store`): auto-postable ones approved by the policy, the rest
  awaiting approval — each of those a partition of `journal_proposal`, with its lines, amounts
  and exception in that partition's metadata (an observation of `journals/approved`).
- `journals/postings` posts every approved proposal of the run's shops through the ERP port with
  the outbox (`retail_sync.journals.posting`): exactly once, whatever crashes or retries.
- `journals/verification` re-reads the ledger for the dates the journals touched, reconciles
  again (the recon partitions are rewritten from the ledger as it now is), and marks each posted
  proposal verified or correction_failed (`retail_sync.journals.verification`).

Approval: materializing `journals/approved` for a proposal's partition approves it and posts and
verifies it at once; `journals/rejected` (config `reason`) rejects it — a rejected proposal never
reaches the ERP. Who decided comes from the authenticating proxy's header when the instance runs
`IdentityRunCoordinator` (docs/journals.md, "Who approved"); otherwise it is recorded as
self-declared.

Per-partition figures: Dagster 1.13 copies a `MaterializeResult` onto every partition of a
single-run backfill (see defs/reconcile/report.py), so each step records its figures per
partition as an `AssetObservation` and its run totals on the materialization.
"""

# No `from __future__ import annotations`: Dagster reads config and resource annotations at runtime.

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg

from retail_sync.defs.failures import ERP_STEP_RETRY, retried_only_when_transient
from retail_sync.defs.journals.identity import decision_actor
from retail_sync.defs.keys import JOURNALS_GROUP, partition_key
from retail_sync.defs.metadata import markdown_table
from retail_sync.defs.partitions import date_shop_partitions, partitions_of, single_run
from retail_sync.defs.reconcile.assets import RECON_KEYS, write_reconciliation
from retail_sync.defs.reconcile.report import StateStoreResource
from retail_sync.defs.resources import ERPResource, LakeResource, ShopsResource
from retail_sync.defs.staging.assets import write_staging
from retail_sync.settings import Paths

if TYPE_CHECKING:
    from retail_sync.erp.port import ERPPort
    from retail_sync.journals.policy import Policy
    from retail_sync.journals.store import JournalStore, ProposalRecord
    from retail_sync.journals.verification import VerificationSummary
    from retail_sync.reconcile.lifecycle import LifecycleStore
    from retail_sync.shops import ShopSettings
    from retail_sync.warehouse.lake import Lake

PROPOSAL_PARTITIONS = "journal_proposal"
proposal_partitions = dg.DynamicPartitionsDefinition(name=PROPOSAL_PARTITIONS)

PROPOSALS_KEY = dg.AssetKey(["journals", "proposals"])
POSTINGS_KEY = dg.AssetKey(["journals", "postings"])
VERIFICATION_KEY = dg.AssetKey(["journals", "verification"])
APPROVED_KEY = dg.AssetKey(["journals", "approved"])
REJECTED_KEY = dg.AssetKey(["journals", "rejected"])
JOURNAL_KEYS = [PROPOSALS_KEY, POSTINGS_KEY, VERIFICATION_KEY]

SHOWN = 50
ZERO = Decimal("0.00")


class PolicyResource(dg.ConfigurableResource):
    """The correction policy file; when it does not exist, the defaults for every shop."""

    path: str

    def policy(self, shops: Iterable["ShopSettings"]) -> "Policy":
        from retail_sync.journals.policy import Policy, ShopPolicy, load_policy

        shops = list(shops)
        if Path(self.path).exists():
            return load_policy(self.path, shops)
        return Policy(
            source=f"{self.path} (absent: defaults)",
            shops={
                shop.id: ShopPolicy(shop_id=shop.id, subsidiary_id=shop.erp_subsidiary_id)
                for shop in shops
            },
        )


def journals_resources(paths: Paths) -> dict[str, dg.ConfigurableResource]:
    """`policy`: RETAIL_SYNC_POLICY_FILE, else `<home>/journals.yaml` (`Paths.policy_file`)."""
    return {"policy": PolicyResource(path=str(paths.policy_file))}


class SeenOnConfig(dg.Config):
    """`seen_on` (YYYY-MM-DD) fixes the lifecycle day; by default each shop's today."""

    seen_on: str | None = None


def _seen_on(config: SeenOnConfig, shop: "ShopSettings") -> date:
    if config.seen_on:
        return date.fromisoformat(config.seen_on)
    return _today(shop)


def _today(shop: "ShopSettings") -> date:
    return datetime.now(shop.zone).date()


def _now() -> datetime:
    return datetime.now(UTC)


def _dates_by_shop(partitions: Sequence[tuple[date, str]]) -> dict[str, list[date]]:
    by_shop: dict[str, list[date]] = defaultdict(list)
    for business_date, shop_id in partitions:
        by_shop[shop_id].append(business_date)
    return dict(sorted(by_shop.items()))


def _journal_store(state: StateStoreResource) -> tuple["LifecycleStore", "JournalStore"]:
    from retail_sync.journals.store import JournalStore

    lifecycle = state.store()
    return lifecycle, JournalStore(lifecycle)


def _read_recon(
    the_lake: "Lake", entity: str, shop_id: str, dates: Iterable[date]
) -> list[dict[str, Any]]:
    """The rows of one recon output for a shop's dates (an absent partition has none)."""
    import duckdb

    from retail_sync.reconcile.report.read import recon_file

    files = [recon_file(the_lake, entity, shop_id, day) for day in sorted(set(dates))]
    files = [path for path in files if path.exists()]
    if not files:
        return []
    with duckdb.connect() as connection:
        relation = connection.execute(
            "select * from read_parquet($files, union_by_name = true)",
            {"files": [str(path) for path in files]},
        )
        columns = [column[0] for column in relation.description]
        return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]


def _sync_lifecycle(
    lifecycle: "LifecycleStore",
    journals: "JournalStore",
    shop_id: str,
    on: date,
) -> int:
    """Carry the journals' state of the shop's exceptions into the lifecycle's status."""
    from retail_sync.reconcile.lifecycle import exceptions, set_status

    known = {record.exception_id: record.status for record in exceptions(lifecycle, shop_id)}
    wanted: dict[str, list[str]] = defaultdict(list)
    for exception_id, status in journals.exception_statuses(shop_id).items():
        lifecycle_status = LIFECYCLE_STATUS.get(status)
        if lifecycle_status and exception_id in known and known[exception_id] != lifecycle_status:
            wanted[lifecycle_status].append(exception_id)
    return sum(
        set_status(lifecycle, shop_id, ids, status, on) for status, ids in sorted(wanted.items())
    )


# A proposal's status → its exception's lifecycle status (docs/finance.md, "Statuses").
LIFECYCLE_STATUS = {
    "awaiting_approval": "awaiting_approval",
    "approved": "proposed",
    "posting": "proposed",
    "post_failed": "proposed",
    "posted": "posted",
    "verified": "verified",
    "correction_failed": "correction_failed",
    "rejected": "open",
    "waived": "waived",
}


def publish_state(the_lake: "Lake", lifecycle: "LifecycleStore") -> dict[str, int]:
    """Write the journals' state and the exceptions' statuses to the lake for the catalog."""
    from retail_sync.defs.journals.export import export_tables
    from retail_sync.journals import store
    from retail_sync.reconcile.lifecycle import exceptions_table

    return export_tables(
        lifecycle.engine,
        the_lake,
        [
            ("proposals", store.proposals_table),
            ("journal_entries", store.journals_table),
            ("journal_lines", store.lines_table),
            ("outbox", store.outbox_table),
            ("waivers", store.waivers_table),
            ("audit", store.audit_table),
            ("exception_status", exceptions_table),
        ],
    )


def _money(value: Decimal) -> float:
    """A Decimal for Dagster's numeric metadata (plotted); exact figures go in markdown/json."""
    return float(value)


def _proposal_metadata(record: "ProposalRecord") -> dict[str, Any]:
    """What a person approving needs: the exception, the amount, every journal's lines."""
    journals_md = []
    for journal in record.journals:
        journals_md.append(
            f"**{journal.external_id}** dated {journal.ledger_date} — {journal.memo}\n\n"
            + markdown_table(
                [
                    {"account": line.account, "debit": str(line.debit), "credit": str(line.credit)}
                    for line in journal.lines
                ]
            )
        )
    return {
        "proposal_id": record.proposal_id,
        "shop_id": record.shop_id,
        "exception_id": record.exception_id,
        "kind": record.kind,
        "business_date": record.business_date.isoformat(),
        "amount": dg.MetadataValue.text(f"{record.amount} {record.currency}"),
        "status": record.status,
        "journals": dg.MetadataValue.md("\n\n".join(journals_md)),
        "detail": dg.MetadataValue.text(record.detail or ""),
    }


@dg.asset(
    key=PROPOSALS_KEY,
    deps=RECON_KEYS,
    partitions_def=date_shop_partitions,
    backfill_policy=single_run,
    group_name=JOURNALS_GROUP,
    description="Corrective journals proposed for the open exceptions the policy covers: "
    "balanced, with deterministic journal ids; auto-postable ones approved by the policy, the "
    "rest awaiting approval (partitions of journal_proposal) — docs/journals.md.",
    kinds={"python"},
)
def journal_proposals(
    context: dg.AssetExecutionContext,
    config: SeenOnConfig,
    lake: LakeResource,
    shops: ShopsResource,
    state: StateStoreResource,
    policy: PolicyResource,
) -> dg.MaterializeResult:
    from retail_sync.journals.proposals import Proposal, Refusal, propose
    from retail_sync.reconcile.lifecycle import WAIVED, exceptions, record_run
    from retail_sync.reconcile.report import read_recon_partition

    the_lake = lake.lake()
    settings = shops.shops()
    partitions = partitions_of(context)
    by_shop = _dates_by_shop(partitions)
    the_policy = policy.policy(settings[shop_id] for shop_id in by_shop)
    totals: dict[str, Any] = defaultdict(int)
    awaiting_ids: list[str] = []
    lifecycle, journals = _journal_store(state)
    with lifecycle:
        for shop_id, dates in by_shop.items():
            shop = settings[shop_id]
            shop_policy = the_policy.for_shop(shop_id)
            seen_on = _seen_on(config, shop)
            recon = [read_recon_partition(the_lake, shop_id, day) for day in dates]
            computed = [partition for partition in recon if partition.computed]
            computed_dates = [partition.business_date for partition in computed]
            # The lifecycle first: a proposal's exception has a status to move.
            record_run(
                lifecycle,
                shop_id,
                computed_dates,
                [row for partition in computed for row in partition.exceptions],
                seen_on,
            )
            waived = {
                record.exception_id
                for record in exceptions(lifecycle, shop_id)
                if record.status == WAIVED
            }
            rows = _read_recon(the_lake, "exceptions", shop_id, computed_dates)
            lines_by_exception: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for line in _read_recon(the_lake, "exception_lines", shop_id, computed_dates):
                lines_by_exception[line["exception_id"]].append(line)
            proposals, refusals = [], []
            for row in rows:
                if row["exception_id"] in waived:
                    continue
                if row.get("held"):
                    # A refusal, not a skip: it also withdraws a proposal made before the hold.
                    totals["held"] += 1
                    refusals.append(
                        Refusal(
                            exception_id=row["exception_id"],
                            kind=row["kind"],
                            reason=f"held by the reconciliation ({row.get('hold_reason')}): "
                            "no journal until the hold clears",
                        )
                    )
                    continue
                result = propose(row, lines_by_exception.get(row["exception_id"], []), shop_policy)
                if isinstance(result, Proposal):
                    proposals.append(result)
                else:
                    refusals.append(result)
            sync = journals.record_proposals(
                shop_id,
                proposals,
                refusals,
                business_dates=computed_dates,
                open_exception_dates={
                    row["exception_id"]: row["business_date"]
                    for row in rows
                    if row["exception_id"] not in waived
                },
                now=_now(),
            )
            totals["proposed"] += len(proposals)
            totals["refused"] += len(refusals)
            totals["new"] += sync.new
            totals["superseded"] += sync.superseded
            totals["withdrawn"] += sync.withdrawn
            _sync_lifecycle(lifecycle, journals, shop_id, seen_on)
            _observe_partitions(context, journals, shop_id, dates)
            # Waiting for a person: a decision, or (refused by the ERP) a retry once fixed.
            awaiting_ids += [
                record.proposal_id
                for record in journals.proposals(
                    shop_id, statuses=["awaiting_approval", "post_failed"]
                )
            ]
        _register_awaiting(context, journals, awaiting_ids)
        publish_state(the_lake, lifecycle)
    return dg.MaterializeResult(
        metadata={
            "proposed": totals["proposed"],
            "new_proposals": totals["new"],
            "refused": totals["refused"],
            "held": totals["held"],
            "superseded": totals["superseded"],
            "withdrawn": totals["withdrawn"],
            "awaiting_a_person": len(awaiting_ids),
            "policy": dg.MetadataValue.text(the_policy.source),
        }
    )


def _register_awaiting(
    context: dg.AssetExecutionContext, journals: "JournalStore", awaiting_ids: Sequence[str]
) -> None:
    """Make every proposal awaiting approval a `journal_proposal` partition with its details; drop
    the partitions of proposals that went away undecided (superseded or withdrawn)."""
    instance = context.instance
    known = set(instance.get_dynamic_partitions(PROPOSAL_PARTITIONS))
    new = sorted(set(awaiting_ids) - known)
    if new:
        instance.add_dynamic_partitions(PROPOSAL_PARTITIONS, new)
    for proposal_id in new:
        record = journals.proposal(proposal_id)
        if record is not None:
            context.log_event(
                dg.AssetObservation(
                    asset_key=APPROVED_KEY,
                    partition=proposal_id,
                    metadata=_proposal_metadata(record),
                )
            )
    for proposal_id in sorted(known - set(awaiting_ids)):
        record = journals.proposal(proposal_id)
        if record is not None and record.status in ("superseded", "withdrawn"):
            instance.delete_dynamic_partition(PROPOSAL_PARTITIONS, proposal_id)


def _figures(records: Iterable["ProposalRecord"]) -> dict[str, Any]:
    """Journals figures of some proposals: counts and amounts per state."""
    counts: dict[str, int] = defaultdict(int)
    amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for record in records:
        group = {
            "posted": "posted",
            "verified": "posted",
            "correction_failed": "failed",
            "post_failed": "failed",
            "awaiting_approval": "awaiting_approval",
            "approved": "approved",
            "posting": "approved",
        }.get(record.status)
        if group:
            counts[group] += 1
            amounts[group] += record.amount
        if record.status == "verified":
            counts["verified"] += 1
    return {
        "journals_posted": counts["posted"],
        "journals_posted_amount": _money(amounts["posted"]),
        "journals_verified": counts["verified"],
        "journals_awaiting_approval": counts["awaiting_approval"],
        "journals_awaiting_approval_amount": _money(amounts["awaiting_approval"]),
        "journals_approved_not_posted": counts["approved"],
        "journals_failed": counts["failed"],
    }


def partition_figures(
    journals: "JournalStore", shop_id: str, business_date: date
) -> dict[str, Any]:
    """The journals figures of one shop-day (the report shows them too)."""
    return _figures(
        record for record in journals.proposals(shop_id) if record.business_date == business_date
    )


def _observe_partitions(
    context: dg.AssetExecutionContext,
    journals: "JournalStore",
    shop_id: str,
    dates: Iterable[date],
    asset_key: dg.AssetKey = PROPOSALS_KEY,
) -> None:
    for business_date in sorted(set(dates)):
        context.log_event(
            dg.AssetObservation(
                asset_key=asset_key,
                partition=partition_key(business_date, shop_id),
                metadata=partition_figures(journals, shop_id, business_date),
            )
        )


@dg.asset(
    key=POSTINGS_KEY,
    deps=[PROPOSALS_KEY],
    partitions_def=date_shop_partitions,
    backfill_policy=single_run,
    group_name=JOURNALS_GROUP,
    pool="erp_posting",
    retry_policy=ERP_STEP_RETRY,
    description="Every approved proposal of the run's shops posted to the ERP exactly once, "
    "through the outbox in the state store (docs/journals.md, 'Posting').",
    kinds={"netsuite"},
)
def journal_postings(
    context: dg.AssetExecutionContext,
    lake: LakeResource,
    shops: ShopsResource,
    erp: ERPResource,
    state: StateStoreResource,
) -> dg.MaterializeResult:
    from retail_sync.journals.posting import post_approved

    settings = shops.shops()
    by_shop = _dates_by_shop(partitions_of(context))
    lifecycle, journals = _journal_store(state)
    posted = already = moved = 0
    amount = ZERO
    failed: list[dict[str, str]] = []
    with lifecycle, retried_only_when_transient():
        port = erp.port()
        for shop_id, dates in by_shop.items():
            summary = post_approved(journals, port, shop_id, now=_now)
            posted += summary.posted
            already += summary.already_posted
            moved += len(summary.moved)
            amount += summary.amount
            failed += [
                {"shop": shop_id, "journal": journal_id, "reason": reason}
                for journal_id, reason in summary.failed
            ]
            _sync_lifecycle(lifecycle, journals, shop_id, _today(settings[shop_id]))
            _observe_partitions(context, journals, shop_id, dates, POSTINGS_KEY)
        publish_state(lake.lake(), lifecycle)
    if failed:
        context.log.warning(f"{len(failed)} journal(s) refused by the ERP (see the metadata)")
    return dg.MaterializeResult(
        metadata={
            "posted": posted,
            "already_posted": already,
            "posted_amount": _money(amount),
            "moved_to_open_period": moved,
            "failed": len(failed),
            "failures": dg.MetadataValue.md(markdown_table(failed[:SHOWN])),
        }
    )


def verify_shop(
    the_lake: "Lake",
    erp_port: "ERPPort",
    journals: "JournalStore",
    shop: "ShopSettings",
    run_dates: Iterable[date],
) -> tuple["VerificationSummary | None", list[date]]:
    """Re-read the ledger for the dates the shop's posted journals touch, reconcile again, and
    verify them. Returns the verification summary and the dates re-read."""
    from retail_sync.erp.landing import land_gl_lines, quarantine_dir
    from retail_sync.journals.verification import verify_posted

    posted = journals.proposals(shop.id, statuses=["posted"])
    if not posted:
        return None, []
    posted_ids = {record.proposal_id for record in posted}
    touched = {record.business_date for record in posted}
    for entry in journals.outbox(shop.id):
        if entry.proposal_id in posted_ids:
            touched.update({entry.posting_date, entry.original_date})
    for day in sorted(touched):
        iso = day.isoformat()
        land_gl_lines(
            erp_port,
            start=day,
            end=day,
            subsidiary_id=shop.erp_subsidiary_id,
            directory=the_lake.partition_dir("raw", "erp", "gl_lines", shop=shop.id, date=iso),
            quarantine_directory=quarantine_dir(the_lake, "gl_lines", shop=shop.id, date=iso),
        )
    # The staged ledger lines the reconciliation reads, for the dates re-read.
    write_staging(the_lake, [shop], "stg_erp__gl_lines", [(day, shop.id) for day in touched])
    checked = sorted({record.business_date for record in posted} | set(run_dates))
    write_reconciliation(the_lake, [shop], [(day, shop.id) for day in checked])
    remaining = {
        row["exception_id"]: row["variance"]
        for row in _read_recon(the_lake, "exceptions", shop.id, checked)
    }
    summary = verify_posted(
        journals, erp_port, shop.id, remaining=remaining, checked_dates=checked, now=_now()
    )
    return summary, sorted(touched)


@dg.asset(
    key=VERIFICATION_KEY,
    deps=[POSTINGS_KEY],
    partitions_def=date_shop_partitions,
    backfill_policy=single_run,
    group_name=JOURNALS_GROUP,
    pool="duckdb_writer",
    retry_policy=ERP_STEP_RETRY,
    description="The ledger re-read after posting and reconciled again: a posted journal whose "
    "exception is gone is verified, one whose difference persists is correction_failed.",
    kinds={"netsuite", "duckdb"},
)
def journal_verification(
    context: dg.AssetExecutionContext,
    lake: LakeResource,
    shops: ShopsResource,
    erp: ERPResource,
    state: StateStoreResource,
) -> dg.MaterializeResult:
    the_lake = lake.lake()
    settings = shops.shops()
    by_shop = _dates_by_shop(partitions_of(context))
    lifecycle, journals = _journal_store(state)
    verified = failed = 0
    reread: list[str] = []
    problems: list[dict[str, str]] = []
    with lifecycle, retried_only_when_transient():
        port = erp.port()
        for shop_id, dates in by_shop.items():
            summary, touched = verify_shop(the_lake, port, journals, settings[shop_id], dates)
            if summary is not None:
                verified += len(summary.verified)
                failed += len(summary.failed)
                problems += [
                    {"shop": shop_id, "proposal": failure.proposal_id, "detail": failure.reason}
                    for failure in summary.failed
                ]
                problems += [
                    {"shop": shop_id, "proposal": proposal_id, "detail": why}
                    for proposal_id, why in summary.unverified
                ]
            reread += [f"{shop_id} {day}" for day in touched]
            _sync_lifecycle(lifecycle, journals, shop_id, _today(settings[shop_id]))
            _observe_partitions(context, journals, shop_id, dates, VERIFICATION_KEY)
        publish_state(the_lake, lifecycle)
    if failed:
        context.log.warning(f"{failed} correction(s) did not clear their difference")
    return dg.MaterializeResult(
        metadata={
            "verified": verified,
            "correction_failed": failed,
            "ledger_dates_reread": dg.MetadataValue.md("\n".join(f"- {d}" for d in reread)),
            "failures": dg.MetadataValue.md(markdown_table(problems[:SHOWN])),
        }
    )


class ApprovalConfig(dg.Config):
    """Why (optional for an approval) and, without an authenticating proxy, who (self-declared)."""

    reason: str = ""
    approver: str = ""


class RejectionConfig(dg.Config):
    """Why the proposal is rejected (required) and, without a proxy, who (self-declared)."""

    reason: str
    approver: str = ""


def _decide(
    context: dg.AssetExecutionContext,
    state: StateStoreResource,
    decision: str,
    config: ApprovalConfig | RejectionConfig,
) -> tuple["LifecycleStore", "JournalStore", "ProposalRecord"]:
    from retail_sync.journals.store import JournalError

    lifecycle, journals = _journal_store(state)
    proposal_id = context.partition_key
    actor = decision_actor(context, config.approver)
    try:
        record = journals.decide(
            proposal_id,
            "approve" if decision == "approve" else "reject",
            actor=actor,
            reason=config.reason.strip(),
            now=_now(),
        )
    except JournalError as error:
        lifecycle.close()
        raise dg.Failure(description=str(error), allow_retries=False) from None
    context.log.info(
        f"proposal {proposal_id} {decision}d by {actor.name} ({actor.source}): "
        f"{config.reason.strip() or 'no reason given'}"
    )
    return lifecycle, journals, record


@dg.asset(
    key=APPROVED_KEY,
    partitions_def=proposal_partitions,
    group_name=JOURNALS_GROUP,
    pool="erp_posting",
    description="Materialize a journal_proposal partition to approve that proposal: it is posted "
    "and verified at once. Its lines, amounts and exception are in the partition's metadata.",
    kinds={"netsuite"},
)
def approved_journal(
    context: dg.AssetExecutionContext,
    config: ApprovalConfig,
    lake: LakeResource,
    shops: ShopsResource,
    erp: ERPResource,
    state: StateStoreResource,
) -> dg.MaterializeResult:
    from retail_sync.journals.posting import post_approved

    lifecycle, journals, record = _decide(context, state, "approve", config)
    shop = shops.shop(record.shop_id)
    with lifecycle, retried_only_when_transient():
        port = erp.port()
        posting = post_approved(
            journals, port, shop.id, now=_now, proposal_ids=[record.proposal_id]
        )
        verification, _ = verify_shop(lake.lake(), port, journals, shop, [record.business_date])
        _sync_lifecycle(lifecycle, journals, shop.id, _today(shop))
        publish_state(lake.lake(), lifecycle)
        after = journals.proposal(record.proposal_id)
    return dg.MaterializeResult(
        metadata={
            **_proposal_metadata(after or record),
            "decided_by": after.decided_by if after else "",
            "decided_via": after.decided_via if after else "",
            "posted": posting.posted + posting.already_posted,
            "verified": len(verification.verified) if verification else 0,
        }
    )


@dg.asset(
    key=REJECTED_KEY,
    partitions_def=proposal_partitions,
    group_name=JOURNALS_GROUP,
    description="Materialize a journal_proposal partition with a `reason` to reject that "
    "proposal: it is never posted, and its exception stays open.",
    kinds={"python"},
)
def rejected_journal(
    context: dg.AssetExecutionContext,
    config: RejectionConfig,
    lake: LakeResource,
    shops: ShopsResource,
    state: StateStoreResource,
) -> dg.MaterializeResult:
    if not config.reason.strip():
        raise dg.Failure(
            description="a rejection needs a reason (config: reason)", allow_retries=False
        )
    lifecycle, journals, record = _decide(context, state, "reject", config)
    with lifecycle:
        _sync_lifecycle(lifecycle, journals, record.shop_id, _today(shops.shop(record.shop_id)))
        publish_state(lake.lake(), lifecycle)
        after = journals.proposal(record.proposal_id)
    return dg.MaterializeResult(metadata=_proposal_metadata(after or record))


journal_assets = [
    journal_proposals,
    journal_postings,
    journal_verification,
    approved_journal,
    rejected_journal,
]
