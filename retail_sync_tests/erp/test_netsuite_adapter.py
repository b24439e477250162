"""The NetSuite adapter against the simulator: port reads, posting, exactly-once, both auths."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from retail_sync.erp import ERPPort, ERPRejected, JournalEntryDraft, JournalLineDraft
from retail_sync.erp.netsuite import NetSuiteConfig, NetSuiteConfigError, NetSuiteERP
from retail_sync.sandbox.netsuite import FaultProfile, start_netsuite_simulator
from retail_sync.sandbox.serving import RunningServer
from retail_sync_tests.erp.conftest import make_client


def draft(
    external_id: str = "rs-journal-1", day: date = date(2026, 10, 15), amount: str = "12.34"
) -> JournalEntryDraft:
    value = Decimal(amount)
    return JournalEntryDraft(
        external_id=external_id,
        subsidiary_id="1",
        currency="USD",
        date=day,
        memo="retail_sync correction shopify:order:1000001",
        lines=(
            JournalLineDraft("6100", debit=value, memo="fee"),
            JournalLineDraft("1205", credit=value, memo="fee"),
        ),
    )


def entries_with_external_id(server: RunningServer, external_id: str) -> int:
    store = server.server.simulator.store  # type: ignore[attr-defined]
    page = store.suiteql(
        f"SELECT count(*) AS n FROM transaction WHERE externalid = '{external_id}'", 10, 0
    )
    return int(page.items[0]["n"])


def test_adapter_is_an_erp_port(erp: NetSuiteERP) -> None:
    assert isinstance(erp, ERPPort)


def test_reads_accounts_periods_gl_lines_on_hand(erp: NetSuiteERP) -> None:
    accounts = {a.number: a for a in erp.accounts()}
    assert accounts["1205"].name == "Shopify Payments clearing" and accounts["1205"].active
    periods = {p.name: p for p in erp.periods()}
    assert periods["Sep 2026"].status == "closed" and periods["Oct 2026"].is_open
    lines = list(erp.gl_lines(date(2026, 10, 1), date(2026, 10, 2), subsidiary_id="1"))
    assert len(lines) == 2 * 5 * 2  # two days of the 30 entries (one per day, wrapping at 28)
    order_line = next(line for line in lines if line.account_number == "1205")
    assert order_line.debit == Decimal("204.40") and order_line.credit == Decimal("0.00")
    assert order_line.currency == "USD" and order_line.external_id.startswith("shopify-")
    assert sum(line.amount for line in lines) == 0
    current = {(o.sku, o.location_name): o.quantity for o in erp.on_hand()}
    assert current[("TENT-2P", "Warehouse East")] == 40
    first_day = {o.sku: o.quantity for o in erp.on_hand(date(2026, 10, 1))}
    assert first_day == {"TENT-2P": 42, "MAT-1": 7}


def test_post_then_repost_is_already_posted_and_lookup_round_trips(
    erp: NetSuiteERP, simulator: RunningServer
) -> None:
    first = erp.post_journal(draft())
    assert first.status == "posted"
    again = erp.post_journal(draft())
    assert (again.status, again.erp_id) == ("already_posted", first.erp_id)
    assert entries_with_external_id(simulator, "rs-journal-1") == 1
    found = erp.find_journal("rs-journal-1")
    assert found is not None and found.erp_id == first.erp_id
    assert [(line.account_number, line.debit, line.credit) for line in found.lines] == [
        ("6100", Decimal("12.34"), Decimal("0.00")),
        ("1205", Decimal("0.00"), Decimal("12.34")),
    ]
    assert erp.find_journal("never-posted") is None


def test_closed_period_is_refused_with_netsuite_code(erp: NetSuiteERP) -> None:
    with pytest.raises(ERPRejected) as caught:
        erp.post_journal(draft(day=date(2026, 9, 30)))
    assert caught.value.code == "USER_ERROR" and "closed" in str(caught.value)
    assert caught.value.correlation_id


def test_unknown_account_is_refused_before_sending(erp: NetSuiteERP) -> None:
    bad = JournalEntryDraft(
        "rs-bad",
        "1",
        "USD",
        date(2026, 10, 3),
        "x",
        (
            JournalLineDraft("9999", debit=Decimal("1.00")),
            JournalLineDraft("1205", credit=Decimal("1.00")),
        ),
    )
    with pytest.raises(ERPRejected) as caught:
        erp.post_journal(bad)
    assert caught.value.code == "UNKNOWN_ACCOUNT"


def test_unbalanced_draft_never_leaves_the_process(erp: NetSuiteERP) -> None:
    bad = JournalEntryDraft(
        "rs-unbalanced",
        "1",
        "USD",
        date(2026, 10, 3),
        "x",
        (
            JournalLineDraft("6100", debit=Decimal("1.00")),
            JournalLineDraft("1205", credit=Decimal("0.99")),
        ),
    )
    with pytest.raises(ValueError, match="unbalanced"):
        erp.post_journal(bad)


@pytest.mark.slow
def test_lost_response_resolves_to_exactly_one_entry(erp_world: Path, tmp_path: Path) -> None:
    profile = FaultProfile(lost_response_rate=1.0, max_lost_responses=1)
    with start_netsuite_simulator(erp_world, state_dir=tmp_path / "s", faults=profile) as server:
        with make_client(server) as client:
            result = NetSuiteERP(client).post_journal(draft("rs-lost-1"))
        assert result.status == "already_posted"
        assert entries_with_external_id(server, "rs-lost-1") == 1


@pytest.mark.slow
def test_oauth2_client_credentials_reads_and_posts(
    simulator: RunningServer, tmp_path: Path
) -> None:
    with make_client(simulator, scheme="oauth2", tmp_path=tmp_path) as client:
        erp = NetSuiteERP(client)
        assert any(a.number == "1000" for a in erp.accounts())
        assert erp.post_journal(draft("rs-oauth2")).status == "posted"


def test_config_from_env_keeps_secrets_out_of_reprs() -> None:
    config = NetSuiteConfig.from_env(
        {
            "NETSUITE_ACCOUNT_ID": "1234567_SB1",
            "NETSUITE_CONSUMER_KEY": "ck",
            "NETSUITE_CONSUMER_SECRET": "very-secret-1",
            "NETSUITE_TOKEN_ID": "tk",
            "NETSUITE_TOKEN_SECRET": "very-secret-2",
        }
    )
    assert config.base_url == "https://1234567-sb1.suitetalk.api.netsuite.com"
    assert config.realm == "1234567_SB1"
    assert "very-secret" not in repr(config)
    with pytest.raises(NetSuiteConfigError):
        NetSuiteConfig.from_env({"NETSUITE_ACCOUNT_ID": "1"})
