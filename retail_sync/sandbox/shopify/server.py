"""The HTTP face of the Shopify simulator: routing, auth, faults, cost, throttling, execution.

Routes (see docs/sandbox-shopify.md):
- `POST /admin/api/{version}/graphql.json` — the shop is the one whose access token is sent.
- `POST /shops/{shop_id}/admin/api/{version}/graphql.json` — the shop is named in the path and the
  token must be that shop's.
- `GET /sandbox/bulk/{shop_id}/{file}.jsonl` — bulk operation results (the `url` Shopify signs).
- `POST /sandbox/webhooks/trigger` — deliver `orders/create`, `orders/updated` or `refunds/create`
  for given orders to the configured webhook URL.
- `GET /sandbox/health`.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationType,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
)

from retail_sync.sandbox.serving import RunningServer, SandboxHTTPServer, serve_in_thread
from retail_sync.sandbox.shopify.bulk import BulkManager, BulkOperationView
from retail_sync.sandbox.shopify.cost import MAX_QUERY_COST, CostCalculator
from retail_sync.sandbox.shopify.faults import Faults, get_profile
from retail_sync.sandbox.shopify.resolvers import MutationRoot, QueryRoot, RequestContext, Views
from retail_sync.sandbox.shopify.runtime import ShopRuntime
from retail_sync.sandbox.shopify.schema import admin_schema
from retail_sync.sandbox.shopify.store import load_shop
from retail_sync.sandbox.shopify.throttle import Clock, LeakyBucket
from retail_sync.sandbox.shopify.webhooks import (
    WebhookDispatcher,
    bulk_finish_payload,
    order_payload,
    refund_payload,
)
from retail_sync.sandbox.world import World

DEFAULT_API_VERSION = "2026-01"
MINIMUM_API_VERSION = "2026-01"
_VERSION = re.compile(r"^(\d{4})-(01|04|07|10)$")
_GRAPHQL_PATH = re.compile(
    r"^(?:/shops/(?P<shop>[A-Za-z0-9_.-]+))?/admin/api/(?P<version>[^/]+)/graphql\.json$"
)
_BULK_PATH = re.compile(
    r"^/sandbox/bulk/(?P<shop>[A-Za-z0-9_.-]+)/(?P<file>\d+(?:-partial)?\.jsonl)$"
)
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"  # noqa: S105 (an error message)


def supported_version(version: str) -> bool:
    """Quarterly versions from 2026-01 on (string order is date order for `YYYY-MM`)."""
    return bool(_VERSION.match(version)) and version >= MINIMUM_API_VERSION


@dataclass
class SimulatorState:
    """Everything the server's handler threads share."""

    world: World
    runtimes: dict[str, ShopRuntime]
    webhooks: WebhookDispatcher
    bulk_root: Path
    by_token: dict[str, ShopRuntime] = field(default_factory=dict)

    def close(self) -> None:
        for runtime in self.runtimes.values():
            runtime.bulk.join(timeout=2.0)
            runtime.data.close()
        shutil.rmtree(self.bulk_root, ignore_errors=True)


class ShopifySimulatorServer(SandboxHTTPServer):
    """A sandbox server carrying the simulator's state."""

    state: SimulatorState

    def server_close(self) -> None:
        super().server_close()
        state = getattr(self, "state", None)
        if state is not None:
            state.close()


def build_state(
    world: World | Path | str,
    *,
    faults: str = "none",
    seed: int = 0,
    webhook_url: str | None = None,
    clock: Clock | None = None,
    api_version: str = DEFAULT_API_VERSION,
    bulk_page_delay: float = 0.0,
    world_now: Callable[[], datetime | None] | None = None,
) -> SimulatorState:
    """Index every shop of `world` and wire its runtime."""
    if not isinstance(world, World):
        world = World.open(world)
    profile = get_profile(faults)
    bound = Faults(profile, seed)
    bulk_root = Path(tempfile.mkdtemp(prefix="shopify-bulk-"))
    webhooks = WebhookDispatcher(webhook_url, bound, api_version)
    state = SimulatorState(world=world, runtimes={}, webhooks=webhooks, bulk_root=bulk_root)
    for shop in world.shops:
        data = load_shop(world, shop)
        if world_now is not None:
            data.world_now = world_now
        bucket_kwargs: dict[str, Any] = {
            "bucket_scale": profile.bucket_scale,
            "neighbour_drain": profile.neighbour_drain,
        }
        if clock is not None:
            bucket_kwargs["clock"] = clock
        bucket = LeakyBucket.for_plan(str(shop.get("plan", "STANDARD")), **bucket_kwargs)
        shop_dir = bulk_root / data.shop_id
        shop_dir.mkdir()
        runtime = ShopRuntime(
            data=data, bucket=bucket, faults=Faults(profile, seed), bulk_dir=shop_dir
        )
        runtime.bulk = BulkManager(
            runtime, shop_dir, on_finish=_bulk_finished(state), page_delay=bulk_page_delay
        )
        state.runtimes[data.shop_id] = runtime
        state.by_token[str(shop["access_token"])] = runtime
    return state


