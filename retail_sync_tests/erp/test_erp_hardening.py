"""ERP hardening (issue 13): a row NetSuite returns that cannot be read is quarantined with its
reason and raw JSON while the good rows land; a body of the wrong shape is an ERPMalformedResponse
(retryable only when it is not JSON at all); every NETSUITE_* setting is checked into one line;
the ERP assets fail configuration errors at once, without Dagster retries, and put quarantine
counts in their metadata.

New names are reached through their modules (`port.ERPMalformedResponse`), so on code without
them each test fails on its own instead of the whole file failing to import.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import httpx
import pytest

from retail_sync.erp import landing, port
from retail_sync.erp.netsuite import NetSuiteClient, NetSuiteConfig, NetSuiteERP
from retail_sync.erp.netsuite import config as netsuite_config
from retail_sync.errors import ConfigurationError, RetailSyncError
from retail_sync.sandbox.netsuite import SANDBOX_CREDENTIALS
from retail_sync.warehouse.lake import PARTITION_FILE, Lake
from retail_sync_tests.erp.scripted_netsuite import (
    TBA_ENVIRONMENT,
    json_answer,
    scripted_client,
    scripted_erp,
    suiteql_rows,
)
from retail_sync_tests.erp.test_erp_fuzz import GOOD_ON_HAND_VALUES

DAY = date(2026, 10, 1)
GOOD_LINE = {
    "transaction_id": "90001",
    "line_id": "1",
    "externalid": "shopify-north-order-1",
    "tranid": "JE90001",
    "trandate": "2026-10-01",
    "postingperiod": "210",
    "subsidiary": "1",
    "acctnumber": "1205",
    "debit": "204.40",
    "currency": "USD",
    "line_memo": "shopify:order:1",
}


def line(line_id: str, **changes: Any) -> dict[str, Any]:
    row = {**GOOD_LINE, "line_id": line_id, **changes}
    return {key: value for key, value in row.items() if value is not None}


BAD_LINES = {
    "transaction_id is missing": line("2", transaction_id=None),
    "debit '12,50' is not a plain decimal number": line("3", debit="12,50"),
    f"credit '1{'0' * 39}' has more than 16 digits": line("4", credit="1" + "0" * 39),
    "trandate '10/1/2026' is not a YYYY-MM-DD date": line("5", trandate="10/1/2026"),
    "debit 'NaN' is not a plain decimal number": line("6", debit="NaN"),
    "debit '1e20' is not a plain decimal number": line("7", debit="1e20"),
    "debit '12.345' has more than 2 decimal places": line("8", debit="12.345"),
    "line_memo is not valid Unicode": line("9", line_memo="caf\ud800"),
    "acctnumber is an object, not text": line("10", acctnumber={"id": "1205"}),
    "trandate 2026-10-02 is outside the window read": line("11", trandate="2026-10-02"),
    "subsidiary is not the one read": line("12", subsidiary="2"),
    "currency 'usd' is not an ISO currency code": line("13", currency="usd"),
}


def _read(path: Path) -> list[dict[str, Any]]:
    relation = duckdb.sql(f"select * from '{path / PARTITION_FILE}'")
    columns = [column[0] for column in relation.description]
    return [dict(zip(columns, values, strict=True)) for values in relation.fetchall()]


def _lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path / "lake")


# ---- 1. quarantine -------------------------------------------------------------------------
def test_bad_gl_lines_are_quarantined_with_reason_and_raw_row(tmp_path: Path) -> None:
    rows = [GOOD_LINE, *BAD_LINES.values(), line("14", debit=None, credit="3.10")]
    lake = _lake(tmp_path)
    directory = lake.partition_dir("raw", "erp", "gl_lines", shop="north", date="2026-10-01")
    quarantine = landing.quarantine_dir(lake, "gl_lines", shop="north", date="2026-10-01")
    stats = landing.land_gl_lines(
        scripted_erp(suiteql_rows(rows)),
        start=DAY,
        end=DAY,
        subsidiary_id="1",
        directory=directory,
        quarantine_directory=quarantine,
    )
    assert (stats.rows, stats.quarantined) == (2, len(BAD_LINES))
    landed = _read(directory)
    assert [(r["line_id"], r["debit"], r["credit"]) for r in landed] == [
        ("1", Decimal("204.40"), Decimal("0.00")),
        ("14", Decimal("0.00"), Decimal("3.10")),
    ]
    rejected = {r["record_key"]: r for r in _read(quarantine)}
    assert quarantine.parts[-3:] == ("shop=north", "date=2026-10-01", "source=gl_lines")
    for expected_reason, row in BAD_LINES.items():
        key = f"{row.get('transaction_id', '?')}/{row['line_id']}"
        assert expected_reason in rejected[key]["reason"]
        assert json.loads(rejected[key]["raw_payload"]) == row
        assert rejected[key]["source_table"] == "gl_lines"
        assert rejected[key]["window_start"] == DAY
        assert rejected[key]["partition"] == "shop=north/date=2026-10-01/source=gl_lines"

    # A re-run that reads clean rows replaces the quarantine with an empty one.
    clean = landing.land_gl_lines(
        scripted_erp(suiteql_rows([GOOD_LINE])),
        start=DAY,
        end=DAY,
        subsidiary_id="1",
        directory=directory,
        quarantine_directory=quarantine,
    )
    assert (clean.rows, clean.quarantined, _read(quarantine)) == (1, 0, [])


def test_without_a_quarantine_a_bad_row_is_our_error_not_a_traceback(tmp_path: Path) -> None:
    erp = scripted_erp(suiteql_rows([GOOD_LINE, BAD_LINES["transaction_id is missing"]]))
    with pytest.raises(port.ERPError, match="transaction_id is missing") as caught:
        landing.land_gl_lines(erp, start=DAY, end=DAY, subsidiary_id="1", directory=tmp_path / "gl")
    assert caught.value.code == "MALFORMED_RECORD"
    assert not (tmp_path / "gl" / PARTITION_FILE).exists()  # nothing half-landed


def test_bad_on_hand_rows_are_quarantined(tmp_path: Path) -> None:
    good = dict(GOOD_ON_HAND_VALUES)
    bad = [
        {**good, "item": "502", "quantity": "4,5"},
        {**good, "item": "503", "quantity": "1" + "0" * 30},
        {**good, "item": "504", "quantity": "Infinity"},
        {**good, "item": "505", "asof": "10/1/2026"},
        {**good, "item": "506", "asof": "2026-10-02"},  # after the date read
        {key: value for key, value in good.items() if key != "itemid"} | {"item": "507"},
    ]
    lake = _lake(tmp_path)
    directory = lake.partition_dir("raw", "erp", "on_hand", shop="north", date="2026-10-01")
    quarantine = landing.quarantine_dir(lake, "on_hand", shop="north", date="2026-10-01")
    stats = landing.land_on_hand(
        scripted_erp(suiteql_rows([good, *bad])),
        as_of=DAY,
        subsidiary_id="1",
        directory=directory,
        quarantine_directory=quarantine,
    )
    assert (stats.rows, stats.quarantined) == (1, len(bad))
    assert [r["quantity_on_hand"] for r in _read(directory)] == [Decimal("42.0000")]
    assert sorted(r["record_key"] for r in _read(quarantine)) == [
        f"{item}/31" for item in ("502", "503", "504", "505", "506", "507")
    ]


def test_bad_accounts_and_periods_are_quarantined_beside_their_snapshot(tmp_path: Path) -> None:
    accounts = [
        {"id": "100", "acctnumber": "1000", "acctname": "Bank", "accttype": "Bank"},
        {"acctnumber": "1205", "acctname": "No id"},
        {"id": "120", "acctnumber": "2200", "isinactive": "maybe"},
    ]
    periods = [
        {"id": "210", "periodname": "Oct 2026", "startdate": "2026-10-01", "enddate": "2026-10-31"},
        {"id": "211", "periodname": "Nov 2026", "startdate": "11/1/2026", "enddate": "2026-11-30"},
        {"id": "212", "periodname": "Dec 2026", "startdate": "2026-12-31", "enddate": "2026-12-01"},
    ]
    lake = _lake(tmp_path)
    for table, rows, land in (
        ("accounts", accounts, landing.land_accounts),
        ("periods", periods, landing.land_periods),
    ):
        quarantine = landing.quarantine_dir(lake, table)
        stats = land(
            scripted_erp(suiteql_rows(rows)),
            directory=lake.partition_dir("raw", "erp", table),
            quarantine_directory=quarantine,
        )
        assert (stats.rows, stats.quarantined) == (1, 2), table
        assert quarantine.parts[-3:] == ("erp", "reference_quarantine", f"source={table}")
        assert all(r["reason"] for r in _read(quarantine))


# ---- 2. malformed responses ----------------------------------------------------------------
MALFORMED_PAGES: dict[str, tuple[bytes, bool]] = {
    "items null": (b'{"items": null, "hasMore": false}', False),
    "items an object": (b'{"items": {"a": 1}, "hasMore": false}', False),
    "item not an object": (b'{"items": [1, "x"], "hasMore": false}', False),
    "page a list": (b'[{"id": "1"}]', False),
    "hasMore missing": (b'{"items": []}', False),
    "hasMore a string": (b'{"items": [{"id": "1"}], "hasMore": "false"}', False),
    "hasMore without items": (b'{"items": [], "hasMore": true}', False),
    "empty body": (b"", True),
    "HTML body": (b"<html><body>Service Temporarily Unavailable</body></html>", True),
    "not UTF-8": (b'{"items": ["\xff\xfe"], "hasMore": false}', True),
    "cut short": (b'{"items": [{"id": "1"', True),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_PAGES))
def test_a_suiteql_page_of_the_wrong_shape_is_a_malformed_response(case: str) -> None:
    body, retryable = MALFORMED_PAGES[case]
    client = scripted_client(lambda request: httpx.Response(200, content=body))
    with pytest.raises(port.ERPMalformedResponse) as caught:
        list(client.suiteql("SELECT id FROM account"))
    assert caught.value.code == "MALFORMED_RESPONSE" and caught.value.status == 200
    assert caught.value.retryable is retryable
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "details",
    [{"0": {"o:errorCode": "X"}}, "text", [1], [{"o:errorCode": {"a": 1}, "detail": ["x"]}], None],
)
def test_an_error_document_of_the_wrong_shape_still_reports_the_status(details: Any) -> None:
    client = scripted_client(
        lambda request: json_answer({"title": "Bad \ud800 request", "o:errorDetails": details}, 400)
    )
    with pytest.raises(port.ERPRejected) as caught:
        list(client.suiteql("SELECT id FROM account"))
    assert caught.value.status == 400 and caught.value.code is None
    str(caught.value).encode("utf-8")  # printable: no lone surrogate reaches the CLI


class _BytesHandler(http.server.BaseHTTPRequestHandler):
    body = b""
    content_type = "text/html"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def bytes_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _BytesHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "body", [b"<!DOCTYPE html><title>Maintenance</title>", b"\x80\x81\xfe{not json"]
)
def test_bytes_over_a_real_socket_are_a_malformed_response(
    bytes_server: http.server.HTTPServer, body: bytes
) -> None:
    _BytesHandler.body = body
    host, port_number = bytes_server.server_address[:2]
    env = TBA_ENVIRONMENT | {"NETSUITE_BASE_URL": f"http://{host!s}:{port_number}"}
    with (
        NetSuiteClient(NetSuiteConfig.from_env(env)) as client,
        pytest.raises(port.ERPMalformedResponse) as caught,
    ):
        list(client.suiteql("SELECT id FROM account"))
    assert caught.value.retryable


def test_a_token_response_that_is_not_json_is_a_malformed_response(tmp_path: Path) -> None:
    key_path = SANDBOX_CREDENTIALS.write_private_key(tmp_path / "key.pem")
    env = SANDBOX_CREDENTIALS.environment(
        "http://netsuite.test", scheme="oauth2", private_key_path=key_path
    )
    client = NetSuiteClient(
        NetSuiteConfig.from_env(env),
        transport=httpx.MockTransport(lambda request: httpx.Response(200, content=b"<html>")),
    )
    with pytest.raises(port.ERPMalformedResponse):
        list(client.suiteql("SELECT id FROM account"))


def _journal_service(record: Any, *, location: str | None) -> NetSuiteERP:
    """SuiteQL (chart, currencies), a journal POST answered with `location`, and a GET of the
    journal by external id answered with `record`."""

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/suiteql"):
            query = json.loads(request.content)["q"]
            rows = (
                [{"id": "1", "symbol": "USD"}]
                if "FROM currency" in query
                else [{"id": "170", "acctnumber": "6100"}, {"id": "110", "acctnumber": "1205"}]
            )
            return suiteql_rows(rows)(request)
        if request.method == "POST":
            return httpx.Response(204, headers={"Location": location} if location else {})
        return json_answer(record)

    return NetSuiteERP(scripted_client(respond))


def test_a_post_answered_without_location_resolves_by_lookup_not_as_an_empty_id() -> None:
    draft = port.JournalEntryDraft(
        "rs-1",
        "1",
        "USD",
        DAY,
        "memo",
        (
            port.JournalLineDraft("6100", debit=Decimal("1.00")),
            port.JournalLineDraft("1205", credit=Decimal("1.00")),
        ),
    )
    erp = _journal_service({"id": "77", "externalId": "rs-1"}, location=None)
    result = erp.post_journal(draft)
    assert (result.status, result.erp_id) == ("already_posted", "77")


@pytest.mark.parametrize(
    "record",
    [
        {"id": "77", "tranDate": "2026-10-01", "line": {"items": {"a": 1}}},
        {"id": "77", "tranDate": "2026-10-01", "line": {"items": [{"debit": "1.00"}]}},
        {"id": "77", "tranDate": "10/1/2026", "line": {"items": []}},
        {"tranDate": "2026-10-01"},
        ["not", "a", "record"],
    ],
)
def test_a_journal_record_of_the_wrong_shape_is_a_malformed_response(record: Any) -> None:
    erp = _journal_service(record, location="http://netsuite.test/journalentry/77")
    with pytest.raises(port.ERPMalformedResponse) as caught:
        erp.find_journal("rs-1")
    assert caught.value.retryable is False


# ---- 3. configuration ----------------------------------------------------------------------
SECONDS = "must be a number of seconds above 0 and at most 900"
WHOLE = "must be a whole number from 1 to"
BAD_SETTINGS: list[tuple[dict[str, str | None], str]] = [
    ({"NETSUITE_READ_TIMEOUT": "-5"}, f"NETSUITE_READ_TIMEOUT='-5' {SECONDS}"),
    ({"NETSUITE_READ_TIMEOUT": "abc"}, f"NETSUITE_READ_TIMEOUT='abc' {SECONDS}"),
    ({"NETSUITE_READ_TIMEOUT": "nan"}, f"NETSUITE_READ_TIMEOUT='nan' {SECONDS}"),
    ({"NETSUITE_READ_TIMEOUT": "0"}, f"NETSUITE_READ_TIMEOUT='0' {SECONDS}"),
    ({"NETSUITE_CONNECT_TIMEOUT": "1e9"}, f"NETSUITE_CONNECT_TIMEOUT='1e9' {SECONDS}"),
    ({"NETSUITE_MAX_ATTEMPTS": "0"}, f"NETSUITE_MAX_ATTEMPTS='0' {WHOLE} 20"),
    ({"NETSUITE_MAX_ATTEMPTS": "2.5"}, f"NETSUITE_MAX_ATTEMPTS='2.5' {WHOLE} 20"),
    ({"NETSUITE_MAX_ATTEMPTS": "many"}, f"NETSUITE_MAX_ATTEMPTS='many' {WHOLE} 20"),
    ({"NETSUITE_CONCURRENCY": "-1"}, f"NETSUITE_CONCURRENCY='-1' {WHOLE} 100"),
    ({"NETSUITE_ACCOUNT_ID": None}, "NETSUITE_ACCOUNT_ID is not set (the NetSuite account id"),
    ({"NETSUITE_ACCOUNT_ID": "12 34/x"}, "NETSUITE_ACCOUNT_ID='12 34/x' is not a NetSuite"),
    ({"NETSUITE_BASE_URL": "ftp://host"}, "NETSUITE_BASE_URL='ftp://host' must be an http(s)"),
    ({"NETSUITE_BASE_URL": "http://:99999"}, "NETSUITE_BASE_URL='http://:99999' must be"),
    ({"NETSUITE_TOKEN_SECRET": None}, "NETSUITE_TOKEN_SECRET not set (token-based auth needs"),
    (
        {"NETSUITE_CONSUMER_KEY": None, "NETSUITE_CLIENT_ID": "c"},
        "NETSUITE_CERTIFICATE_ID, NETSUITE_PRIVATE_KEY_PATH not set (OAuth 2.0 needs",
    ),
]


@pytest.mark.parametrize(("changes", "message"), BAD_SETTINGS)
def test_every_bad_setting_is_one_line_naming_it(
    changes: dict[str, str | None], message: str
) -> None:
    env = {key: value for key, value in (TBA_ENVIRONMENT | changes).items() if value is not None}
    with pytest.raises(netsuite_config.NetSuiteConfigError) as caught:
        NetSuiteConfig.from_env(env)  # what the preflight and the ERP resource call
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_validate_environment_refuses_a_typo_and_an_unreadable_key(tmp_path: Path) -> None:
    with pytest.raises(netsuite_config.NetSuiteConfigError, match="NETSUITE_READTIMEOUT is not"):
        netsuite_config.validate_environment(TBA_ENVIRONMENT | {"NETSUITE_READTIMEOUT": "5"})
    not_a_key = tmp_path / "key.pem"
    not_a_key.write_text("hello")
    oauth2 = {
        "NETSUITE_ACCOUNT_ID": "TEST1",
        "NETSUITE_CLIENT_ID": "c",
        "NETSUITE_CERTIFICATE_ID": "k",
    }
    for path, reason in ((tmp_path / "missing.pem", "cannot be read"), (not_a_key, "not an")):
        with pytest.raises(netsuite_config.NetSuiteConfigError, match=reason):
            netsuite_config.validate_environment(oauth2 | {"NETSUITE_PRIVATE_KEY_PATH": str(path)})
    good_key = SANDBOX_CREDENTIALS.write_private_key(tmp_path / "good.pem")
    config = netsuite_config.validate_environment(
        oauth2 | {"NETSUITE_PRIVATE_KEY_PATH": str(good_key), "NETSUITE_READ_TIMEOUT": "30.5"}
    )
    assert config.read_timeout == 30.5


@pytest.mark.parametrize("subsidiary", ["abc", "1_0", " 1", "١", "1; DROP", ""])
def test_a_subsidiary_id_that_is_not_digits_is_a_config_error(subsidiary: str) -> None:
    erp = scripted_erp(suiteql_rows([]))
    with pytest.raises(netsuite_config.NetSuiteConfigError, match="erp_subsidiary_id"):
        list(erp.gl_lines(DAY, DAY, subsidiary_id=subsidiary))
    with pytest.raises(netsuite_config.NetSuiteConfigError, match="erp_subsidiary_id"):
        list(erp.on_hand(DAY, subsidiary_id=subsidiary))


# ---- 3b/1b. the assets: no retries for configuration errors; quarantine counts -----------
def _messages(error: Any) -> Iterator[str]:
    while error is not None:
        yield error.message
        yield from _messages(getattr(error, "context", None))
        error = error.cause


def _outcome(result: dg.ExecuteInProcessResult) -> tuple[list[str], str]:
    """The run's event kinds, and every error message it recorded (step or resource setup)."""
    kinds = [event.event_type_value for event in result.all_events]
    errors = [getattr(event.event_specific_data, "error", None) for event in result.all_events]
    return kinds, "\n".join(m for error in errors for m in _messages(error))


