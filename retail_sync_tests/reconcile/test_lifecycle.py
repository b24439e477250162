"""The exception lifecycle store: new, persisting, reopened and resolved exceptions; statuses the
journals stage set survive a re-run; re-recording is idempotent; money stays exact; the read API
(open as of a date, daily history). Each test runs on SQLite under tmp_path and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from retail_sync.reconcile.lifecycle import (
    LifecycleError,
    LifecycleStore,
    LifecycleSummary,
    daily_history,
    default_state_url,
    exceptions,
    from_cents,
    open_exceptions,
    record_run,
    set_status,
    state_url_from_environment,
    status_events,
    to_cents,
)
from retail_sync.settings import Paths
from retail_sync_tests.conftest import PostgresDatabase

SHOP = "alpen-supply"
D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


def exception_row(exception_id: str, business_date: date, variance: str, **extra: Any) -> dict:
    return {
        "exception_id": exception_id,
        "shop_id": SHOP,
        "business_date": business_date,
        "domain": "orders",
        "kind": "order_tax_mismatch",
        "shopify_ref": f"shopify:order:{exception_id}",
        "erp_ref": None,
        "account": "2200",
        "shopify_amount": Decimal("100.00"),
        "erp_amount": Decimal("100.00") + Decimal(variance),
        "variance": Decimal(variance),
        "currency": "EUR",
        "detail": "tax differs",
        **extra,
    }


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LifecycleStore]:
    if request.param == "sqlite":
        url = default_state_url(Paths(tmp_path))
    else:
        database: PostgresDatabase = request.getfixturevalue("postgres_database")
        url = database.url
    with LifecycleStore(url) as opened:
        yield opened


def states(store: LifecycleStore) -> dict[str, tuple]:
    return {
        record.exception_id: (record.status, record.first_seen, record.last_seen,
                              record.resolved_on, record.variance)
        for record in exceptions(store, SHOP)
    }  # fmt: skip


def test_a_day_then_the_next_new_persisting_resolved_reopened(store: LifecycleStore) -> None:
    first = record_run(
        store, SHOP, [D1], [exception_row("a", D1, "1.50"), exception_row("b", D1, "-0.03")], D1
    )
    assert first == LifecycleSummary(new=2, persisting=0, reopened=0, resolved=0)

    # Next day: "a" is still there with a new amount, "b" is gone.
    second = record_run(store, SHOP, [D1], [exception_row("a", D1, "2.00")], D2)
    assert second == LifecycleSummary(new=0, persisting=1, reopened=0, resolved=1)
    assert states(store) == {
        "a": ("open", D1, D2, None, Decimal("2.00")),
        "b": ("resolved", D1, D1, D2, Decimal("-0.03")),  # kept, with the day it went away
    }

    # "b" comes back: reopened, first seen unchanged.
    third = record_run(
        store, SHOP, [D1], [exception_row("a", D1, "2.00"), exception_row("b", D1, "-0.03")], D3
    )
    assert third == LifecycleSummary(new=0, persisting=1, reopened=1, resolved=0)
    record_b = exceptions(store, SHOP, exception_ids=["b"])[0]
    assert (record_b.status, record_b.first_seen, record_b.reopened_on) == ("open", D1, D3)
    assert record_b.age_days(D3) == 2
    assert [(e.changed_on, e.from_status, e.to_status) for e in status_events(store, SHOP)
            if e.exception_id == "b"] == [(D1, None, "open"), (D2, "open", "resolved"),
                                          (D3, "resolved", "open")]  # fmt: skip


def test_re_recording_the_same_run_is_idempotent(store: LifecycleStore) -> None:
    record_run(store, SHOP, [D1], [exception_row("a", D1, "1.50"), exception_row("b", D1, "1")], D1)
    rows = [exception_row("a", D1, "1.50")]
    once = record_run(store, SHOP, [D1], rows, D2)
    state = states(store)
    history = daily_history(store, SHOP, days=7, until=D2)
    events = status_events(store, SHOP)
    twice = record_run(store, SHOP, [D1], rows, D2)
    assert once == twice == LifecycleSummary(new=0, persisting=1, reopened=0, resolved=1)
    assert states(store) == state
    assert daily_history(store, SHOP, days=7, until=D2) == history
    assert status_events(store, SHOP) == events


def test_only_the_reconciled_dates_resolve(store: LifecycleStore) -> None:
    record_run(
        store, SHOP, [D1, D2], [exception_row("a", D1, "1"), exception_row("b", D2, "1")], D2
    )
    # A run over D2 only says nothing about D1's exception.
    summary = record_run(store, SHOP, [D2], [], D3)
    assert summary.resolved == 1
    assert {key: value[0] for key, value in states(store).items()} == {
        "a": "open",
        "b": "resolved",
    }


def test_journal_statuses_survive_a_rerun_and_resolve_when_gone(store: LifecycleStore) -> None:
    rows = [exception_row("a", D1, "12.00"), exception_row("w", D1, "0.01")]
    record_run(store, SHOP, [D1], rows, D1)
    assert set_status(store, SHOP, ["a"], "awaiting_approval", D1) == 1
    assert set_status(store, SHOP, ["w"], "waived", D1) == 1
    record_run(store, SHOP, [D1], rows, D2)
    assert {key: value[0] for key, value in states(store).items()} == {
        "a": "awaiting_approval",
        "w": "waived",
    }
    # Corrected in the ERP: gone from the next run. The waived one stays waived.
    assert record_run(store, SHOP, [D1], [], D3).resolved == 1
    assert {key: value[0] for key, value in states(store).items()} == {
        "a": "resolved",
        "w": "waived",
    }
    with pytest.raises(LifecycleError, match="unknown status"):
        set_status(store, SHOP, ["a"], "approved-ish", D3)


def test_a_verified_correction_stays_verified_and_reopens_if_the_difference_returns(
    store: LifecycleStore,
) -> None:
    rows = [exception_row("a", D1, "0.40")]
    record_run(store, SHOP, [D1], rows, D1)
    assert set_status(store, SHOP, ["a"], "verified", D1) == 1
    # The re-reconciliation after the posting no longer finds it: verified, not merely resolved.
    summary = record_run(store, SHOP, [D1], [], D1)
    assert summary.resolved == 1
    assert states(store)["a"][0] == "verified"
    assert [r.exception_id for r in open_exceptions(store, SHOP)] == []
    # Someone reverses the correction in the ERP: the difference is found again and reopens.
    assert record_run(store, SHOP, [D1], rows, D2).reopened == 1
    assert states(store)["a"][0] == "open"


def test_open_as_of_a_date_and_daily_history(store: LifecycleStore) -> None:
    record_run(
        store, SHOP, [D1], [exception_row("a", D1, "-4.10"), exception_row("b", D1, "1")], D1
    )
    inventory = exception_row(
        "i",
        D1,
        "3",
        domain="inventory",
        kind="inventory_on_hand_mismatch",
        currency=None,
        shopify_amount=Decimal(10),
        erp_amount=Decimal(13),
    )
    record_run(store, SHOP, [D1], [exception_row("a", D1, "-4.10"), inventory], D2)
    assert [r.exception_id for r in open_exceptions(store, SHOP)] == ["a", "i"]
    assert [r.exception_id for r in open_exceptions(store, SHOP, as_of=D1)] == ["a", "b"]
    history = daily_history(store, SHOP, days=30, until=D3)
    assert [(h.seen_on, h.unresolved, h.new, h.resolved) for h in history] == [
        (D1, 2, 2, 0),
        (D2, 2, 1, 1),
    ]
    # Money only: the inventory exception's 3 units are not added to euros.
    assert [h.unresolved_abs_variance for h in history] == [Decimal("5.10"), Decimal("4.10")]
    assert daily_history(store, SHOP, days=1, until=D2)[0].seen_on == D2


def test_bad_input_is_refused_and_nothing_is_written(store: LifecycleStore) -> None:
    with pytest.raises(LifecycleError, match="outside the dates"):
        record_run(store, SHOP, [D2], [exception_row("a", D1, "1")], D2)
    with pytest.raises(LifecycleError, match="not shop"):
        record_run(store, SHOP, [D1], [exception_row("a", D1, "1", shop_id="other")], D2)
    with pytest.raises(LifecycleError, match="more than two decimals"):
        record_run(store, SHOP, [D1], [exception_row("a", D1, "0.001")], D2)
    assert exceptions(store, SHOP) == []


def test_money_is_exact_cents() -> None:
    assert to_cents(Decimal("-1234567890123.45")) == -123456789012345
    assert from_cents(-123456789012345) == Decimal("-1234567890123.45")
    assert str(from_cents(0)) == "0.00"
    assert to_cents(None) is None


def test_state_url_defaults_under_home_and_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = Paths(tmp_path)
    monkeypatch.delenv("RETAIL_SYNC_STATE_URL", raising=False)
    assert state_url_from_environment(paths) == f"sqlite:///{tmp_path}/state/retail_sync.sqlite"
    monkeypatch.setenv("RETAIL_SYNC_STATE_URL", "postgresql+psycopg2://u@db/state")
    assert state_url_from_environment(paths) == "postgresql+psycopg2://u@db/state"


def test_concurrent_writers_of_one_shop_queue_instead_of_colliding(store: LifecycleStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    rows = [exception_row(f"id-{number}", D1, "1.00") for number in range(200)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        summaries = list(pool.map(lambda _: record_run(store, SHOP, [D1], rows, D1), range(4)))
    # Every writer saw the others' inserts (no duplicate-key failure) and reports the same run.
    assert summaries == [LifecycleSummary(new=200, persisting=0, reopened=0, resolved=0)] * 4
    assert len(exceptions(store, SHOP)) == 200
    assert len(status_events(store, SHOP)) == 200
