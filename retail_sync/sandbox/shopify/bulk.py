"""Bulk query operations: validation, a background worker per operation, JSONL results.

The worker executes the bulk query one page (250 root objects) at a time against the same schema
and resolvers as ordinary requests, flattens each root into one JSONL line and every node of a
nested connection into its own line carrying `__parentId`. With `groupObjects: false` (the
2026-01 default) a page's roots are written first and their children after them, grouped by
connection, so a child never directly follows its parent; `groupObjects: true` writes each root
followed by its children.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    execute_sync,
    get_named_type,
    parse,
    validate,
)

from retail_sync.sandbox.shopify.resolvers import QueryRoot, RequestContext, Views, gid
from retail_sync.sandbox.shopify.schema import admin_schema

if TYPE_CHECKING:
    from retail_sync.sandbox.shopify.runtime import ShopRuntime

MAX_CONCURRENT = 5
MAX_CONNECTIONS = 5
MAX_NESTING = 2
TERMINAL = {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class BulkOperationView:
    """A bulk operation as GraphQL sees it (and its worker's state)."""

    number: int
    query: str
    group_objects: bool
    status: str = "CREATED"
    errorCode: str | None = None
    createdAt: str = field(default_factory=_now)
    completedAt: str | None = None
    objectCount: str = "0"
    rootObjectCount: str = "0"
    fileSize: str | None = None
    url: str | None = None
    partialDataUrl: str | None = None
    type: str = "QUERY"
    typename: str = "BulkOperation"
    cancel_requested: threading.Event = field(default_factory=threading.Event)

    @property
    def id(self) -> str:
        return gid("BulkOperation", self.number)


def _connection_shape(operation: OperationDefinitionNode) -> tuple[list[str], int, int]:
    """Problems with a bulk query's shape, its connection count and deepest nesting."""
    schema = admin_schema()
    problems: list[str] = []
    roots = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
    if len(roots) != 1:
        problems.append("Bulk queries must contain exactly one top-level field.")
        return problems, 0, 0
    count = 0
    deepest = 0

    def walk(node: FieldNode, parent: Any, depth: int) -> None:
        nonlocal count, deepest
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(node.name.value)
        if definition is None:
            return
        named = get_named_type(definition.type)
        child_depth = depth
        if named.name.endswith("Connection"):
            count += 1
            child_depth = depth + 1
            deepest = max(deepest, child_depth)
            if depth >= 1 and not _selects_id(parent_selection.get(id(node))):
                problems.append(f"The parent of connection '{node.name.value}' must select id.")
        for child in node.selection_set.selections if node.selection_set else []:
            if isinstance(child, FieldNode):
                parent_selection[id(child)] = node
                walk(child, named, child_depth)

    parent_selection: dict[int, Any] = {}
    root_type = schema.query_type
    walk(roots[0], root_type, 0)
    root_field = root_type.fields.get(roots[0].name.value) if root_type else None
    if root_field is None or not get_named_type(root_field.type).name.endswith("Connection"):
        problems.append("Bulk queries must start with a connection field.")
    if count > MAX_CONNECTIONS:
        problems.append(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections.")
    if deepest > MAX_NESTING + 1:
        problems.append(
            f"Bulk queries cannot contain connections nested deeper than {MAX_NESTING} levels."
        )
    return problems, count, deepest


def _selects_id(node: Any) -> bool:
    """Whether the object holding a nested connection selects `id` (needed for `__parentId`)."""
    if node is None or node.selection_set is None:
        return False
    names = {s.name.value for s in node.selection_set.selections if isinstance(s, FieldNode)}
    return "id" in names


def _is_connection_value(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and set(value) <= {"edges", "nodes", "pageInfo"}
        and (isinstance(value.get("edges"), list) or isinstance(value.get("nodes"), list))
    )


def _connection_nodes(value: dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(value.get("nodes"), list):
        return [n for n in value["nodes"] if isinstance(n, dict)]
    return [e["node"] for e in value.get("edges") or [] if isinstance(e, dict) and e.get("node")]


def flatten(
    node: dict[str, Any],
    parent_id: str | None,
    children: dict[str, list[dict[str, Any]]],
    path: str,
) -> dict[str, Any]:
    """One JSONL line for `node`; its connections' nodes go to `children` (by path).

    Connections found inside plain objects or lists (e.g. `refunds { refundLineItems
    refundShippingLines }`) are pulled out too, their `__parentId` being the nearest enclosing
    object that has an `id`.
    """
    own_id = node.get("id")
    line = _strip(node, own_id if own_id is not None else parent_id, children, path)
    if parent_id is not None:
        line["__parentId"] = parent_id
    return line


def _strip(
    value: dict[str, Any],
    holder_id: Any,
    children: dict[str, list[dict[str, Any]]],
    path: str,
) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, item in value.items():
        child_path = f"{path}.{key}"
        if _is_connection_value(item):
            for child in _connection_nodes(item):
                children.setdefault(child_path, []).append(
                    flatten(child, holder_id, children, child_path)
                )
        elif isinstance(item, dict):
            kept[key] = _strip(item, item.get("id", holder_id), children, child_path)
        elif isinstance(item, list):
            kept[key] = [
                _strip(element, element.get("id", holder_id), children, child_path)
                if isinstance(element, dict)
                else element
                for element in item
            ]
        else:
            kept[key] = item
    return kept


class BulkManager:
    """The bulk operations of one shop."""

    def __init__(
        self,
        runtime: ShopRuntime,
        out_dir: Path,
        on_finish: Callable[[ShopRuntime, BulkOperationView], None],
        page_delay: float = 0.0,
    ) -> None:
        self.runtime = runtime
        self.out_dir = out_dir
        self.on_finish = on_finish
        self.page_delay = page_delay
        self._operations: dict[int, BulkOperationView] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _next_number(self) -> int:
        return self.runtime.next_bulk_number()

    def view(self, number: int) -> BulkOperationView | None:
        with self._lock:
            return self._operations.get(number)

    def current_view(self) -> BulkOperationView | None:
        with self._lock:
            if not self._operations:
                return None
            return self._operations[max(self._operations)]

    def submit(self, query: str, *, group_objects: bool, base_url: str) -> dict[str, Any]:
        """Validate and start a bulk query; answer the mutation payload."""
        try:
            document = parse(query)
        except GraphQLError as error:
            return _user_error(f"Invalid bulk query: {error.message}", "INVALID")
        errors = validate(admin_schema(), document)
        if errors:
            return _user_error(f"Invalid bulk query: {errors[0].message}", "INVALID")
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1 or operations[0].operation.value != "query":
            return _user_error("Bulk queries must contain exactly one query operation.", "INVALID")
        problems, _, _ = _connection_shape(operations[0])
        if problems:
            return _user_error(problems[0], "INVALID")
        with self._lock:
            running = [op for op in self._operations.values() if op.status not in TERMINAL]
            if len(running) >= MAX_CONCURRENT:
                return _user_error(
                    f"A shop can run at most {MAX_CONCURRENT} bulk query operations at once.",
                    "LIMIT_REACHED",
                )
            operation = BulkOperationView(
                number=self._next_number(), query=query, group_objects=group_objects
            )
            self._operations[operation.number] = operation
        thread = threading.Thread(
            target=self._run,
            args=(operation, document, base_url),
            name=f"bulk-{operation.number}",
            daemon=True,
        )
        self._threads.append(thread)
        thread.start()
        return {"bulkOperation": operation, "userErrors": []}

    def cancel(self, number: int) -> dict[str, Any]:
        operation = self.view(number)
        if operation is None:
            return {
                "bulkOperation": None,
                "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}],
            }
        if operation.status in TERMINAL:
            return {
                "bulkOperation": operation,
                "userErrors": [
                    {
                        "field": None,
                        "message": "A bulk operation cannot be canceled when it is "
                        f"{operation.status.lower()}",
                    }
                ],
            }
        operation.status = "CANCELING"
        operation.cancel_requested.set()
        return {"bulkOperation": operation, "userErrors": []}

    def result_path(self, number: int, partial: bool = False) -> Path:
        suffix = "-partial" if partial else ""
        return self.out_dir / f"{number}{suffix}.jsonl"

    def _run(self, operation: BulkOperationView, document: Any, base_url: str) -> None:
        runtime = self.runtime
        faults = runtime.faults
        profile = faults.profile
        fails = profile.bulk_fail_rate > 0 and (
            faults.rng_chance("bulk-fail", f"{runtime.data.shop_id}|{operation.number}")
            < profile.bulk_fail_rate
        )
        path = self.result_path(operation.number)
        url_base = f"{base_url}/sandbox/bulk/{runtime.data.shop_id}/"
        operation.status = "RUNNING"
        # The terminal status is published last, once every field it comes with is set: a client
        # polling the operation never sees FAILED without its partial data URL.
        status, error_code = "RUNNING", None
        objects = roots = 0
        after: str | None = None
        lines_written = 0
        try:
            with path.open("w", encoding="utf-8") as out:
                while True:
                    if operation.cancel_requested.is_set():
                        status = "CANCELED"
                        break
                    ctx = RequestContext(
                        runtime=runtime, base_url=base_url, bulk=True, bulk_after=after
                    )
                    result = execute_sync(
                        admin_schema(),
                        document,
                        root_value=QueryRoot(Views(ctx)),
                        context_value=ctx,
                    )
                    if result.errors:
                        raise RuntimeError(result.errors[0].message)
                    lines = self._page_lines(result.data or {}, operation.group_objects)
                    roots += sum(1 for line in lines if "__parentId" not in line)
                    if fails:
                        lines = lines[: max(1, len(lines) // 2)]
                    for number, line in enumerate(lines):
                        out.write(json.dumps(line, separators=(",", ":")) + "\n")
                        lines_written += 1
                        rate = profile.duplicate_rate / 6
                        if (
                            rate
                            and faults.rng_chance(
                                "bulk-dup", f"{operation.number}|{lines_written}|{number}"
                            )
                            < rate
                        ):
                            out.write(json.dumps(line, separators=(",", ":")) + "\n")
                            lines_written += 1
                    out.flush()
                    objects = lines_written
                    operation.objectCount = str(objects)
                    operation.rootObjectCount = str(roots)
                    if fails:
                        status, error_code = "FAILED", "INTERNAL_SERVER_ERROR"
                        break
                    if profile.bulk_stall:
                        operation.cancel_requested.wait()
                        continue
                    page = ctx.bulk_page
                    if not page.get("has_next"):
                        status = "COMPLETED"
                        break
                    after = page.get("end_cursor")
                    if self.page_delay:
                        time.sleep(self.page_delay)
        except Exception:  # a resolver blew up: Shopify reports INTERNAL_SERVER_ERROR
            status, error_code = "FAILED", "INTERNAL_SERVER_ERROR"
        operation.completedAt = _now()
        operation.errorCode = error_code
        if status == "COMPLETED":
            operation.fileSize = str(path.stat().st_size)
            operation.url = url_base + path.name if objects else None
        elif status == "FAILED" and objects:
            partial = self.result_path(operation.number, partial=True)
            path.replace(partial)
            operation.partialDataUrl = url_base + partial.name
        operation.status = status
        self.on_finish(runtime, operation)

    def _page_lines(self, data: dict[str, Any], group_objects: bool) -> list[dict[str, Any]]:
        ((root_key, connection),) = data.items()
        lines: list[dict[str, Any]] = []
        grouped: dict[str, list[dict[str, Any]]] = {}
        for node in _connection_nodes(connection or {}):
            children: dict[str, list[dict[str, Any]]] = {}
            lines.append(flatten(node, None, children, root_key))
            if group_objects:
                for path in sorted(children):
                    lines.extend(children[path])
            else:
                for path, items in children.items():
                    grouped.setdefault(path, []).extend(items)
        for path in sorted(grouped):
            lines.extend(grouped[path])
        return lines

    def join(self, timeout: float = 5.0) -> None:
        for operation in list(self._operations.values()):
            operation.cancel_requested.set()
        for thread in self._threads:
            thread.join(timeout)


def _user_error(message: str, code: str) -> dict[str, Any]:
    return {
        "bulkOperation": None,
        "userErrors": [{"field": ["query"], "message": message, "code": code}],
    }