def _materialize_accounts(tmp_path: Path) -> dg.ExecuteInProcessResult:
    from retail_sync.defs.erp.assets import accounts
    from retail_sync.defs.resources import ERPResource, LakeResource

    return dg.materialize(
        [accounts],
        resources={"erp": ERPResource(), "lake": LakeResource(root=str(tmp_path / "lake"))},
        raise_on_error=False,
    )


def test_a_configuration_error_fails_the_erp_asset_without_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in TBA_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NETSUITE_ACCOUNT_ID")
    result = _materialize_accounts(tmp_path)
    kinds, messages = _outcome(result)
    assert not result.success
    assert "STEP_UP_FOR_RETRY" not in kinds and "STEP_RESTARTED" not in kinds
    assert "NETSUITE_ACCOUNT_ID is not set" in messages


def test_refused_credentials_fail_the_erp_asset_without_retries(
    simulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = SANDBOX_CREDENTIALS.environment(simulator.url)
    for name, value in (environment | {"NETSUITE_TOKEN_SECRET": "not-the-secret"}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NETSUITE_MAX_ATTEMPTS", "1")
    result = _materialize_accounts(tmp_path)
    kinds, messages = _outcome(result)
    assert not result.success
    assert "STEP_UP_FOR_RETRY" not in kinds and "STEP_RESTARTED" not in kinds
    assert "INVALID_LOGIN" in messages


def test_the_gl_asset_lands_good_rows_and_counts_the_quarantined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retail_sync.defs.erp.assets import gl_lines
    from retail_sync.defs.resources import ERPResource, LakeResource, ShopsResource

    erp = scripted_erp(suiteql_rows([GOOD_LINE, *BAD_LINES.values()]))
    for name, value in TBA_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)  # a valid configuration; the rows come from `erp`
    monkeypatch.setattr(ERPResource, "port", lambda self: erp)
    shops = tmp_path / "shops.json"
    shops.write_text(
        json.dumps(
            [
                {
                    "id": "north",
                    "domain": "north.myshopify.com",
                    "currency": "USD",
                    "timezone": "UTC",
                    "erp_subsidiary_id": "1",
                }
            ]
        )
    )
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("shop", ["north"])
    result = dg.materialize(
        [gl_lines],
        instance=instance,
        partition_key="2026-10-01|north",
        resources={
            "erp": ERPResource(),
            "lake": LakeResource(root=str(tmp_path / "lake")),
            "shops": ShopsResource(path=str(shops)),
        },
    )
    [materialization] = result.asset_materializations_for_node(gl_lines.node_def.name)
    assert materialization.metadata["dagster/row_count"].value == 1
    assert materialization.metadata["quarantined_rows"].value == len(BAD_LINES)
    quarantine = landing.quarantine_dir(
        _lake(tmp_path), "gl_lines", shop="north", date="2026-10-01"
    )
    assert len(_read(quarantine)) == len(BAD_LINES)


def test_our_errors_say_whether_a_retry_can_help() -> None:
    assert port.ERPUnavailable("down").retryable
    assert not port.ERPRejected("refused").retryable
    assert not getattr(netsuite_config.NetSuiteConfigError("bad"), "retryable", False)
    assert issubclass(netsuite_config.NetSuiteConfigError, ConfigurationError)
    assert isinstance(port.ERPMalformedResponse("x", retryable=True), RetailSyncError)