def _bulk_finished(state: SimulatorState) -> Any:
    def notify(runtime: ShopRuntime, operation: BulkOperationView) -> None:
        state.webhooks.deliver(
            runtime.data.shop, "bulk_operations/finish", bulk_finish_payload(operation)
        )

    return notify


def _error(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extra}}


@functools.lru_cache(maxsize=512)
def parsed_query(query: str) -> tuple[DocumentNode | None, tuple[Any, ...]]:
    """The query's document, or None and its syntax or validation errors (as Shopify renders
    them). A client sends the same few query texts over and over, so each is parsed and
    validated once; the document is never modified by execution."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return None, (error.formatted,)
    problems = validate(admin_schema(), document)
    if problems:
        return None, tuple(problem.formatted for problem in problems)
    return document, ()


def run_graphql(
    runtime: ShopRuntime, body: dict[str, Any], base_url: str
) -> tuple[int, dict[str, Any]]:
    """Parse, validate, cost, throttle and execute one request (HTTP status, JSON body)."""
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        return 400, {"errors": {"query": "Required parameter missing or invalid"}}
    variables = body.get("variables") or {}
    operation_name = body.get("operationName")
    schema = admin_schema()
    document, problems = parsed_query(query)
    if document is None:
        return 200, {"errors": [dict(problem) for problem in problems]}
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 200, {
            "errors": [_error("Could not determine which operation to run", "BAD_REQUEST")]
        }
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    calculator = CostCalculator(schema, operation, fragments, variables)
    requested = calculator.requested()
    bucket = runtime.bucket

    def cost(actual: int | None) -> dict[str, Any]:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": bucket.status(),
        }

    if requested > MAX_QUERY_COST:
        message = (
            f"Query cost is {requested}, which exceeds the single query max cost limit "
            f"({MAX_QUERY_COST}).\n\nSee https://shopify.dev/concepts/about-apis/"
            "rate-limits for more information on how the cost of a query is calculated."
        )
        return 200, {
            "errors": [
                _error(message, "MAX_COST_EXCEEDED", cost=requested, maxCost=MAX_QUERY_COST)
            ],
            "extensions": {"cost": cost(None)},
        }
    if not bucket.try_take(requested):
        return 200, {
            "errors": [_error("Throttled", "THROTTLED")],
            "extensions": {"cost": cost(None)},
        }
    ctx = RequestContext(runtime=runtime, base_url=base_url)
    views = Views(ctx)
    root: Any = (
        MutationRoot(views) if operation.operation == OperationType.MUTATION else QueryRoot(views)
    )
    result = execute_sync(
        schema,
        document,
        root_value=root,
        context_value=ctx,
        variable_values=variables,
        operation_name=operation_name,
    )
    actual = calculator.actual(result.data)
    bucket.give_back(requested - actual)
    response: dict[str, Any] = {}
    if result.errors:
        response["errors"] = [error.formatted for error in result.errors]
    response["data"] = result.data
    extensions: dict[str, Any] = {"cost": cost(actual)}
    if ctx.search:
        extensions["search"] = ctx.search
    response["extensions"] = extensions
    return 200, response


class ShopifyHandler(BaseHTTPRequestHandler):
    """Routes one request; the state lives on the server object."""

    server: ShopifySimulatorServer
    protocol_version = "HTTP/1.1"
    server_version = "ShopifySandbox/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and `sandbox serve` do not want a line per request."""

    @property
    def state(self) -> SimulatorState:
        return self.server.state

    def _base_url(self) -> str:
        host = self.headers.get("Host")
        if not host:
            address = self.server.server_address
            name = address[0] if isinstance(address[0], str) else address[0].decode()
            host = f"{name}:{address[1]}"
        return f"http://{host}"

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        content_type = "application/json; charset=utf-8"
        for key, value in (headers or {}).items():
            if key.lower() == "content-type":
                content_type = value
            else:
                self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _runtime_for(self, shop_id: str | None) -> ShopRuntime | None:
        token = self.headers.get("X-Shopify-Access-Token") or ""
        runtime = self.state.by_token.get(token)
        if runtime is None or (shop_id is not None and runtime.data.shop_id != shop_id):
            return None
        return runtime

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/sandbox/health":
            self._send(200, {"ok": True, "shops": sorted(self.state.runtimes)})
            return
        match = _BULK_PATH.match(path)
        runtime = self.state.runtimes.get(match["shop"]) if match else None
        if match is None or runtime is None:
            self._send(404, {"errors": "Not Found"})
            return
        file = runtime.bulk_dir / match["file"]
        if not file.is_file():
            self._send(404, {"errors": "Not Found"})
            return
        self._send(200, file.read_bytes(), {"Content-Type": "application/jsonl"})

    def do_POST(self) -> None:
        raw = self._read_body()
        path = self.path.split("?", 1)[0]
        if path == "/sandbox/webhooks/trigger":
            self._trigger_webhooks(raw)
            return
        match = _GRAPHQL_PATH.match(path)
        if match is None:
            self._send(404, {"errors": "Not Found"})
            return
        if not supported_version(match["version"]):
            self._send(404, {"errors": "Not Found"})
            return
        runtime = self._runtime_for(match["shop"])
        if runtime is None:
            self._send(401, {"errors": INVALID_TOKEN})
            return
        if self._inject_http_fault(runtime):
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send(400, {"errors": {"query": "Required parameter missing or invalid"}})
            return
        if not isinstance(body, dict):
            self._send(400, {"errors": {"query": "Required parameter missing or invalid"}})
            return
        status, payload = run_graphql(runtime, body, self._base_url())
        self._send(status, payload)

    def _inject_http_fault(self, runtime: ShopRuntime) -> bool:
        """Latency, then maybe a 5xx or 429, decided from the shop's request counter."""
        faults = runtime.faults
        profile = faults.profile
        with runtime.lock:
            count = faults.next_count("request")
        key = f"{runtime.data.shop_id}|{count}"
        low, high = profile.latency_ms
        if high:
            delay = low + (high - low) * faults.rng_chance("latency", key)
            time.sleep(delay / 1000)
        roll = faults.rng_chance("http-fault", key)
        if roll < profile.error_5xx_rate:
            status = (500, 502, 503)[int(faults.rng_chance("5xx-kind", key) * 3)]
            messages = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Unavailable Shop"}
            self._send(status, {"errors": messages[status]})
            return True
        if roll < profile.error_5xx_rate + profile.error_429_rate:
            self._send(
                429,
                {
                    "errors": "Exceeded 2 calls per second for api client. Reduce "
                    "request rates to resume uninterrupted service."
                },
                {"Retry-After": "1.0"},
            )
            return True
        return False

    def _trigger_webhooks(self, raw: bytes) -> None:
        runtime = self._runtime_for(None)
        if runtime is None:
            self._send(401, {"errors": INVALID_TOKEN})
            return
        try:
            request = json.loads(raw or b"{}")
            topic = request["topic"]
            order_ids = [int(i) for i in request["order_ids"]]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            self._send(400, {"errors": 'expected {"topic": ..., "order_ids": [...]}'})
            return
        if topic not in {"orders/create", "orders/updated", "refunds/create"}:
            self._send(400, {"errors": f"unsupported topic {topic!r}"})
            return
        deliveries = []
        shop = runtime.data.shop
        for order_id in order_ids:
            order = runtime.data.orders.get(order_id)
            if order is None:
                self._send(404, {"errors": f"no order {order_id}"})
                return
            if topic == "refunds/create":
                for refund in order.get("refunds") or []:
                    deliveries += self.state.webhooks.deliver(
                        shop, topic, refund_payload(order, refund)
                    )
            else:
                deliveries += self.state.webhooks.deliver(shop, topic, order_payload(order))
        self._send(200, {"deliveries": [d.as_dict() for d in deliveries]})


def start_shopify_simulator(
    world: World | Path | str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: str = "none",
    webhook_url: str | None = None,
    seed: int = 0,
    clock: Clock | None = None,
    api_version: str = DEFAULT_API_VERSION,
    bulk_page_delay: float = 0.0,
    world_now: Callable[[], datetime | None] | None = None,
) -> RunningServer:
    """Index `world` and serve its shops' Admin GraphQL API on `host:port` in a thread.

    `world_now` sets the simulator's present inside the world (inventory levels are answered as
    they stood then, like Shopify answers today's); by default it is the latest recorded state.
    """
    state = build_state(
        world,
        faults=faults,
        seed=seed,
        webhook_url=webhook_url,
        clock=clock,
        api_version=api_version,
        bulk_page_delay=bulk_page_delay,
        world_now=world_now,
    )

    class _Server(ShopifySimulatorServer):
        pass

    _Server.state = state
    return serve_in_thread(
        ShopifyHandler, host=host, port=port, server_class=_Server, name="shopify-simulator"
    )


__all__ = [
    "DEFAULT_API_VERSION",
    "ShopifySimulatorServer",
    "SimulatorState",
    "build_state",
    "run_graphql",
    "start_shopify_simulator",
    "supported_version",
]
