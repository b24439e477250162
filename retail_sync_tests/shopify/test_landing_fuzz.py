"""Fuzzing bulk JSONL landing: files of valid order lines mixed with garbled ones (truncated,
random bytes, lone surrogates, raw control characters, bytes that are not UTF-8, values of the
wrong shape, deep nesting, lines that are not objects). Every run lands every good line, puts
every bad line in quarantine with a reason and its raw text, and raises nothing; the paged
writer, fed nodes of any shape, raises nothing that is not ours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retail_sync.errors import RetailSyncError
from retail_sync.shopify.client import ShopifyClient
from retail_sync.shopify.extract import _land_file, _write_latest_orders
from retail_sync.shopify.tables import ORDER_LINE_COLUMNS, ORDER_LINE_ITEMS, ORDERS
from retail_sync_tests.shopify.test_landing_hardening import WINDOW, line_item, order

FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Text a record may legitimately hold: any code point but surrogates (UTF-8 cannot hold them).
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
json_scalars = st.none() | st.booleans() | st.integers() | texts
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=8,
)


@st.composite
def good_lines(draw: st.DrawFn, number: int) -> tuple[bytes, dict[str, Any]]:
    """A valid order or line item, its free text random, written ASCII-escaped or as UTF-8."""
    if draw(st.booleans()):
        record = order(number) | {"name": draw(texts)}
    else:
        record = line_item(number, number, sku=draw(texts)) | {"title": draw(texts)}
    if draw(st.integers(0, 9)) == 0:
        # Nesting deeper than Python's parser goes, in a key nothing reads: DuckDB reads it.
        record["ignored"] = "DEEP"
    line = json.dumps(record, ensure_ascii=draw(st.booleans()), separators=(",", ":")).encode()
    return line.replace(b'"DEEP"', b"[" * 1500 + b"]" * 1500), record


def _string_slot(line: bytes) -> int:
    """Where a string value of the line starts (just after its opening quote)."""
    return line.index(b'":"') + 3


@st.composite
def bad_lines(draw: st.DrawFn, number: int) -> bytes:
    """A line no reader may land: each kind is one DuckDB refuses whatever else it holds."""
    line, record = draw(good_lines(number))
    kind = draw(st.sampled_from(range(9)))
    if kind == 0:  # truncated
        return line[: draw(st.integers(1, len(line) - 1))]
    if kind == 1:  # garbled bytes (a leading `}` is never JSON)
        return b"}" + draw(st.binary(max_size=40)).replace(b"\n", b" ")
    if kind == 2:  # a lone surrogate, written as JSON allows (an escape)
        at = _string_slot(line)
        surrogate = draw(st.sampled_from([b"\\ud800", b"\\udbff", b"\\udc00", b"\\uDFFF"]))
        return line[:at] + surrogate + b'"' + line[at:].split(b'"', 1)[1]
    if kind == 3:  # a raw control character inside a string
        at = _string_slot(line)
        control = bytes([draw(st.sampled_from([c for c in range(32) if c != 10]))])
        return line[:at] + control + line[at:]
    if kind == 4:  # bytes that are not UTF-8 inside a string
        at = _string_slot(line)
        invalid = draw(st.sampled_from([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\x80"]))
        return line[:at] + invalid + line[at:]
    if kind == 5:  # not an object at all
        value = draw(json_values.filter(lambda v: v is not None and not isinstance(v, dict)))
        return json.dumps(value).encode()
    # A value of the wrong shape where an object or a list belongs (deeply nested or not).
    wrong = draw(
        json_scalars.filter(lambda v: v is not None)
        | st.lists(json_scalars, max_size=2)
        | st.just("NESTED")
    )
    slot = "refunds" if kind == 8 else "totalPriceSet" if "name" in record else "taxLines"
    if slot in ("refunds", "taxLines") and isinstance(wrong, list):
        wrong = {"not": "a list"}
    record = record | {slot: wrong}
    written = json.dumps(record).encode()
    return written.replace(b'"NESTED"', b"[" * 1200 + b"]" * 1200)


@st.composite
def files(draw: st.DrawFn) -> tuple[list[bytes], set[int], set[int], list[bytes]]:
    """Lines in a random order; the good order and line-item ids; the bad lines."""
    count = draw(st.integers(1, 16))
    lines: list[bytes] = []
    orders: set[int] = set()
    items: set[int] = set()
    bad: list[bytes] = []
    for number in range(1, count + 1):
        line, record = draw(good_lines(number))
        (orders if "name" in record else items).add(number)
        lines.append(line)
        if draw(st.integers(0, 4)) == 0:
            lines.append(line)  # an identical copy: merged, not quarantined
    for number in range(1, draw(st.integers(1, 12)) + 1):
        bad.append(draw(bad_lines(1000 + number)))
    lines += bad
    return draw(st.permutations(lines)), orders, items, bad


def _landed(out: Path, table: str) -> list[dict[str, Any]]:
    return [
        row
        for file in sorted((out / table).rglob("*.parquet"))
        for row in pq.read_table(file).to_pylist()
    ]


CASES = {"bulk": 0, "paged": 0}


@FUZZ
@given(files())
def test_every_good_line_lands_and_every_bad_line_is_quarantined(
    tmp_path_factory: Any, drawn: tuple[list[bytes], set[int], set[int], list[bytes]]
) -> None:
    lines, orders, items, bad = drawn
    CASES["bulk"] += 1
    work = tmp_path_factory.mktemp("fuzz-bulk")
    path = work / "lines.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    out = work / "out"
    # Orders and line items only: the lines are read as the whole orders family reads them (where
    # a bad line could fail a file); judging three more entities would triple each example's time.
    _land_file(
        path,
        ORDER_LINE_COLUMNS,
        (ORDERS, ORDER_LINE_ITEMS),
        shop_id="s",
        window=WINDOW,
        partition_dir_for=lambda table: out / table,
        family="orders",
        work_dir=work,
    )
    assert sorted(row["order_id"] for row in _landed(out, "orders")) == sorted(orders)
    landed_items = sorted(row["line_item_id"] for row in _landed(out, "order_line_items"))
    assert landed_items == sorted(items)
    quarantined = _landed(out, "quarantine")
    assert sorted(row["raw_payload"] for row in quarantined) == sorted(
        line.decode("utf-8", "backslashreplace") for line in bad
    )
    assert all(row["reason"].startswith("unreadable line: ") for row in quarantined)


shapes = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.fixed_dictionaries(
            {},
            optional={
                "id": st.just("gid://shopify/Order/1") | children,
                "updatedAt": st.just("2026-10-01T05:00:00Z") | children,
                "lineItems": children,
                "refunds": children,
                "transactions": children,
                "nodes": children,
                "pageInfo": children,
                "refundLineItems": children,
                "refundShippingLines": children,
            },
        )
    ),
    max_leaves=12,
)


class _AnsweringClient:
    """Our client's interface, answering each nested read with a drawn body of any shape."""

    last_request_id = None
    last_cost = None

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def execute(self, query: str, variables: dict[str, Any]) -> Any:
        return self.data.draw(st.fixed_dictionaries({"order": shapes}) | shapes)


@settings(FUZZ, max_examples=150)
@given(st.lists(st.lists(shapes, max_size=4), max_size=3), st.data())
def test_the_paged_writer_takes_nodes_of_any_shape(
    tmp_path_factory: Any, pages: list, data: st.DataObject
) -> None:
    CASES["paged"] += 1
    path = tmp_path_factory.mktemp("fuzz-paged") / "orders.jsonl"
    client = cast(ShopifyClient, _AnsweringClient(data))
    try:
        unreadable = _write_latest_orders(client, pages, path)
    except RetailSyncError:
        return
    for line in path.read_bytes().splitlines():
        json.loads(line)
    assert all(entry.reason and entry.raw for entry in unreadable)


def test_fuzz_cases_ran() -> None:
    # Runs after the two fuzz tests in file order: both ran their examples.
    assert CASES["bulk"] >= FUZZ.max_examples
    assert CASES["paged"] >= 150
