"""The NetSuite simulator over real HTTP: SuiteQL paging and errors, journalentry validation,
async jobs and idempotency, governance (429), maintenance, lost responses, auth, persistence."""

from __future__ import annotations

# ruff: noqa: SIM117  (server and client contexts read better nested)
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from retail_sync.erp import ERPRejected, ERPUnavailable
from retail_sync.erp.netsuite import CircuitBreaker, NetSuiteClient
from retail_sync.erp.netsuite.auth import TokenBasedAuthFlow
from retail_sync.erp.netsuite.config import TokenBasedAuth
from retail_sync.retrying import Backoff
from retail_sync.sandbox.netsuite import (
    SANDBOX_CREDENTIALS,
    FaultProfile,
    parse_faults,
    start_netsuite_simulator,
)
from retail_sync.sandbox.serving import RunningServer
from retail_sync_tests.clocks import FakeClock
from retail_sync_tests.erp.conftest import make_client
from retail_sync_tests.erp.netsuite_world import write_erp_world

C = SANDBOX_CREDENTIALS
REST = "/services/rest"


def tba() -> TokenBasedAuthFlow:
    return TokenBasedAuthFlow(
        TokenBasedAuth(C.consumer_key, C.consumer_secret, C.token_id, C.token_secret),
        C.account_id,
    )


@pytest.fixture
def world(tmp_path: Path) -> Path:
    return write_erp_world(tmp_path / "world", entries=30)


@pytest.fixture
def server(world: Path, tmp_path: Path) -> Iterator[RunningServer]:
    running = start_netsuite_simulator(world, state_dir=tmp_path / "state")
    yield running
    running.stop()


@pytest.fixture
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url + REST, auth=tba(), timeout=10) as client:
        yield client


def suiteql(http: httpx.Client, q: str, **params: Any) -> httpx.Response:
    return http.post(
        "/query/v1/suiteql", json={"q": q}, params=params, headers={"Prefer": "transient"}
    )


def journal(
    external_id: str | None = "rs-1",
    day: str = "2026-10-15",
    debit: str = "10.00",
    credit: str = "10.00",
    account: str = "170",
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subsidiary": {"id": "1"},
        "currency": {"id": "1"},
        "tranDate": day,
        "memo": "m",
        "line": {
            "items": [
                {"account": {"id": account}, "debit": float(debit), "memo": "a"},
                {"account": {"id": "110"}, "credit": float(credit), "memo": "b"},
            ]
        },
    }
    if external_id is not None:
        body["externalId"] = external_id
    return body


def error_code(response: httpx.Response) -> str:
    return str(response.json()["o:errorDetails"][0]["o:errorCode"])


# ---- SuiteQL ------------------------------------------------------------------------------
def test_suiteql_pages_to_the_end_with_netsuite_envelope(http: httpx.Client) -> None:
    q = (
        "SELECT transaction, transactionline, debit FROM transactionaccountingline "
        "ORDER BY transaction, transactionline"
    )
    seen: list[tuple[str, str]] = []
    offset = 0
    while True:
        page = suiteql(http, q, limit=40, offset=offset).json()
        assert set(page) == {"links", "count", "hasMore", "offset", "totalResults", "items"}
        assert page["totalResults"] == 150 and page["count"] == len(page["items"])
        seen += [(i["transaction"], i["transactionline"]) for i in page["items"]]
        rels = {link["rel"] for link in page["links"]}
        if not page["hasMore"]:
            assert "next" not in rels
            break
        assert "next" in rels
        offset += page["count"]
    assert len(seen) == len(set(seen)) == 150
    default = suiteql(http, q).json()
    assert default["count"] == 150 and default["hasMore"] is False
    item = default["items"][0]
    assert item["links"] == [] and item["debit"] == "204.40" and "credit" not in item  # nulls out


