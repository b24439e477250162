"""A NetSuite client whose answers a test scripts (httpx.MockTransport): bodies no simulator
would send — rows of the wrong form, pages of the wrong shape — through the real client code."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from retail_sync.erp.netsuite import NetSuiteClient, NetSuiteConfig, NetSuiteERP
from retail_sync.retrying import Backoff

BASE_URL = "http://netsuite.test"
TBA_ENVIRONMENT = {
    "NETSUITE_ACCOUNT_ID": "TEST1",
    "NETSUITE_BASE_URL": BASE_URL,
    "NETSUITE_CONSUMER_KEY": "ck",
    "NETSUITE_CONSUMER_SECRET": "cs",
    "NETSUITE_TOKEN_ID": "tk",
    "NETSUITE_TOKEN_SECRET": "ts",
}
Respond = Callable[[httpx.Request], httpx.Response]


def scripted_client(respond: Respond, *, max_attempts: int = 2) -> NetSuiteClient:
    """A client on TBA whose every request is answered by `respond`; retries do not sleep."""
    return NetSuiteClient(
        NetSuiteConfig.from_env(TBA_ENVIRONMENT),
        retry=Backoff(max_attempts=max_attempts, base_seconds=0.0, cap_seconds=0.0),
        sleep=lambda seconds: None,
        seed=1,
        transport=httpx.MockTransport(respond),
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else str(value)
    raise TypeError(type(value).__name__)


def json_answer(document: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(document, default=_json_default).encode(),
        headers={"Content-Type": "application/json"},
    )


def suiteql_rows(rows: list[dict[str, Any]]) -> Respond:
    """Answer every SuiteQL query with `rows`, one page, as NetSuite shapes it."""

    def respond(request: httpx.Request) -> httpx.Response:
        return json_answer(
            {
                "links": [],
                "count": len(rows),
                "hasMore": False,
                "items": rows,
                "offset": 0,
                "totalResults": len(rows),
            }
        )

    return respond


def scripted_erp(respond: Respond) -> NetSuiteERP:
    return NetSuiteERP(scripted_client(respond))
