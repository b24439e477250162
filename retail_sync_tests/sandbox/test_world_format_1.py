"""Worlds of format version 1 (written by hand before version 2) are read faithfully.

Version 1 has no `counter_account` column, no `truth/discrepancy_lines.csv`, and no refund has
`refund_shipping_lines`. Such a world validates; its truth reads with an empty counter account and
no lines; and a refund of shipping without `refund_shipping_lines` is served by the Shopify
simulator as one RefundShippingLine derived from the refund's amounts (docs/sandbox.md): subtotal
= `shipping`, tax = `total_tax` − Σ its lines' `total_tax` (never below 0.00), of the order's first
shipping line, with the refund's id. `refund_shipping_lines: []` still means none.

The v1 worlds are copies of the hand-written `clean_partial_refund` (its refund returns 6.00 of
the order's one shipping line, untaxed, with 45.00 of goods and 3.60 of goods tax): as written,
and with the refunded shipping booked to sales tax in the ERP (a truth row written here by hand).
Without the derived line the rules would expect the 6.00 on 4090 (unallocated), so the clean copy
would report a difference and the misbooked one another kind than its truth's.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from retail_sync.sandbox.serving import RunningServer
from retail_sync.sandbox.shopify import start_shopify_simulator
from retail_sync.sandbox.validate import validate_world
from retail_sync.sandbox.world import World, WorldFormatError
from retail_sync_tests.sandbox.shopify_fixtures import bulk_lines, graphql, make_world
from retail_sync_tests.sandbox.test_generate_truth import (
    assert_truth_is_exact,
    truth_lines,
    truth_rows,
    without_counter_account,
)

RECONCILE_WORLDS = Path(__file__).parents[1] / "reconcile" / "worlds"
PARTIAL_REFUND = RECONCILE_WORLDS / "clean_partial_refund"
TINY = Path(__file__).parent / "worlds" / "tiny"
SHOP = "north-outfitters"
ORDERS = Path("shopify") / SHOP / "orders.jsonl"
REFUND_ID = 3000001
ZERO = Decimal("0.00")
REFUND_JOURNAL = "90003"
SHIPPING_ACCOUNT_ID, TAX_ACCOUNT_ID = "160", "130"  # 4100 and 2200 in the world's chart
# The misbooked world's truth, as a version-1 truth writes it (no counter_account column).
MISPOSTED_TRUTH = (
    "v1-1,refund_misposted,refunds,north-outfitters,shopify:refund:3000001,"
    "shopify-north-outfitters-refund-3000001,4100,6.00,USD,2026-10-21,"
    "refunded shipping booked to sales tax"
)


def _rewrite_jsonl(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for record in records:
        change(record)
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


def format_1_copy(source: Path, target: Path) -> Path:
    """`source` as a version-1 world: `format_version` 1, no refund's `refund_shipping_lines`, no
    `counter_account` column, no lines file."""
    shutil.copytree(source, target)
    manifest = json.loads((target / "world.json").read_text())
    (target / "world.json").write_text(json.dumps(manifest | {"format_version": 1}))
    for orders in (target / "shopify").glob("*/orders.jsonl"):

        def drop(order: dict[str, Any]) -> None:
            for refund in order["refunds"]:
                refund.pop("refund_shipping_lines", None)

        _rewrite_jsonl(orders, drop)
    truth = target / "truth" / "discrepancies.csv"
    with truth.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("counter_account")
    with truth.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(
            row[:column] + row[column + 1 :] for row in rows
        )
    (target / "truth" / "discrepancy_lines.csv").unlink()
    return target


def _misposted_copy(target: Path) -> Path:
    """The v1 copy with the refund's shipping booked to 2200 instead of 4100, and its truth."""
    root = format_1_copy(PARTIAL_REFUND, target)

    def mispost(entry: dict[str, Any]) -> None:
        if entry["id"] == REFUND_JOURNAL:
            (line,) = [line for line in entry["lines"] if line["account"] == SHIPPING_ACCOUNT_ID]
            assert line["debit"] == "6.00"
            line["account"] = TAX_ACCOUNT_ID

    _rewrite_jsonl(root / "erp" / "journal_entries.jsonl", mispost)
    with (root / "truth" / "discrepancies.csv").open("a", encoding="utf-8") as handle:
        handle.write(MISPOSTED_TRUTH + "\n")
    return root