@pytest.mark.slow
def test_suiteql_default_page_is_1000_and_client_iterates_all(tmp_path: Path) -> None:
    world = write_erp_world(tmp_path / "big", entries=250)  # 1250 accounting lines
    with start_netsuite_simulator(world, state_dir=tmp_path / "s") as running:
        with httpx.Client(base_url=running.url + REST, auth=tba()) as raw:
            first = suiteql(raw, "SELECT * FROM transactionaccountingline").json()
            assert (first["count"], first["hasMore"], first["totalResults"]) == (1000, True, 1250)
            too_big = suiteql(raw, "SELECT id FROM account", limit=1001)
            assert too_big.status_code == 400 and error_code(too_big) == "INVALID_PARAMETER"
        with make_client(running) as client:
            rows = list(client.suiteql("SELECT amount FROM transactionaccountingline"))
    assert len(rows) == 1250
    assert sum(Decimal(r["amount"]) for r in rows) == 0


def test_suiteql_oracle_flavour_and_dates(http: httpx.Client) -> None:
    q = (
        "SELECT t.id, TO_CHAR(t.trandate, 'YYYY-MM-DD') AS d, t.trandate, "
        "NVL(t.externalid, 'none') AS e, BUILTIN.DF(t.postingperiod) AS p FROM transaction t "
        "WHERE t.trandate >= TO_DATE('10/27/2026', 'MM/DD/YYYY') AND ROWNUM <= 2 ORDER BY t.id"
    )
    items = suiteql(http, q).json()["items"]
    assert len(items) == 2
    assert items[0]["d"] == "2026-10-27" and items[0]["trandate"] == "10/27/2026"


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("SELECT id FROM nosuchtable", "Record 'nosuchtable' was not found"),
        ("SELECT t.nosuchcolumn FROM transaction t", "Field 'nosuchcolumn'"),
        ("SELECT nosuchcolumn FROM account", "Unknown identifier"),
        ("SELEKT id FROM account", "Invalid search query"),
        ("DELETE FROM account", "Invalid search query"),
    ],
)
def test_suiteql_errors_are_netsuite_shaped(http: httpx.Client, query: str, fragment: str) -> None:
    response = suiteql(http, query)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and error_code(response) == "INVALID_PARAMETER"
    assert fragment in body["o:errorDetails"][0]["detail"]


def test_suiteql_requires_prefer_transient(http: httpx.Client) -> None:
    response = http.post("/query/v1/suiteql", json={"q": "SELECT id FROM account"})
    assert response.status_code == 400


# ---- records ------------------------------------------------------------------------------
def test_create_get_by_id_and_eid_then_upsert(http: httpx.Client) -> None:
    created = http.post("/record/v1/journalentry", json=journal("rs-create"))
    assert created.status_code == 204 and created.content == b""
    location = created.headers["Location"]
    internal_id = location.rsplit("/", 1)[1]
    assert location.endswith(f"/services/rest/record/v1/journalentry/{internal_id}")
    by_id = http.get(f"/record/v1/journalentry/{internal_id}").json()
    assert by_id["externalId"] == "rs-create" and "items" not in by_id["line"]
    by_eid = http.get(
        "/record/v1/journalentry/eid:rs-create", params={"expandSubResources": "true"}
    ).json()
    assert by_eid["id"] == internal_id and len(by_eid["line"]["items"]) == 2
    replaced = http.put(
        "/record/v1/journalentry/eid:rs-create",
        json=journal("rs-create", debit="11.00", credit="11.00"),
    )
    assert replaced.status_code == 204 and replaced.headers["Location"] == location
    lines = http.get(
        "/record/v1/journalentry/eid:rs-create", params={"expandSubResources": "true"}
    ).json()["line"]["items"]
    assert [line.get("debit") for line in lines] == [11.0, None]
    upserted = http.put("/record/v1/journalentry/eid:rs-upsert-new", json=journal(None))
    assert upserted.status_code == 204
    assert http.get("/record/v1/journalentry/eid:rs-upsert-new").status_code == 200
    missing = http.get("/record/v1/journalentry/eid:nope")
    assert missing.status_code == 404 and error_code(missing) == "NONEXISTENT_ID"


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        (journal("rs-unbalanced", debit="10.00", credit="9.99"), "USER_ERROR", "out of balance"),
        (journal("rs-unknown-account", account="999"), "INVALID_KEY_OR_REF", "account"),
        (journal("rs-closed", day="2026-09-15"), "USER_ERROR", "Sep 2026 is closed"),
        (journal("rs-no-period", day="2027-03-01"), "USER_ERROR", "No accounting period"),
        (journal("bad id!"), "INVALID_VALUE", "externalId"),
    ],
)
def test_journal_validation_errors(
    http: httpx.Client, body: dict[str, Any], code: str, fragment: str
) -> None:
    response = http.post("/record/v1/journalentry", json=body)
    assert response.status_code == 400
    assert response.json()["title"] == "Bad Request"
    assert error_code(response) == code
    assert fragment in response.json()["o:errorDetails"][0]["detail"]


