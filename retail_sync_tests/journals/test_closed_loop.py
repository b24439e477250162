"""The closed loop end to end: a generated world through the nightly job on the embedded
instance — reconcile, propose, auto-post, verify — then approvals and rejections, a second night,
and the ERP simulator's own ledger read back to check that every journal is there exactly once.

Checked against the generator's truth (truth/discrepancies.csv), not against our own output:
every injected discrepancy the default policy posts automatically is posted once and verified;
those it routes to approval wait; the rejected ones never reach the ERP.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from retail_sync.app.demo import journals_summary, run_nightly, serve_sandbox, set_up_world
from retail_sync.cli import prepare_embedded_instance
from retail_sync.erp.netsuite import netsuite_erp_from_env
from retail_sync.journals.policy import ShopPolicy
from retail_sync.journals.store import JournalStore, ProposalRecord
from retail_sync.reconcile.lifecycle import LifecycleStore, exceptions, state_url_from_environment
from retail_sync.settings import HOME_ENV, Paths

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.long]

SEED, DAYS, ORDERS = 11, 3, 60


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Paths]:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    for variable in ("DAGSTER_HOME", "RETAIL_SYNC_STATE_URL", "RETAIL_SYNC_POLICY_FILE"):
        monkeypatch.delenv(variable, raising=False)
    paths = Paths.from_environment()
    paths.home.mkdir(parents=True)
    prepare_embedded_instance(paths)  # points DAGSTER_HOME at the home's instance
    yield paths
    os.environ.pop("DAGSTER_HOME", None)


def _journals(paths: Paths) -> tuple[LifecycleStore, JournalStore]:
    lifecycle = LifecycleStore(state_url_from_environment(paths))
    return lifecycle, JournalStore(lifecycle)


def _erp_counts(netsuite_url_env: dict[str, str]) -> Counter[str]:
    """How many entries the ERP holds per `retail-sync-` external id (the simulator's ledger)."""
    erp = netsuite_erp_from_env(netsuite_url_env)
    rows = erp.client.suiteql(
        "SELECT externalid FROM transaction WHERE externalid LIKE 'retail-sync-%'"
    )
    return Counter(str(row["externalid"]) for row in rows)


def _truth(world: Path) -> list[dict[str, str]]:
    with (world / "truth" / "discrepancies.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _by_ref(records: list[ProposalRecord], lifecycle: LifecycleStore) -> dict[tuple[str, str], Any]:
    """(kind, shopify_ref) → the exception's latest proposal."""
    refs = {}
    for shop_id in {record.shop_id for record in records}:
        for exception in exceptions(lifecycle, shop_id):
            refs[exception.exception_id] = exception.shopify_ref
    latest: dict[tuple[str, str], ProposalRecord] = {}
    for record in sorted(records, key=lambda r: r.revision):
        latest[(record.kind, refs.get(record.exception_id) or "")] = record
    return latest


def test_one_night_posts_and_verifies_the_auto_corrections_approvals_wait(home: Paths) -> None:
    paths = home
    with dg.DagsterInstance.get() as instance:
        _, _, demo = set_up_world(paths, instance, seed=SEED, days=DAYS, orders_per_day=ORDERS)
        world, first, last = demo.world, demo.first, demo.last
        shop_ids, known = demo.shop_ids, demo.known_shops
        with serve_sandbox(paths, world) as endpoints:
            from retail_sync.sandbox.netsuite import SANDBOX_CREDENTIALS

            erp_env = SANDBOX_CREDENTIALS.environment(endpoints.netsuite_url)
            result, _ = run_nightly(paths, instance, endpoints, first, last, known)
            assert result.success

            lifecycle, journals = _journals(paths)
            with lifecycle:
                records = journals.proposals()
                by_ref = _by_ref(records, lifecycle)
                outbox = journals.outbox()
            # Every injected discrepancy the policy posts by itself: posted once and verified.
            truth = _truth(paths.world)
            policies = {shop: ShopPolicy(shop_id=shop, subsidiary_id="0") for shop in shop_ids}
            auto = [
                row
                for row in truth
                if policies[row["shop_id"]].listed(row["kind"]) == "auto"
                and abs(Decimal(row["expected_variance"] or "0"))
                <= policies[row["shop_id"]].auto_limit(row["kind"])
            ]
            assert len(auto) >= 3, f"too few auto-correctable discrepancies: {auto}"
            for row in auto:
                record = by_ref.get((row["kind"], row["shopify_ref"]))
                assert record is not None, f"no proposal for {row}"
                assert record.status == "verified", (row, record.status, record.detail)
            approval = [record for record in records if record.status == "awaiting_approval"]
            assert len(approval) >= 2, [(r.kind, r.status) for r in records]
            counts = _erp_counts(erp_env)
            posted_ids = {entry.external_id for entry in outbox if entry.status == "posted"}
            assert set(counts) == posted_ids
            assert set(counts.values()) == {1}
            # Nothing awaiting approval reached the ERP.
            assert not {j.external_id for r in approval for j in r.journals} & set(counts)
            summary = "\n".join(journals_summary(paths, shop_ids))
            assert "posted" in summary and "awaiting approval" in summary

            # The lifecycle says verified, and so does the catalog.
            with duckdb.connect(str(paths.warehouse), read_only=True) as catalog:
                statuses = dict(
                    catalog.execute(
                        "select status, count(*) from journals.proposals group by all"
                    ).fetchall()
                )
                audit = catalog.execute("select count(*) from journals.audit").fetchone()
            assert statuses.get("verified", 0) == sum(r.status == "verified" for r in records)
            assert audit is not None and audit[0] > 0

            # A second night over the same world: nothing new proposed, nothing posted.
            again, _ = run_nightly(paths, instance, endpoints, first, last, known)
            assert again.success
            lifecycle, journals = _journals(paths)
            with lifecycle:
                assert {r.proposal_id for r in journals.proposals()} == {
                    r.proposal_id for r in records
                }
            assert _erp_counts(erp_env) == counts

            # Approve some of those waiting, reject the others (the CLI's path: the same assets).
            if approval:
                from retail_sync.app.journals import decide

                # Two of each: every approval posts and re-reconciles (a run each).
                approve = [r for r in approval if r.amount > 0][:2]
                reject = [r for r in approval if r not in approve][:2]
                untouched = [r for r in approval if r not in approve and r not in reject]
                for record in approve:
                    decide(paths, record.proposal_id, "approve", reason="checked", actor="ana")
                for record in reject:
                    decide(paths, record.proposal_id, "reject", reason="not ours", actor="ben")
                lifecycle, journals = _journals(paths)
                with lifecycle:
                    after = {r.proposal_id: r for r in journals.proposals()}
                final = _erp_counts(erp_env)
                assert set(final.values()) == {1}
                for record in approve:
                    assert after[record.proposal_id].status in ("verified", "correction_failed")
                    assert after[record.proposal_id].decided_by == "ana"
                    assert after[record.proposal_id].decided_via == "self_declared"
                    assert {j.external_id for j in record.journals} <= set(final)
                for record in reject:
                    assert after[record.proposal_id].status == "rejected"
                    assert after[record.proposal_id].decision_reason == "not ours"
                    assert not {j.external_id for j in record.journals} & set(final)
                for record in untouched:
                    assert after[record.proposal_id].status == "awaiting_approval"
                    assert not {j.external_id for j in record.journals} & set(final)
