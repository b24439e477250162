"""The NetSuite REST simulator: routing, governance, auth and faults around the ledger store."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from retail_sync.sandbox.netsuite.auth import Authenticator, AuthError
from retail_sync.sandbox.netsuite.credentials import SANDBOX_CREDENTIALS, SandboxCredentials
from retail_sync.sandbox.netsuite.faults import FaultInjector, FaultProfile, parse_faults
from retail_sync.sandbox.netsuite.store import LedgerStore, RecordError
from retail_sync.sandbox.netsuite.suiteql import SuiteQLError
from retail_sync.sandbox.serving import RunningServer, SandboxHTTPServer, serve_in_thread
from retail_sync.sandbox.world import World

log = logging.getLogger(__name__)

PAGE_SIZE_MAX = 1000
STATE_FILE = "netsuite.duckdb"
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Record Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
CODES = {
    401: "INVALID_LOGIN",
    404: "NONEXISTENT_ID",
    405: "INVALID_METHOD",
    429: "CONCURRENCY_LIMIT_EXCEEDED",
    500: "UNEXPECTED_ERROR",
    502: "UNEXPECTED_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
RECORD_PATH = re.compile(r"^/record/v1/journalentry(?:/(?P<key>[^/]+))?$")
JOB_PATH = re.compile(
    r"^/async/v1/job/(?P<job>\d+)(?:/task(?:/(?P<task>\d+)(?P<result>/result)?)?)?$"
)


class LostResponse(Exception):
    """The work is committed; the simulator drops the connection instead of answering."""


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def error_reply(
    status: int, detail: str, code: str | None = None, path: str | None = None
) -> Reply:
    """NetSuite's error document: RFC 9457-ish with `o:errorDetails`."""
    entry: dict[str, str] = {"detail": detail, "o:errorCode": code or CODES.get(status, "ERROR")}
    if path:
        entry["o:errorPath"] = path
    body = {
        "type": f"https://www.rfc-editor.org/rfc/rfc9110.html#section-15.{5 if status < 500 else 6}"
        f".{status % 100 + 1}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "o:errorDetails": [entry],
    }
    return Reply(status, body)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # A JSON number; two-decimal amounts survive float repr exactly (≤ 15 digits).
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class NetSuiteSimulator:
    """State shared by all handler threads: the store, auth, governance and faults."""

    def __init__(
        self,
        *,
        store: LedgerStore,
        credentials: SandboxCredentials,
        faults: FaultProfile,
        seed: int,
        concurrency_limit: int,
        clock: Callable[[], datetime],
        latency_seconds: float = 0.0,
    ) -> None:
        self.store = store
        self.credentials = credentials
        self.clock = clock
        self.auth = Authenticator(credentials, clock)
        self.faults = FaultInjector(faults, seed, clock())
        self.concurrency_limit = concurrency_limit
        self.latency_seconds = latency_seconds
        self._slots = threading.BoundedSemaphore(concurrency_limit)
        self._counter_lock = threading.Lock()
        self.requests_seen = 0
        self.requests_refused_for_concurrency = 0

    def count_request(self) -> None:
        with self._counter_lock:
            self.requests_seen += 1

    def try_acquire_slot(self) -> bool:
        acquired = self._slots.acquire(blocking=False)
        with self._counter_lock:
            if not acquired:
                self.requests_refused_for_concurrency += 1
        return acquired

    def release_slot(self) -> None:
        self._slots.release()


class NetSuiteHTTPServer(SandboxHTTPServer):
    simulator: NetSuiteSimulator


class NetSuiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: NetSuiteHTTPServer
    server_version = "NetSuiteSimulator/1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("netsuite-sim %s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -------------------------------------------------------------------------------------
    def _handle(self, method: str) -> None:
        sim = self.server.simulator
        sim.count_request()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request_id = self.headers.get("X-Request-Id") or str(uuid.uuid4())
        parts = urllib.parse.urlsplit(self.path)
        path = parts.path
        try:
            reply = self._dispatch(sim, method, path, parts.query, body)
        except LostResponse:
            log.info("netsuite-sim: dropping the response to %s %s (lost-responses)", method, path)
            self.close_connection = True
            return
        except Exception:
            log.exception("netsuite-sim: unexpected error on %s %s", method, path)
            reply = error_reply(500, "An unexpected error occurred.")
        reply.headers.setdefault("X-Request-Id", request_id)
        self._send(reply)

    def _dispatch(
        self, sim: NetSuiteSimulator, method: str, path: str, query: str, body: bytes
    ) -> Reply:
        if not path.startswith("/services/rest/"):
            return error_reply(404, f"Resource {path} was not found.")
        route = path[len("/services/rest") :]
        remaining = sim.faults.maintenance_remaining(sim.clock())
        if remaining is not None:
            reply = error_reply(
                503,
                "NetSuite is undergoing scheduled maintenance. Try again later.",
                "SERVICE_UNAVAILABLE",
            )
            reply.headers["Retry-After"] = str(max(1, int(remaining.total_seconds()) + 1))
            return reply
        if route == "/auth/oauth2/v1/token":
            return self._token(sim, method, body)
        url = f"http://{self.headers.get('Host', '')}{self.path}"
        try:
            sim.auth.check(
                method,
                url,
                self.headers.get("Authorization"),
                body,
                self.headers.get("Content-Type", ""),
            )
        except AuthError as error:
            log.info("netsuite-sim: authentication refused: %s", error.reason)
            return error_reply(
                401,
                "Invalid login attempt. For more details, see the Login Audit Trail in the "
                "NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.",
                "INVALID_LOGIN",
            )
        if not sim.try_acquire_slot():
            return error_reply(
                429,
                "Concurrent request limit exceeded. Request blocked.",
                "CONCURRENCY_LIMIT_EXCEEDED",
            )
        try:
            failure = sim.faults.random_failure()
            if failure is not None:
                return error_reply(failure, "An unexpected error occurred (injected fault).")
            if sim.latency_seconds:
                time.sleep(sim.latency_seconds)
            return self._route(sim, method, route, query, body)
        finally:
            sim.release_slot()

    def _route(
        self, sim: NetSuiteSimulator, method: str, route: str, query: str, body: bytes
    ) -> Reply:
        params = dict(urllib.parse.parse_qsl(query))
        if route == "/query/v1/suiteql":
            if method != "POST":
                return error_reply(405, "Use POST for SuiteQL.")
            return self._suiteql(sim, params, body)
        match = RECORD_PATH.match(route)
        if match:
            return self._journal(sim, method, match.group("key"), params, body)
        match = JOB_PATH.match(route)
        if match and method == "GET":
            return self._job(
                sim, int(match.group("job")), match.group("task"), bool(match.group("result"))
            )
        return error_reply(404, f"Resource {route} was not found.")

    # ---- SuiteQL -------------------------------------------------------------------------
    def _suiteql(self, sim: NetSuiteSimulator, params: dict[str, str], body: bytes) -> Reply:
        if "transient" not in self.headers.get("Prefer", "").lower():
            return error_reply(
                400, "The request must carry the header 'Prefer: transient'.", "INVALID_HEADER"
            )
        try:
            limit = int(params.get("limit", PAGE_SIZE_MAX))
            offset = int(params.get("offset", 0))
        except ValueError:
            return error_reply(400, "Invalid limit or offset.", "INVALID_PARAMETER")
        if not 1 <= limit <= PAGE_SIZE_MAX or offset < 0:
            return error_reply(
                400,
                f"Invalid value for parameter limit/offset: limit must be 1..{PAGE_SIZE_MAX}, "
                "offset at least 0.",
                "INVALID_PARAMETER",
            )
        payload = _json_body(body)
        query = payload.get("q") if isinstance(payload, dict) else None
        if not isinstance(query, str) or not query.strip():
            return error_reply(
                400, 'The request body must be {"q": "<SuiteQL>"}.', "INVALID_PARAMETER"
            )
        try:
            page = sim.store.suiteql(query, limit, offset)
        except SuiteQLError as error:
            return error_reply(400, str(error), "INVALID_PARAMETER")
        base = f"{self._base_url()}/query/v1/suiteql"
        links = [{"rel": "self", "href": f"{base}?limit={limit}&offset={offset}"}]
        last_offset = max(0, ((page.total - 1) // limit) * limit)
        if offset > 0:
            links.insert(
                0,
                {
                    "rel": "previous",
                    "href": f"{base}?limit={limit}&offset={max(0, offset - limit)}",
                },
            )
            links.insert(0, {"rel": "first", "href": f"{base}?limit={limit}&offset=0"})
        has_more = offset + len(page.items) < page.total
        if has_more:
            links.append({"rel": "next", "href": f"{base}?limit={limit}&offset={offset + limit}"})
            links.append({"rel": "last", "href": f"{base}?limit={limit}&offset={last_offset}"})
        return Reply(
            200,
            {
                "links": links,
                "count": len(page.items),
                "hasMore": has_more,
                "items": page.items,
                "offset": offset,
                "totalResults": page.total,
            },
        )

    # ---- records -------------------------------------------------------------------------
    def _journal(
        self,
        sim: NetSuiteSimulator,
        method: str,
        key: str | None,
        params: dict[str, str],
        body: bytes,
    ) -> Reply:
        store = sim.store
        if method == "GET" and key is not None:
            internal_id = self._resolve(store, key)
            if internal_id is None:
                return _not_found(key)
            expand = params.get("expandSubResources", "").lower() == "true"
            return Reply(200, store.journal_record(internal_id, self._base_url(), expand))
        is_async = "respond-async" in self.headers.get("Prefer", "").lower()
        if method == "POST" and key is None:
            operation = lambda: self._create(store, body)  # noqa: E731
        elif method == "PUT" and key is not None and key.startswith("eid:"):
            operation = lambda: self._upsert(store, key[4:], body)  # noqa: E731
        else:
            return error_reply(405, f"{method} is not supported on this resource.")
        if not is_async:
            reply = operation()
            if reply.status < 300 and sim.faults.lose_this_response():
                raise LostResponse
            return reply
        return self._async(sim, operation)

    def _create(self, store: LedgerStore, body: bytes) -> Reply:
        payload = _json_body(body)
        if not isinstance(payload, dict):
            return error_reply(400, "The request body is not a JSON object.", "INVALID_CONTENT")
        try:
            internal_id = store.create_journal(payload)
        except RecordError as error:
            return error_reply(error.status, error.detail, error.code, error.path)
        return Reply(204, None, {"Location": self._record_url(internal_id)})

    def _upsert(self, store: LedgerStore, external_id: str, body: bytes) -> Reply:
        payload = _json_body(body)
        if not isinstance(payload, dict):
            return error_reply(400, "The request body is not a JSON object.", "INVALID_CONTENT")
        try:
            internal_id, _created = store.upsert_journal(external_id, payload)
        except RecordError as error:
            return error_reply(error.status, error.detail, error.code, error.path)
        return Reply(204, None, {"Location": self._record_url(internal_id)})

    def _resolve(self, store: LedgerStore, key: str) -> int | None:
        if key.startswith("eid:"):
            return store.find_journal_id(urllib.parse.unquote(key[4:]))
        if key.isdigit() and store.journal_exists(int(key)):
            return int(key)
        return None

    # ---- async ---------------------------------------------------------------------------
    def _async(self, sim: NetSuiteSimulator, operation: Callable[[], Reply]) -> Reply:
        key = self.headers.get("X-NetSuite-Idempotency-Key")
        if key:
            with sim.store.lock:
                existing = sim.store.job_for_key(key)
                if existing is None:
                    return self._run_job(sim, key, operation)
            location = self._job_url(existing)
            reply = error_reply(
                400,
                f"The idempotency key {key} was already used by the asynchronous job {location}.",
                "IDEMPOTENCY_ERROR",
            )
            reply.headers["Location"] = location
            return reply
        return self._run_job(sim, None, operation)

    def _run_job(
        self, sim: NetSuiteSimulator, key: str | None, operation: Callable[[], Reply]
    ) -> Reply:
        # The job runs to completion before the 202 is sent; clients still poll as with NetSuite.
        result = operation()
        job_id = sim.store.record_job(
            key,
            result.status,
            result.headers.get("Location"),
            json.dumps(result.body, default=_json_default) if result.body is not None else "",
        )
        if sim.faults.lose_this_response():
            raise LostResponse
        return Reply(202, None, {"Location": self._job_url(job_id)})

    def _job(self, sim: NetSuiteSimulator, job_id: int, task: str | None, result: bool) -> Reply:
        found = sim.store.job(job_id)
        if found is None or (task is not None and task != "1"):
            return error_reply(404, f"Job {job_id} was not found.", "NONEXISTENT_ID")
        status, location, body = found
        job_url = self._job_url(job_id)
        progress = "succeeded" if status < 300 else "failed"
        task_list = self.path.split("?")[0].rstrip("/").endswith("/task")
        if task is None and not task_list:
            return Reply(
                200,
                {
                    "links": [{"rel": "self", "href": job_url}],
                    "id": str(job_id),
                    "completed": True,
                    "progress": progress,
                    "task": {"links": [{"rel": "self", "href": f"{job_url}/task"}]},
                },
            )
        task_url = f"{job_url}/task/1"
        if task_list:
            return Reply(
                200,
                {
                    "links": [{"rel": "self", "href": f"{job_url}/task"}],
                    "count": 1,
                    "hasMore": False,
                    "offset": 0,
                    "totalResults": 1,
                    "items": [{"links": [{"rel": "self", "href": task_url}]}],
                },
            )
        if not result:
            return Reply(
                200,
                {
                    "links": [
                        {"rel": "self", "href": task_url},
                        {"rel": "result", "href": f"{task_url}/result"},
                    ],
                    "id": "1",
                    "completed": True,
                    "progress": progress,
                },
            )
        headers = {"Location": location} if location else {}
        return Reply(status, json.loads(body) if body else None, headers)

    # ---- token endpoint ------------------------------------------------------------------
    def _token(self, sim: NetSuiteSimulator, method: str, body: bytes) -> Reply:
        if method != "POST":
            return error_reply(405, "Use POST.")
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
        token_url = f"http://{self.headers.get('Host', '')}/services/rest/auth/oauth2/v1/token"
        try:
            return Reply(200, sim.auth.issue_token(form, token_url))
        except AuthError as error:
            log.info("netsuite-sim: token refused: %s", error.reason)
            return Reply(400, {"error": "invalid_grant"})

    # ---- plumbing ------------------------------------------------------------------------
    def _base_url(self) -> str:
        return f"http://{self.headers.get('Host', '')}/services/rest"

    def _record_url(self, internal_id: int) -> str:
        return f"{self._base_url()}/record/v1/journalentry/{internal_id}"

    def _job_url(self, job_id: int) -> str:
        return f"{self._base_url()}/async/v1/job/{job_id}"

    def _send(self, reply: Reply) -> None:
        payload = b""
        if reply.body is not None:
            payload = json.dumps(reply.body, default=_json_default).encode()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if payload:
            self.send_header(
                "Content-Type",
                "application/vnd.oracle.resource+json; type=error"
                if reply.status >= 400 and "o:errorDetails" in (reply.body or {})
                else "application/json",
            )
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body or b"null", parse_float=Decimal)
    except ValueError:
        return None


def _not_found(key: str) -> Reply:
    return error_reply(
        404,
        f"The record instance does not exist. Provide a valid record instance ID ({key}).",
        "NONEXISTENT_ID",
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def start_netsuite_simulator(
    world: World | Path | str | None,
    *,
    state_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: str | FaultProfile = "none",
    seed: int = 0,
    concurrency_limit: int = 5,
    credentials: SandboxCredentials = SANDBOX_CREDENTIALS,
    clock: Callable[[], datetime] = _utc_now,
    latency_seconds: float = 0.0,
) -> RunningServer:
    """Serve the ERP side of `world` as NetSuite REST on `host:port` (0 = a free port).

    State lives in `<state_dir>/netsuite.duckdb`: seeded from the world on first start and kept
    across restarts (a restart with an existing state ignores the world's journal files).
    The running server's `.server.simulator` exposes the store and counters to tests.
    """
    if world is not None and not isinstance(world, World):
        world = World.open(world)
    profile = parse_faults(faults)
    store = LedgerStore(Path(state_dir) / STATE_FILE, world, clock)
    if profile.lock_period_on_start and world is not None:
        store.lock_period_covering(date.fromisoformat(world.manifest["start"]))
    simulator = NetSuiteSimulator(
        store=store,
        credentials=credentials,
        faults=profile,
        seed=seed,
        concurrency_limit=concurrency_limit,
        clock=clock,
        latency_seconds=latency_seconds,
    )

    class _Server(NetSuiteHTTPServer):
        pass

    _Server.simulator = simulator
    running = serve_in_thread(
        NetSuiteHandler, host=host, port=port, server_class=_Server, name="netsuite-simulator"
    )
    original_stop = running.stop

    def stop() -> None:
        original_stop()
        store.close()

    running.stop = stop  # type: ignore[method-assign]
    return running