def test_duplicate_external_id_on_post_is_refused(http: httpx.Client) -> None:
    assert http.post("/record/v1/journalentry", json=journal("rs-dup")).status_code == 204
    again = http.post("/record/v1/journalentry", json=journal("rs-dup"))
    assert again.status_code == 400 and error_code(again) == "DUP_RCRD"
    world_eid = "shopify-north-outfitters-order-1000001"
    assert error_code(http.post("/record/v1/journalentry", json=journal(world_eid))) == "DUP_RCRD"


def test_locked_period_fault(world: Path, tmp_path: Path) -> None:
    with start_netsuite_simulator(
        world, state_dir=tmp_path / "s", faults="locked-period"
    ) as running:
        with httpx.Client(base_url=running.url + REST, auth=tba()) as raw:
            response = raw.post("/record/v1/journalentry", json=journal("rs-locked"))
            assert response.status_code == 400 and "locked" in response.text
            nov = raw.post("/record/v1/journalentry", json=journal("rs-nov", day="2026-11-03"))
            assert nov.status_code == 204


# ---- async + idempotency ------------------------------------------------------------------
def test_async_job_then_idempotency_conflict(server: RunningServer) -> None:
    with make_client(server) as client:
        job = client.submit_async(
            "POST",
            "/record/v1/journalentry",
            journal("rs-async"),
            "0f5c3c1e-3d7e-4d55-9b8e-6b0f0c2a1a01",
        )
        assert "/services/rest/async/v1/job/" in job
        result = client.wait_for_job(job)
        assert result.status_code == 204
        assert "/record/v1/journalentry/" in result.headers["Location"]
        with pytest.raises(ERPRejected) as caught:
            client.submit_async(
                "POST",
                "/record/v1/journalentry",
                journal("rs-async-2"),
                "0f5c3c1e-3d7e-4d55-9b8e-6b0f0c2a1a01",
            )
        assert caught.value.code == "IDEMPOTENCY_ERROR" and job in str(caught.value)
        failing = client.submit_async(
            "POST",
            "/record/v1/journalentry",
            journal("rs-async"),
            "6a1d0b8e-0000-4000-8000-000000000002",
        )
        failed = client.wait_for_job(failing)
        assert failed.status_code == 400
        assert failed.json()["o:errorDetails"][0]["o:errorCode"] == "DUP_RCRD"


