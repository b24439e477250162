"""Malformed worlds never crash the world reader or the validator (hypothesis, bounded, seeded).

A small generated world is mutated one document at a time: a key dropped, a value replaced by a
wrong type, a garbage or huge value, a list where an object belongs (and the reverse), a whole
document replaced, raw bytes spliced into a file (invalid UTF-8, `NaN`, a 5000-digit number, deep
nesting, a truncated line). `validate_world` must answer with its findings list, and `World`'s
readers with a value or a `WorldFormatError` naming the file — never another exception.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retail_sync.sandbox.generate import generate_world
from retail_sync.sandbox.validate import validate_world
from retail_sync.sandbox.world import SHOPIFY_SHOP_FILES, World, WorldFormatError

# Seeded and database-less, so CI runs the same cases every time; each test stays a few seconds.
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

SHOP = "north-outfitters"


@pytest.fixture(scope="module")
def base_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One shop, one day, a refund among its orders: every kind of record the format has."""
    root = tmp_path_factory.mktemp("fuzz") / "world"
    generate_world(
        root,
        seed=5,
        start=date(2026, 10, 1),
        days=1,
        orders_per_day=12,
        shops=1,
        discrepancy_rate=0.3,
    )
    assert validate_world(root) == []
    orders = (root / "shopify" / SHOP / "orders.jsonl").read_text()
    assert '"refund_line_items":[{' in orders
    return root


def world_documents(root: Path) -> list[str]:
    """Every JSON and JSONL file of the world, relative to its root."""
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.suffix in (".json", ".jsonl")
    )


def read_document(path: Path) -> Any:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return json.loads(path.read_text())


def write_document(path: Path, document: Any) -> None:
    if path.suffix == ".jsonl" and isinstance(document, list):
        path.write_text("".join(json.dumps(record) + "\n" for record in document))
    else:
        path.write_text(json.dumps(document))


def node_paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path (keys and indexes) of every node below `node`, `node` itself first."""
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from node_paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from node_paths(child, (*prefix, index))


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 2**63, 10**4000]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["", "12.5", "1e999", "NaN", "-0.00", "2026-13-45", "2026-10-01T25:00:00Z", "../../etc",
         "\ud800", "0001-01-01T00:00:00+23:59", "9" * 40 + ".00", "٣.٥٠"]
    ),
)  # fmt: skip
junk = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def mutated(document: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    """`document` with the node at `path` dropped or replaced (`path` () is the whole document)."""
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    target = parent[last]
    if action == "drop":
        del parent[last]
    elif action == "flip":  # a list where an object belongs, an object where a list belongs
        parent[last] = [target] if isinstance(target, dict) else {"0": target}
    else:
        parent[last] = value
    return document


def assert_only_our_answers(root: Path) -> None:
    problems = validate_world(root)
    assert isinstance(problems, list)
    assert all(isinstance(problem, str) and ":" in problem for problem in problems)
    for problem in problems:
        problem.encode("utf-8")  # printable as is: no lone surrogate reaches a terminal
    try:
        world = World.open(root)
        for shop in world.shops:
            world.shop(shop["id"])
            for name in SHOPIFY_SHOP_FILES:
                for record in world.shop_records(shop["id"], name):
                    assert isinstance(record, dict)
        for name in ("subsidiaries.json", "accounts.json", "journal_entries.jsonl"):
            for record in world.erp_records(name):
                assert isinstance(record, dict)
    except WorldFormatError as error:
        assert str(root) in str(error)


@pytest.fixture(scope="module")
def scratch_world(base_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the base world that each example mutates in one file and then restores."""
    root = tmp_path_factory.mktemp("scratch") / "world"
    shutil.copytree(base_world, root)
    return root


@contextmanager
def restored(path: Path) -> Iterator[Path]:
    """Hand `path` over for mutation, then put its original bytes back (or the file, if removed)."""
    original = path.read_bytes()
    try:
        yield path
    finally:
        if path.is_dir():
            shutil.rmtree(path)
        path.write_bytes(original)


@settings(FUZZ, max_examples=250)
@given(data=st.data())
def test_mutated_documents_give_findings_never_a_crash(scratch_world: Path, data: Any) -> None:
    relative = data.draw(st.sampled_from(world_documents(scratch_world)), label="file")
    with restored(scratch_world / relative) as path:
        document = read_document(path)
        node = data.draw(st.sampled_from(list(node_paths(document))), label="node")
        actions = ["drop", "flip", "replace"] if node else ["replace"]
        action = data.draw(st.sampled_from(actions), label="action")
        value = data.draw(junk, label="value") if action == "replace" else None
        try:
            write_document(path, mutated(document, node, action, value))
        except ValueError:  # a number json.dumps refuses to write (more than 4300 digits)
            return
        assert_only_our_answers(scratch_world)


RAW_SPLICES = [
    b"\xff\xfe\x00",  # not UTF-8
    b'{"id": NaN}',
    b'{"id": Infinity}',
    b'{"id": ' + b"1" * 5000 + b"}",  # more digits than Python converts
    b"[" * 100_000,  # nested past the parser's recursion limit
    b'{"id": 1',  # truncated
    b"[]",
    b"null",
    b'"\\ud800"',
    b"\x00",
]


@settings(FUZZ, max_examples=80)
@given(data=st.data())
def test_spliced_bytes_give_findings_never_a_crash(scratch_world: Path, data: Any) -> None:
    files = [*world_documents(scratch_world), "truth/discrepancies.csv"]
    with restored(scratch_world / data.draw(st.sampled_from(files), label="file")) as path:
        lines = path.read_bytes().splitlines(keepends=True) or [b""]
        where = data.draw(st.integers(0, len(lines) - 1), label="line")
        splice = data.draw(st.sampled_from(RAW_SPLICES) | st.binary(max_size=8), label="bytes")
        if data.draw(st.booleans(), label="replace line"):
            lines[where] = splice + b"\n"
        else:
            lines.insert(where, splice)
        path.write_bytes(b"".join(lines))
        assert_only_our_answers(scratch_world)


@pytest.mark.parametrize("change", ["missing", "folder", "empty"])
def test_a_missing_or_unreadable_file_is_a_finding(
    base_world: Path, tmp_path: Path, change: str
) -> None:
    for relative in [*world_documents(base_world), "truth/discrepancies.csv"]:
        root = tmp_path / f"{change}-{relative.replace('/', '_')}"
        shutil.copytree(base_world, root)
        path = root / relative
        path.unlink()
        if change == "folder":
            path.mkdir()
        elif change == "empty":
            path.write_bytes(b"")
        assert_only_our_answers(root)


def test_a_shop_id_that_climbs_out_of_the_world_is_refused(
    base_world: Path, tmp_path: Path
) -> None:
    root = tmp_path / "world"
    shutil.copytree(base_world, root)
    shops_path = root / "shopify" / "shops.json"
    shops = json.loads(shops_path.read_text())
    shops[0]["id"] = "../../outside"
    shops_path.write_text(json.dumps(shops))
    manifest_path = root / "world.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["shops"] = ["../../outside"]
    manifest_path.write_text(json.dumps(manifest))
    assert any("is not a shop handle" in problem for problem in validate_world(root))
    with pytest.raises(WorldFormatError, match=r"shops\.json"):
        World.open(root).shops  # noqa: B018
