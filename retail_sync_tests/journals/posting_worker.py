"""A posting process for the crash-safety and concurrency tests: `python -m` this module.

    python -m retail_sync_tests.journals.posting_worker STATE_URL SHOP [--verify DATE,...]

It opens the state store and the NetSuite adapter, configured by the NETSUITE_* environment (the
test points it at the simulator it runs, with the sandbox credentials), runs `post_approved` —
and `verify_posted` for the dates given, with nothing left over — and prints one JSON line per
event on stdout: `{"event": "waiting"}` when it starts waiting for the shop's posting lock, then
`{"event": "done", ...}` with both summaries. With RETAIL_SYNC_FAILPOINT set it dies by SIGKILL
at that point instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from typing import Any

from retail_sync.erp.netsuite import NetSuiteClient, NetSuiteConfig, NetSuiteERP
from retail_sync.journals.posting import post_approved
from retail_sync.journals.store import JournalStore
from retail_sync.journals.verification import verify_posted
from retail_sync.retrying import Backoff
from retail_sync.state import StateStore


def _emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}, default=str) + "\n")
    sys.stdout.flush()


def _now() -> datetime:
    return datetime.now(UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="posting_worker")
    parser.add_argument("state_url")
    parser.add_argument("shop_id")
    parser.add_argument("--verify", default="", help="business dates to verify, comma-separated")
    args = parser.parse_args(argv)

    config = NetSuiteConfig.from_env()
    retry = Backoff(max_attempts=6, base_seconds=0.01, cap_seconds=0.05)
    with (
        StateStore(args.state_url) as state,
        NetSuiteClient(config, retry=retry, seed=1) as client,
    ):
        store = JournalStore(state)
        erp = NetSuiteERP(client)
        posting = post_approved(
            store, erp, args.shop_id, now=_now, on_lock_wait=lambda: _emit("waiting")
        )
        verified: list[str] = []
        if args.verify:
            dates = [date.fromisoformat(text) for text in args.verify.split(",")]
            verification = verify_posted(
                store, erp, args.shop_id, remaining={}, checked_dates=dates, now=_now()
            )
            verified = [item.proposal_id for item in verification.verified]
        _emit(
            "done",
            posted=posting.posted,
            already_posted=posting.already_posted,
            amount=str(posting.amount),
            failed=posting.failed,
            pending_uncertain=posting.pending_uncertain,
            lock_waited=posting.lock_waited,
            verified=verified,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