# ---- governance ---------------------------------------------------------------------------
@pytest.mark.slow
def test_concurrency_limit_answers_429_and_client_recovers(world: Path, tmp_path: Path) -> None:
    with start_netsuite_simulator(
        world, state_dir=tmp_path / "s", concurrency_limit=2, latency_seconds=0.3
    ) as running:

        def burst(client: NetSuiteClient) -> list[BaseException | int]:
            outcomes: list[BaseException | int] = []

            def one() -> None:
                try:
                    outcomes.append(len(list(client.suiteql("SELECT id FROM account"))))
                except BaseException as error:  # collected for the assertion below
                    outcomes.append(error)

            threads = [threading.Thread(target=one) for _ in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return outcomes

        no_retry = make_client(running, retry=Backoff(max_attempts=1))
        refused = [o for o in burst(no_retry) if isinstance(o, ERPUnavailable)]
        assert refused and all(
            e.code == "CONCURRENCY_LIMIT_EXCEEDED" and e.status == 429 for e in refused
        )
        patient = make_client(
            running, retry=Backoff(max_attempts=12, base_seconds=0.2, cap_seconds=1.0)
        )
        assert burst(patient) == [7] * 6
        assert running.server.simulator.requests_refused_for_concurrency > 0  # type: ignore[attr-defined]
        no_retry.close()
        patient.close()


def test_maintenance_window_is_survived_without_real_waiting(world: Path, tmp_path: Path) -> None:
    clock = FakeClock(datetime.now(UTC))
    profile = FaultProfile(maintenance_after=timedelta(0), maintenance_for=timedelta(seconds=90))
    with start_netsuite_simulator(
        world, state_dir=tmp_path / "s", faults=profile, clock=clock
    ) as running:
        client = make_client(
            running, sleep=clock.sleep, breaker=CircuitBreaker(clock=clock.monotonic)
        )
        rows = list(client.suiteql("SELECT id FROM account"))
        client.close()
    assert len(rows) == 7
    assert sum(clock.slept) >= 90  # it honoured Retry-After instead of hammering


def test_circuit_breaker_stops_hammering_a_down_erp(world: Path, tmp_path: Path) -> None:
    clock = FakeClock(datetime.now(UTC))
    profile = FaultProfile(maintenance_after=timedelta(0), maintenance_for=timedelta(hours=4))
    with start_netsuite_simulator(
        world, state_dir=tmp_path / "s", faults=profile, clock=clock
    ) as running:
        sim = running.server.simulator  # type: ignore[attr-defined]
        client = make_client(
            running,
            sleep=clock.sleep,
            retry=Backoff(max_attempts=3, max_retry_after_seconds=5),
            breaker=CircuitBreaker(clock=clock.monotonic, failure_threshold=3, reset_after=60),
        )
        with pytest.raises(ERPUnavailable) as first:
            list(client.suiteql("SELECT id FROM account"))
        assert first.value.status == 503 and first.value.code == "SERVICE_UNAVAILABLE"
        seen = sim.requests_seen
        with pytest.raises(ERPUnavailable) as second:
            list(client.suiteql("SELECT id FROM account"))
        assert second.value.code == "CIRCUIT_OPEN" and sim.requests_seen == seen
        clock.sleep(61)  # half-open: one probe goes through
        with pytest.raises(ERPUnavailable):
            list(client.suiteql("SELECT id FROM account"))
        assert sim.requests_seen == seen + 1
        client.close()


def test_flaky_profile_is_survived_by_retries(world: Path, tmp_path: Path) -> None:
    with start_netsuite_simulator(
        world, state_dir=tmp_path / "s", faults="flaky", seed=3
    ) as running:
        with make_client(
            running, retry=Backoff(max_attempts=10, base_seconds=0.001, cap_seconds=0.01)
        ) as client:
            rows = list(client.suiteql("SELECT id FROM transaction ORDER BY id", page_size=5))
    assert len(rows) == 30


def test_fault_profiles_parse_and_combine() -> None:
    combined = parse_faults("flaky+lost-responses")
    assert combined.error_rate > 0 and combined.lost_response_rate > 0
    with pytest.raises(ValueError, match="unknown"):
        parse_faults("gremlins")


def test_lost_response_commits_but_never_answers(world: Path, tmp_path: Path) -> None:
    profile = FaultProfile(lost_response_rate=1.0, max_lost_responses=1)
    with start_netsuite_simulator(world, state_dir=tmp_path / "s", faults=profile) as running:
        with httpx.Client(base_url=running.url + REST, auth=tba()) as raw:
            with pytest.raises(httpx.RemoteProtocolError):
                raw.post("/record/v1/journalentry", json=journal("rs-lost"))
            assert raw.get("/record/v1/journalentry/eid:rs-lost").status_code == 200


# ---- auth ---------------------------------------------------------------------------------
class TamperedAuth(httpx.Auth):
    """Signs correctly, then changes what was signed."""

    def __init__(self, tamper: str) -> None:
        self.tamper = tamper

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        signed = next(tba().auth_flow(request))
        if self.tamper == "query":
            signed.url = signed.url.copy_merge_params({"offset": "5"})
        elif self.tamper == "signature":
            header = signed.headers["Authorization"]
            signed.headers["Authorization"] = header.replace(
                'oauth_signature="', 'oauth_signature="A'
            )
        yield signed


@pytest.mark.parametrize("tamper", ["query", "signature"])
def test_oauth1_tampered_request_is_rejected(server: RunningServer, tamper: str) -> None:
    with httpx.Client(base_url=server.url + REST, auth=TamperedAuth(tamper)) as raw:
        response = suiteql(raw, "SELECT id FROM account", limit=5, offset=0)
    assert response.status_code == 401 and error_code(response) == "INVALID_LOGIN"


def test_oauth1_wrong_secret_replay_and_missing_auth_are_rejected(server: RunningServer) -> None:
    wrong = TokenBasedAuthFlow(
        TokenBasedAuth(C.consumer_key, "not-the-secret", C.token_id, C.token_secret), C.account_id
    )
    with httpx.Client(base_url=server.url + REST, auth=wrong) as raw:
        assert suiteql(raw, "SELECT id FROM account").status_code == 401
    with httpx.Client(base_url=server.url + REST) as raw:
        assert suiteql(raw, "SELECT id FROM account").status_code == 401
        request = raw.build_request(
            "POST",
            "/query/v1/suiteql",
            json={"q": "SELECT id FROM account"},
            headers={"Prefer": "transient"},
        )
        signed = next(tba().auth_flow(request))
        assert raw.send(signed).status_code == 200
        assert raw.send(signed).status_code == 401  # same nonce again


def test_oauth2_token_needs_an_assertion_from_the_registered_key(server: RunningServer) -> None:
    token_url = f"{server.url}{REST}/auth/oauth2/v1/token"
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "iss": C.client_id,
        "aud": token_url,
        "iat": now,
        "exp": now + 600,
        "scope": ["rest_webservices"],
    }

    def ask(key: Any) -> httpx.Response:
        assertion = jwt.encode(claims, key, algorithm="ES256", headers={"kid": C.certificate_id})
        return httpx.post(
            token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
            },
        )

    assert ask(ec.generate_private_key(ec.SECP256R1())).status_code == 400
    granted = ask(C.private_key())
    assert granted.status_code == 200
    token = granted.json()["access_token"]
    ok = httpx.post(
        f"{server.url}{REST}/query/v1/suiteql",
        json={"q": "SELECT id FROM account"},
        headers={"Prefer": "transient", "Authorization": f"Bearer {token}"},
    )
    assert ok.status_code == 200
    bad = httpx.post(
        f"{server.url}{REST}/query/v1/suiteql",
        json={"q": "SELECT id FROM account"},
        headers={"Prefer": "transient", "Authorization": "Bearer forged"},
    )
    assert bad.status_code == 401


