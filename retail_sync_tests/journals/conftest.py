"""Fixtures for the journal store, posting and verification tests.

- `state`: a StateStore on SQLite under tmp_path, or on a PostgreSQL database created for the
  test module (and dropped after it); the journal tables are dropped before each test.
- `correction(...)`: a real Proposal built by `propose` from exception lines, against the NetSuite
  fixture world's chart (retail_sync_tests/erp/netsuite_world.py: accounts 1205, 2200, 4000, …;
  periods Sep 2026 closed, Oct and Nov 2026 open; subsidiary 1 in USD).
- `netsuite`: the NetSuite simulator on a loopback port, with a client and the ERP port.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from retail_sync.erp.netsuite import NetSuiteClient, NetSuiteERP
from retail_sync.journals import store as journal_store
from retail_sync.journals.policy import ShopPolicy
from retail_sync.journals.proposals import Proposal, Refusal, propose
from retail_sync.journals.store import JournalStore
from retail_sync.sandbox.netsuite import start_netsuite_simulator
from retail_sync.sandbox.serving import RunningServer
from retail_sync.state import StateStore
from retail_sync_tests.conftest import created_database
from retail_sync_tests.erp.conftest import make_client
from retail_sync_tests.erp.netsuite_world import write_erp_world

SHOP = "north-outfitters"
POLICY = ShopPolicy(shop_id=SHOP, subsidiary_id="1")
T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
OCT_5 = date(2026, 10, 5)


class Ticker:
    """`now()` for the code under test: each call is one second after the previous one."""

    def __init__(self, start: datetime = T0) -> None:
        self.current = start

    def __call__(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


# ---- PostgreSQL: one database per test module ----------------------------------------------


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database for this module; fails under CI=true without a server."""
    with created_database("retail_sync_journals") as database:
        yield database.url


def fresh_state(url: str) -> StateStore:
    state = StateStore(url)
    journal_store.metadata.drop_all(state.engine)
    return state


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state' / 'retail_sync.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = fresh_state(url)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_state(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore(f"sqlite:///{tmp_path / 'state' / 'retail_sync.sqlite'}") as opened:
        yield opened


@pytest.fixture
def journals(state: StateStore) -> JournalStore:
    return JournalStore(state)


# ---- proposals ------------------------------------------------------------------------------


def exception_lines(
    exception_id: str, deltas: Sequence[tuple[str, str, date]], *, currency: str = "USD"
) -> list[dict[str, Any]]:
    """Exception lines from (account, delta ERP − rules, ledger date)."""
    return [
        {
            "exception_id": exception_id,
            "shop_id": SHOP,
            "ledger_date": ledger_date,
            "account": account,
            "delta": Decimal(delta),
            "currency": currency,
        }
        for account, delta, ledger_date in deltas
    ]


def correction(
    exception_id: str,
    deltas: Sequence[tuple[str, str, date]] | None = None,
    *,
    kind: str = "order_tax_mismatch",
    policy: ShopPolicy = POLICY,
) -> Proposal:
    """The real proposal of an exception (default: tax booked 0.40 high on 5 October)."""
    if deltas is None:
        deltas = [("2200", "-0.40", OCT_5), ("1205", "0.40", OCT_5)]
    exception = {
        "exception_id": exception_id,
        "shop_id": SHOP,
        "kind": kind,
        "shopify_ref": f"shopify:order:{_order_number(exception_id)}",
        "erp_ref": None,
        "currency": "USD",
    }
    result = propose(exception, exception_lines(exception_id, deltas), policy)
    assert isinstance(result, Proposal), result
    return result


def _order_number(exception_id: str) -> int:
    return int(hashlib.sha256(exception_id.encode()).hexdigest()[:6], 16)


def refusal(exception_id: str, reason: str = "the lines do not balance") -> Refusal:
    return Refusal(exception_id=exception_id, kind="order_tax_mismatch", reason=reason)


@dataclass
class Recorder:
    """`record_proposals` for one business date with defaults a test can override."""

    store: JournalStore
    business_date: date = OCT_5
    clock: Callable[[], datetime] = field(default_factory=Ticker)

    def __call__(
        self,
        proposals: Sequence[Proposal],
        refusals: Sequence[Refusal] = (),
        *,
        open_ids: Sequence[str] | None = None,
        dates: Sequence[date] | None = None,
        variances: dict[str, Decimal] | None = None,
    ) -> journal_store.ProposalSync:
        if open_ids is None:
            open_ids = [p.exception_id for p in proposals] + [r.exception_id for r in refusals]
        return self.store.record_proposals(
            SHOP,
            proposals,
            refusals,
            business_dates=dates or [self.business_date],
            open_exception_dates=dict.fromkeys(open_ids, self.business_date),
            now=self.clock(),
            variances=variances,
        )


@pytest.fixture
def record(journals: JournalStore) -> Recorder:
    return Recorder(journals, clock=Ticker())


# ---- the NetSuite simulator -----------------------------------------------------------------


@dataclass
class NetSuite:
    server: RunningServer
    client: NetSuiteClient
    erp: NetSuiteERP

    @property
    def simulator(self) -> Any:
        return self.server.server.simulator  # type: ignore[attr-defined]

    def counts(self, prefix: str = "retail-sync-") -> dict[str, int]:
        """How many transactions carry each external id starting with `prefix` (SuiteQL)."""
        rows = self.client.suiteql(
            "SELECT externalid, COUNT(*) AS n FROM transaction "
            f"WHERE externalid LIKE '{prefix}%' GROUP BY externalid"
        )
        return {row["externalid"]: int(row["n"]) for row in rows}


def start_netsuite(
    tmp_path: Path, *, faults: Any = "none", seed: int = 0, clock: Any = None, **client: Any
) -> NetSuite:
    world = tmp_path / "world"
    if not (world / "world.json").exists():
        write_erp_world(world, entries=3)
    kwargs: dict[str, Any] = {"faults": faults, "seed": seed}
    if clock is not None:
        kwargs["clock"] = clock
    server = start_netsuite_simulator(world, state_dir=tmp_path / "netsuite", **kwargs)
    opened = make_client(server, **client)
    return NetSuite(server=server, client=opened, erp=NetSuiteERP(opened))


@pytest.fixture
def netsuite(tmp_path: Path) -> Iterator[NetSuite]:
    running = start_netsuite(tmp_path)
    yield running
    running.client.close()
    running.server.stop()
