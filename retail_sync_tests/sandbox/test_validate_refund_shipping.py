"""The validator checks a refund's `refund_shipping_lines`: their shape and ids, the shipping line
each names, Σ subtotal = the refund's `shipping`, and `total_tax` = Σ line tax + Σ shipping tax.

The world is the hand-written `clean_partial_refund` (its refund returns 6.00 of the order's one
shipping line, untaxed); each case breaks one thing and expects a message naming it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from retail_sync.sandbox.validate import validate_world

WORLD = Path(__file__).parents[1] / "reconcile" / "worlds" / "clean_partial_refund"
ORDERS = Path("shopify") / "north-outfitters" / "orders.jsonl"

Change = Callable[[dict[str, Any]], None]


def _problems(tmp_path: Path, change: Change | None) -> list[str]:
    root = tmp_path / "world"
    shutil.copytree(WORLD, root)
    path = root / ORDERS
    orders = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    refund = orders[0]["refunds"][0]
    if change is not None:
        change(refund)
    path.write_text("".join(json.dumps(order) + "\n" for order in orders))
    return validate_world(root)


def _orders_problems(problems: list[str]) -> list[str]:
    return [problem for problem in problems if str(ORDERS) in problem]


def _line(**values: Any) -> Change:
    def change(refund: dict[str, Any]) -> None:
        refund["refund_shipping_lines"][0].update(values)

    return change


def _add_tax(refund: dict[str, Any]) -> None:
    refund["refund_shipping_lines"][0]["tax"] = {"shop": "0.48", "presentment": "0.48"}


def _duplicate(refund: dict[str, Any]) -> None:
    (line,) = refund["refund_shipping_lines"]
    halves = {"shop": "3.00", "presentment": "3.00"}
    refund["refund_shipping_lines"] = [line | {"subtotal": halves}, line | {"subtotal": halves}]


def _not_a_list(refund: dict[str, Any]) -> None:
    refund["refund_shipping_lines"] = refund["refund_shipping_lines"][0]


def test_the_world_as_written_has_no_order_problem(tmp_path: Path) -> None:
    problems = _problems(tmp_path, None)
    assert _orders_problems(problems) == [], problems


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _line(shipping_line_id=2),
            "refund_shipping_lines[0]: shipping_line_id 2 is not one of the order's shipping_lines",
        ),
        (_line(shipping_line_id=True), "shipping_line_id True is not one of the order's"),
        (_line(shipping_line_id=None), "shipping_line_id None is not one of the order's"),
        (
            _line(subtotal={"shop": "6.50", "presentment": "6.00"}),
            "shipping (the sum of refund_shipping_lines[].subtotal) is shop 6.00 / presentment "
            "6.00 but should be shop 6.50 / presentment 6.00",
        ),
        (
            _line(subtotal={"shop": "13.00", "presentment": "13.00"}),
            "refund_shipping_lines[0]: subtotal must be between 0.00 and the shipping line's price",
        ),
        (_line(tax={"shop": 0.48, "presentment": "0.48"}), "shop 0.48 is not a money string"),
        (_line(tax="0.48"), 'tax must be a money bag {"shop": ..., "presentment": ...}'),
        (
            _add_tax,
            "total_tax (the refund lines' total_tax plus the refund shipping lines' tax) is shop "
            "3.60 / presentment 3.60 but should be shop 4.08 / presentment 4.08",
        ),
        (_line(id="3200001"), "RefundShippingLine id '3200001' is not a positive integer"),
        (_duplicate, "duplicate RefundShippingLine id 3200001"),
        (_not_a_list, "refund_shipping_lines must be a list of objects, not an object"),
    ],
)
def test_a_bad_refund_shipping_line_is_reported(
    tmp_path: Path, change: Change, message: str
) -> None:
    problems = _orders_problems(_problems(tmp_path, change))
    assert any(message in problem for problem in problems), problems
    assert all("refund 3000001" in problem for problem in problems), problems