# -- reading and validating -----------------------------------------------------------------------


def test_a_version_1_copy_reads_and_validates(tmp_path: Path) -> None:
    root = format_1_copy(PARTIAL_REFUND, tmp_path / "v1")
    assert validate_world(root) == []
    world = World.open(root)
    assert (world.format_version, world.has_truth_lines) == (1, False)
    assert world.truth_line_records() is None
    (refund,) = next(world.shop_records(SHOP, "orders.jsonl"))["refunds"]
    assert "refund_shipping_lines" not in refund
    assert refund["shipping"] == {"shop": "6.00", "presentment": "6.00"}


def test_a_version_1_truth_reads_with_empty_counter_accounts_and_no_lines(tmp_path: Path) -> None:
    root = _misposted_copy(tmp_path / "v1")
    assert validate_world(root) == []
    (record,) = World.open(root).truth_records()
    assert (record["kind"], record["account"], record["counter_account"]) == (
        "refund_misposted",
        "4100",
        "",
    )
    assert truth_rows(root) == {
        (
            "refund_misposted",
            SHOP,
            f"shopify:refund:{REFUND_ID}",
            "shopify-north-outfitters-refund-3000001",
            "4100",
            "",
            "6.00",
            "2026-10-21",
        )
    }
    assert truth_lines(root) == {}  # nothing to compare lines with


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda path: format_1_copy(PARTIAL_REFUND, path), id="clean_partial_refund"),
        pytest.param(_misposted_copy, id="misposted_shipping"),
        pytest.param(lambda path: format_1_copy(TINY, path), id="tiny"),
    ],
)
def test_the_oracle_finds_a_version_1_truth_exact_without_counter_accounts(
    tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    assert_truth_is_exact(make(tmp_path / "v1"))


def test_version_1_truth_keeps_its_own_header_and_has_no_lines_file(tmp_path: Path) -> None:
    root = format_1_copy(PARTIAL_REFUND, tmp_path / "v1")
    shutil.copy(PARTIAL_REFUND / "truth" / "discrepancy_lines.csv", root / "truth")
    assert any("format version 1 has no lines file" in p for p in validate_world(root))
    (root / "truth" / "discrepancy_lines.csv").unlink()
    shutil.copy(PARTIAL_REFUND / "truth" / "discrepancies.csv", root / "truth")  # v2 header
    assert any("discrepancies.csv:1: header must be" in p for p in validate_world(root))


def test_a_version_2_world_still_needs_its_lines_file(tmp_path: Path) -> None:
    root = tmp_path / "v2"
    shutil.copytree(PARTIAL_REFUND, root)
    (root / "truth" / "discrepancy_lines.csv").unlink()
    assert any("discrepancy_lines.csv: missing" in p for p in validate_world(root))
    with pytest.raises(WorldFormatError, match=r"discrepancy_lines\.csv: missing"):
        truth_lines(root)


def _refund_change(
    root: Path, change: Callable[[dict[str, Any], dict[str, Any]], None]
) -> list[str]:
    def apply(order: dict[str, Any]) -> None:
        for refund in order["refunds"]:
            change(order, refund)

    _rewrite_jsonl(root / ORDERS, apply)
    return [problem for problem in validate_world(root) if str(ORDERS) in problem]


def _less_tax_than_its_lines(order: dict[str, Any], refund: dict[str, Any]) -> None:
    """The refund's total_tax 0.60 below its lines' 3.60 (the payment follows the total)."""
    refund["total_tax"] = {"shop": "3.00", "presentment": "3.00"}
    refund["total"] = {"shop": "54.00", "presentment": "54.00"}
    (payment,) = [tx for tx in order["transactions"] if tx.get("refund_id") == refund["id"]]
    payment["amount"] = refund["total"]


def test_a_negative_derived_tax_is_no_problem_in_version_1(tmp_path: Path) -> None:
    """Format 1 had no tax identity for refunds: the derived line's tax is 0.00 and the −0.60 is
    the refund's unallocated amount. Format 2 requires the identity (its tax cannot be < 0)."""
    v1 = format_1_copy(PARTIAL_REFUND, tmp_path / "v1")
    assert _refund_change(v1, _less_tax_than_its_lines) == []
    v2 = tmp_path / "v2"
    shutil.copytree(PARTIAL_REFUND, v2)

    def without_lines(order: dict[str, Any], refund: dict[str, Any]) -> None:
        del refund["refund_shipping_lines"]
        _less_tax_than_its_lines(order, refund)

    (problem,) = _refund_change(v2, without_lines)
    assert "total_tax (the refund lines' total_tax plus the refund shipping lines' tax)" in problem
    assert "is shop 3.00 / presentment 3.00 but should be shop 3.60 / presentment 3.60" in problem


def test_a_version_2_refund_without_the_field_derives_its_line(tmp_path: Path) -> None:
    root = tmp_path / "v2"
    shutil.copytree(PARTIAL_REFUND, root)
    assert _refund_change(root, lambda _, refund: refund.pop("refund_shipping_lines")) == []


def test_an_explicit_empty_list_still_means_no_shipping_refunded(tmp_path: Path) -> None:
    root = format_1_copy(PARTIAL_REFUND, tmp_path / "v1")

    def none(_: dict[str, Any], refund: dict[str, Any]) -> None:
        refund["refund_shipping_lines"] = []

    (problem,) = _refund_change(root, none)
    assert "shipping (the sum of refund_shipping_lines[].subtotal) is shop 6.00" in problem


def test_a_derived_line_needs_a_shipping_line_to_refund(tmp_path: Path) -> None:
    root = format_1_copy(PARTIAL_REFUND, tmp_path / "v1")

    def unshipped(order: dict[str, Any], _: dict[str, Any]) -> None:
        order["shipping_lines"] = []

    problems = _refund_change(root, unshipped)
    assert any(
        "refund 3000001 (its refund shipping line derived from shipping): the order has no "
        "shipping_lines for it to refund" in problem
        for problem in problems
    ), problems


def test_a_derived_line_takes_its_refunds_id_which_no_written_line_may_have(
    tmp_path: Path,
) -> None:
    """A second refund of the order writes a line whose id is the first refund's: the derived
    line's id (`RefundShippingLine` ids are unique across the world)."""
    root = format_1_copy(PARTIAL_REFUND, tmp_path / "v1")

    def second_refund(order: dict[str, Any]) -> None:
        if order["id"] != 1000001:
            return
        one = {"shop": "1.00", "presentment": "1.00"}
        zero = {"shop": "0.00", "presentment": "0.00"}
        written = {"id": REFUND_ID, "shipping_line_id": 1, "subtotal": one, "tax": zero}
        order["refunds"].append(
            {
                "id": REFUND_ID + 1,
                "created_at": "2026-10-21T15:00:00-04:00",
                "refund_line_items": [],
                "refund_shipping_lines": [written],
                "subtotal": zero,
                "shipping": one,
                "total_tax": zero,
                "total": one,
            }
        )

    _rewrite_jsonl(root / ORDERS, second_refund)
    problems = validate_world(root)
    assert any(f"duplicate RefundShippingLine id {REFUND_ID}" in p for p in problems), problems


# -- the simulator --------------------------------------------------------------------------------

TOKEN = "shpat_bulk"
DERIVED_ORDER, CLAMPED_ORDER, EMPTY_ORDER = 1_000_002, 1_000_005, 1_000_008  # make_world refunds
EXPRESS_ID = 55
BAG = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
NODE = f"id shippingLine {{ id }} subtotalAmountSet {BAG} taxAmountSet {BAG}"
PAGE = f"""query Page($id: ID!) {{ order(id: $id) {{ refunds(first: 5) {{ id
  refundShippingLines(first: 5) {{ nodes {{ {NODE} }} pageInfo {{ hasNextPage }} }} }} }} }}"""
BULK = f"""{{ orders {{ edges {{ node {{ id refunds {{ id
  refundShippingLines {{ edges {{ node {{ {NODE} }} }} }} }} }} }} }} }}"""


def _bag(shop: str, presentment: str) -> dict[str, str]:
    return {"shop": shop, "presentment": presentment}


def _shipped(order: dict[str, Any]) -> None:
    """Version-1 refunds of shipping, each without `refund_shipping_lines` but the last:
    - DERIVED_ORDER ships on Standard (no id: shipping line 1) and Express; its refund returns
      15.00 of shipping (presentment 20.25) with 1.60 of tax (2.05), 0.80 of it its line's: the
      derived line's tax is 0.80 (presentment 1.25);
    - CLAMPED_ORDER ships on Express (id 55); its refund returns 5.00 with 0.50 of tax (0.70), less
      than its line's 0.80: the derived tax is 0.00 on both sides;
    - EMPTY_ORDER refunds 5.00 of shipping but says `refund_shipping_lines: []`: none."""
    express = {"id": EXPRESS_ID, "title": "Express", "price": _bag("5.00", "5.00"), "tax_lines": []}
    if order["id"] == DERIVED_ORDER:
        standard = {"title": "Standard", "price": _bag("10.00", "10.00"), "tax_lines": []}
        order["shipping_lines"] = [standard, express]
        (refund,) = order["refunds"]
        refund.update(shipping=_bag("15.00", "20.25"), total_tax=_bag("1.60", "2.05"))
    elif order["id"] == CLAMPED_ORDER:
        order["shipping_lines"] = [express]
        (refund,) = order["refunds"]
        refund.update(shipping=_bag("5.00", "5.00"), total_tax=_bag("0.50", "0.70"))
    elif order["id"] == EMPTY_ORDER:
        order["shipping_lines"] = [express]
        (refund,) = order["refunds"]
        refund.update(shipping=_bag("5.00", "5.00"), refund_shipping_lines=[])


# (order, refund shipping line id, shipping line id, subtotal shop/presentment, tax shop/present.)
EXPECTED = {
    DERIVED_ORDER: [(3_000_000 + DERIVED_ORDER, 1, "15.00", "20.25", "0.80", "1.25")],
    CLAMPED_ORDER: [(3_000_000 + CLAMPED_ORDER, EXPRESS_ID, "5.00", "5.00", "0.00", "0.00")],
    EMPTY_ORDER: [],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    root = make_world(tmp_path_factory.mktemp("v1-refund-shipping") / "world", 9)
    manifest = json.loads((root / "world.json").read_text())
    (root / "world.json").write_text(json.dumps(manifest | {"format_version": 1}))
    _rewrite_jsonl(root / "shopify" / "bulk-shop" / "orders.jsonl", _shipped)
    running = start_shopify_simulator(root)
    yield running
    running.stop()


def _served(node: dict[str, Any]) -> tuple[Any, ...]:
    def amounts(bag: dict[str, Any]) -> tuple[Decimal, Decimal]:
        assert bag["shopMoney"]["currencyCode"] == bag["presentmentMoney"]["currencyCode"] == "USD"
        return Decimal(bag["shopMoney"]["amount"]), Decimal(bag["presentmentMoney"]["amount"])

    return (
        node["id"],
        node["shippingLine"]["id"],
        *amounts(node["subtotalAmountSet"]),
        *amounts(node["taxAmountSet"]),
    )


def _expected(order_id: int) -> list[tuple[Any, ...]]:
    return [
        (
            f"gid://shopify/RefundShippingLine/{line_id}",
            f"gid://shopify/ShippingLine/{shipping_line}",
            Decimal(subtotal),
            Decimal(subtotal_presentment),
            Decimal(tax),
            Decimal(tax_presentment),
        )
        for line_id, shipping_line, subtotal, subtotal_presentment, tax, tax_presentment in (
            EXPECTED[order_id]
        )
    ]


def _paged(server: RunningServer, order_id: int) -> list[dict[str, Any]]:
    body = graphql(server, PAGE, {"id": f"gid://shopify/Order/{order_id}"}, token=TOKEN).json()
    assert "errors" not in body, body
    (refund,) = body["data"]["order"]["refunds"]
    assert refund["refundShippingLines"]["pageInfo"]["hasNextPage"] is False
    return list(refund["refundShippingLines"]["nodes"])


@pytest.mark.slow
@pytest.mark.parametrize("order_id", list(EXPECTED))
def test_the_simulator_pages_the_derived_refund_shipping_line(
    server: RunningServer, order_id: int
) -> None:
    assert [_served(node) for node in _paged(server, order_id)] == _expected(order_id)


@pytest.mark.slow
def test_bulk_serves_the_derived_lines_as_the_paged_read_does(server: RunningServer) -> None:
    lines = bulk_lines(server, BULK, TOKEN)
    children: dict[int, list[dict[str, Any]]] = {order_id: [] for order_id in EXPECTED}
    for line in lines:
        if line["id"].startswith("gid://shopify/RefundShippingLine/"):
            refund = line.pop("__parentId")  # the refund holds the connection
            assert refund.startswith("gid://shopify/Refund/"), refund
            children.setdefault(int(refund.rsplit("/", 1)[1]) - 3_000_000, []).append(line)
    assert {order: [_served(node) for node in nodes] for order, nodes in children.items()} == {
        order_id: _expected(order_id) for order_id in EXPECTED
    }
    for order_id in EXPECTED:  # the very same nodes, field for field
        assert children[order_id] == _paged(server, order_id)


# -- through both simulators into the reconciliation ----------------------------------------------


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda path: format_1_copy(PARTIAL_REFUND, path), id="clean_partial_refund"),
        pytest.param(_misposted_copy, id="misposted_shipping"),
    ],
)
def test_a_version_1_world_reconciles_to_exactly_its_truth(
    tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    from retail_sync_tests.reconcile.harness import land_world, read_reconciliation

    root = make(tmp_path / "v1")
    assert validate_world(root) == []
    lake, shops = land_world(root, tmp_path / "work")
    reconciled = read_reconciliation(lake, shops)
    found = {without_counter_account(row) for row in reconciled.rows}
    truth = {without_counter_account(row) for row in truth_rows(root)}
    assert found == truth, f"false positives {found - truth}, not found {truth - found}"
    assert reconciled.residuals == []
    # The derived refund shipping line landed, as the paged read served it.
    table = lake.entity_dir("raw", "shopify", "order_refund_shipping_lines")
    landed = [row for path in sorted(table.rglob("*.parquet")) for row in _rows(path)]
    columns = (
        *("refund_shipping_line_id", "refund_id", "shipping_line_id", "subtotal_shop"),
        *("subtotal_presentment", "tax_shop", "tax_presentment"),
    )
    assert [tuple(row[column] for column in columns) for row in landed] == [
        (REFUND_ID, REFUND_ID, 1, Decimal("6.00"), Decimal("6.00"), ZERO, ZERO)
    ]


def _rows(path: Path) -> list[dict[str, Any]]:
    return list(pq.read_table(path).to_pylist())