# ---- persistence --------------------------------------------------------------------------
def test_restart_loses_nothing(world: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    with start_netsuite_simulator(world, state_dir=state) as first:
        with httpx.Client(base_url=first.url + REST, auth=tba()) as raw:
            assert raw.post("/record/v1/journalentry", json=journal("rs-kept")).status_code == 204
            with raw.stream(
                "POST",
                "/record/v1/journalentry",
                json=journal("rs-async-kept"),
                headers={"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": "k-1"},
            ) as accepted:
                assert accepted.status_code == 202
    with start_netsuite_simulator(None, state_dir=state) as second:
        with httpx.Client(base_url=second.url + REST, auth=tba()) as raw:
            assert raw.get("/record/v1/journalentry/eid:rs-kept").status_code == 200
            assert raw.get("/record/v1/journalentry/eid:rs-async-kept").status_code == 200
            reused = raw.post(
                "/record/v1/journalentry",
                json=journal("rs-x"),
                headers={"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": "k-1"},
            )
            assert error_code(reused) == "IDEMPOTENCY_ERROR"
            count = suiteql(raw, "SELECT count(*) AS n FROM transaction").json()["items"][0]["n"]
            assert count == "32"


def test_tiny_world_loads_and_balances(tmp_path: Path) -> None:
    tiny = Path(__file__).parent / "worlds" / "tiny"
    if not (tiny / "erp").exists():
        pytest.fail("the shared tiny world is missing")
    with start_netsuite_simulator(tiny, state_dir=tmp_path / "s") as running:
        with httpx.Client(base_url=running.url + REST, auth=tba()) as raw:
            totals = suiteql(
                raw, "SELECT sum(debit) AS d, sum(credit) AS c FROM transactionaccountingline"
            ).json()["items"][0]
    assert Decimal(totals["d"]) == Decimal(totals["c"]) > 0
    assert date(2026, 10, 1)  # the world is October 2026
