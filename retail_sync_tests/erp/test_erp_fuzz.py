"""Fuzzing the NetSuite client and adapter (issue 13): any answer — bytes, JSON of any shape, any
status — gives rows or one of our errors; any SuiteQL row is landed or quarantined, never another
exception, and nothing is lost (landed + quarantined = rows read).

Bounded and deterministic for CI (`derandomize`, no example database); the whole file runs in
a few seconds. Answers come from httpx.MockTransport: no simulator sends these bodies.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pyarrow.parquet as pq
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from retail_sync.erp import landing
from retail_sync.erp.netsuite import NetSuiteERP
from retail_sync.erp.port import ERPError
from retail_sync.warehouse.lake import PARTITION_FILE
from retail_sync_tests.erp.scripted_netsuite import json_answer, scripted_client, suiteql_rows


def fuzz(examples: int) -> settings:
    """Deterministic, database-less, bounded: `examples` cases per test."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


DAY = date(2026, 10, 1)

# Values a row or a document may hold: what NetSuite sends, what it never should.
TRICKY_TEXT = st.sampled_from(
    [
        "",
        "12,50",
        "1e20",
        "NaN",
        "Infinity",
        "-0",
        "0.001",
        "9" * 40,
        "10/1/2026",
        "2026-02-30",
        "2026-10-01",
        "2026-10-02",
        "T",
        "F",
        "USD",
        "usd",
        "\ud800",
        "a\x00b\nc",
        " 1",
        "١٢",
        "<html>",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.decimals(allow_nan=True, allow_infinity=True, places=None),
    TRICKY_TEXT,
    st.text(max_size=12),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=6), children, max_size=4),
    ),
    max_leaves=8,
)
# A row's values: flat (rows are flat), so drawing them stays cheap.
FIELD_VALUES = st.one_of(
    TRICKY_TEXT,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
GL_FIELDS = [
    "transaction_id",
    "line_id",
    "externalid",
    "tranid",
    "trandate",
    "postingperiod",
    "subsidiary",
    "acctnumber",
    "debit",
    "credit",
    "currency",
    "line_memo",
    "header_memo",
]
GOOD_GL_VALUES: dict[str, Any] = {
    "transaction_id": "90001",
    "line_id": "1",
    "trandate": "2026-10-01",
    "subsidiary": "1",
    "acctnumber": "1205",
    "debit": "204.40",
    "currency": "USD",
}
ON_HAND_FIELDS = [
    "item", "itemid", "location", "location_name", "subsidiary", "asof", "quantity",
    "averagecost", "cost", "currency",
]  # fmt: skip
GOOD_ON_HAND_VALUES: dict[str, Any] = {
    "item": "501",
    "itemid": "TENT-2P",
    "location": "31",
    "location_name": "Warehouse East",
    "subsidiary": "1",
    "asof": "2026-10-01",
    "quantity": "42",
    "averagecost": "83.955",
    "currency": "USD",
}


def rows_of(fields: list[str], good: dict[str, Any]) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Rows mostly of the right form, each field possibly replaced, dropped or of another type."""
    value = st.one_of(st.sampled_from(["keep", "drop"]), FIELD_VALUES)

    @st.composite
    def row(draw: st.DrawFn) -> dict[str, Any]:
        built: dict[str, Any] = {}
        for field in fields:
            choice = draw(value) if draw(st.integers(0, 3)) == 0 else "keep"
            if choice == "keep":
                if field in good:
                    built[field] = good[field]
            elif choice != "drop":
                built[field] = choice
        return built

    return st.lists(row(), max_size=6)


def _json_default(value: Any) -> Any:
    return str(value)


def _dump(document: Any) -> bytes:
    return json.dumps(document, default=_json_default).encode()


PAGES = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries(
        {"items": st.one_of(JSON_VALUES, st.lists(JSON_VALUES, max_size=4))},
        optional={"hasMore": JSON_VALUES, "offset": JSON_VALUES, "links": JSON_VALUES},
    ),
)
BODIES = st.one_of(
    st.binary(max_size=64),
    PAGES.map(_dump),
    PAGES.map(_dump).map(lambda body: body[: len(body) // 2]),
    st.just(b"<html><body>502 Bad Gateway</body></html>"),
)
STATUSES = st.sampled_from([200, 200, 200, 204, 400, 401, 403, 404, 409, 422, 429, 500, 503])


@fuzz(200)
@given(status=STATUSES, body=BODIES)
def test_any_suiteql_answer_gives_rows_or_our_error(status: int, body: bytes) -> None:
    client = scripted_client(lambda request: httpx.Response(status, content=body), max_attempts=2)
    try:
        rows = list(client.suiteql("SELECT id FROM account"))
    except ERPError as error:
        str(error).encode("utf-8")  # printable as one line by the CLI
        assert "\n" not in str(error)
    else:
        assert all(isinstance(row, dict) for row in rows)


@fuzz(100)
@given(record=JSON_VALUES, status=st.sampled_from([200, 200, 404, 500]))
def test_any_journal_record_gives_a_journal_none_or_our_error(record: Any, status: int) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/suiteql"):
            return suiteql_rows([{"id": "110", "acctnumber": "1205"}])(request)
        return json_answer(record, status)

    with contextlib.suppress(ERPError):
        NetSuiteERP(scripted_client(respond)).find_journal("rs-1")


def _land(land: Any, rows: list[dict[str, Any]], **window: Any) -> tuple[int, int, int]:
    """Land `rows` through the real landing into a scratch folder; (landed, quarantined, read).

    fsync is skipped: durability is not the property here, and it is most of a landing's time.
    """
    with (
        tempfile.TemporaryDirectory() as scratch,
        mock.patch.object(os, "fsync", lambda descriptor: None),
    ):
        directory, quarantine = Path(scratch) / "rows", Path(scratch) / "quarantine"
        stats = land(
            NetSuiteERP(scripted_client(suiteql_rows(rows))),
            directory=directory,
            quarantine_directory=quarantine,
            **window,
        )
        landed = pq.read_metadata(directory / PARTITION_FILE).num_rows
        payloads = pq.read_table(quarantine / PARTITION_FILE).to_pylist()
        for rejected in payloads:
            assert rejected["reason"] and isinstance(json.loads(rejected["raw_payload"]), dict)
        assert (landed, len(payloads)) == (stats.rows, stats.quarantined)
        event("rows landed" if landed else "no row landed")
        event("rows quarantined" if payloads else "no row quarantined")
        return stats.rows, stats.quarantined, len(rows)


@fuzz(120)
@given(rows=rows_of(GL_FIELDS, GOOD_GL_VALUES))
def test_any_gl_row_is_landed_or_quarantined(rows: list[dict[str, Any]]) -> None:
    landed, quarantined, read = _land(
        landing.land_gl_lines, rows, start=DAY, end=DAY, subsidiary_id="1"
    )
    assert landed + quarantined == read


@fuzz(80)
@given(rows=rows_of(ON_HAND_FIELDS, GOOD_ON_HAND_VALUES))
def test_any_on_hand_row_is_landed_or_quarantined(rows: list[dict[str, Any]]) -> None:
    landed, quarantined, read = _land(landing.land_on_hand, rows, as_of=DAY, subsidiary_id="1")
    # Snapshots of one item and location collapse to the latest (by design), so ≤.
    assert landed + quarantined <= read and quarantined <= read
    if quarantined == 0 and rows:
        assert landed >= 1


@fuzz(60)
@given(
    accounts=rows_of(
        ["id", "acctnumber", "acctname", "accttype", "isinactive"],
        {"id": "110", "acctnumber": "1205", "acctname": "Clearing", "accttype": "Bank"},
    ),
    periods=rows_of(
        ["id", "periodname", "startdate", "enddate", "closed", "alllocked"],
        {"id": "210", "periodname": "Oct", "startdate": "2026-10-01", "enddate": "2026-10-31"},
    ),
)
def test_any_account_or_period_row_is_landed_or_quarantined(
    accounts: list[dict[str, Any]], periods: list[dict[str, Any]]
) -> None:
    for land, rows in ((landing.land_accounts, accounts), (landing.land_periods, periods)):
        landed, quarantined, read = _land(land, rows)
        assert landed + quarantined == read
