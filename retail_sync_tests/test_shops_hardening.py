"""The shops file is validated where it enters: every value that becomes a path, a URL, an
environment variable name or a SuiteQL literal is of its form, an empty file is an error, and no
file (hypothesis-fuzzed) gets past `load_shops` as anything but shops or one of our errors.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retail_sync import shops as shops_module
from retail_sync.cli import main
from retail_sync.matching import MatchingRulesError
from retail_sync.sandbox.generate.catalog import PRESETS, build_shop
from retail_sync.shops import ShopSettingsError, load_shops
from retail_sync.warehouse.lake import Lake

SHOP: dict[str, Any] = {
    "id": "north-outfitters",
    "domain": "north-outfitters.myshopify.com",
    "currency": "USD",
    "timezone": "America/New_York",
    "erp_subsidiary_id": "1",
}


def shops_file(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "shops.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def with_field(name: str, value: Any) -> list[dict[str, Any]]:
    return [SHOP | {name: value}]


@pytest.mark.parametrize(
    "shop_id",
    [
        "../../etc",
        "../../../../../../../../tmp/escaped",
        "north/outfitters",
        "..",
        "North-Outfitters",
        "-north",
        "north outfitters",
        "north\x00",
        "nörth",
        "a" * 64,
        7,
        ["north"],
    ],
)
def test_a_shop_id_that_is_not_a_handle_is_refused_naming_file_and_shop(
    tmp_path: Path, shop_id: Any
) -> None:
    path = shops_file(tmp_path, with_field("id", shop_id))
    with pytest.raises(ShopSettingsError) as raised:
        load_shops(path)
    assert str(path) in str(raised.value)
    assert repr(shop_id) in str(raised.value)
    assert "shop handle" in str(raised.value)


def test_every_shop_id_the_generator_makes_is_valid(tmp_path: Path) -> None:
    records = [build_shop(7, index, 4).to_shop_record() for index in range(len(PRESETS) + 3)]
    assert any("-" in str(record["id"]) for record in records[len(PRESETS) :])
    shops = load_shops(shops_file(tmp_path, records))
    assert [shop.id for shop in shops] == [record["id"] for record in records]


def test_a_sandbox_worlds_shops_file_loads_as_is() -> None:
    tiny = Path(__file__).parent / "sandbox" / "worlds" / "tiny" / "shopify" / "shops.json"
    assert [shop.id for shop in load_shops(tiny)] == ["north-outfitters", "alpen-supply"]


def test_an_empty_shops_file_is_an_error(tmp_path: Path) -> None:
    path = shops_file(tmp_path, [])
    with pytest.raises(ShopSettingsError, match="no shops"):
        load_shops(path)


def test_ingest_with_an_empty_shops_file_exits_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("RETAIL_SYNC_SHOPS", str(shops_file(tmp_path, [])))
    # The CLI exports --home as RETAIL_SYNC_HOME: set it here so monkeypatch restores it.
    monkeypatch.setenv("RETAIL_SYNC_HOME", str(tmp_path / "home"))
    code = main(
        ["ingest", "--home", str(tmp_path / "home"), "--start", "2026-10-01", "--end", "2026-10-01"]
    )
    assert code == 1
    error = capsys.readouterr().err.strip()
    assert "no shops" in error
    assert len(error.splitlines()) == 1


@pytest.mark.parametrize("subsidiary", ["abc", "1.5", "-1", "1 OR 1=1", "", " 1", True, 1.0, None])
def test_a_subsidiary_id_that_is_not_an_integer_is_an_error_at_load(
    tmp_path: Path, subsidiary: Any
) -> None:
    path = shops_file(tmp_path, with_field("erp_subsidiary_id", subsidiary))
    with pytest.raises(ShopSettingsError, match="erp_subsidiary_id") as raised:
        load_shops(path)
    assert str(path) in str(raised.value)


def test_a_numeric_subsidiary_id_is_kept_as_its_digits(tmp_path: Path) -> None:
    assert (
        load_shops(shops_file(tmp_path, with_field("erp_subsidiary_id", 12)))[0].erp_subsidiary_id
        == "12"
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("domain", "evil.example/steal?", "not a host name"),
        ("domain", "localhost", "not a host name"),
        ("domain", 5, "must be a string"),
        ("currency", "usd", "ISO 4217"),
        ("currency", "US Dollar", "ISO 4217"),
        ("timezone", "../../etc/passwd", "unknown timezone"),
        ("timezone", "A" * 300, "unknown timezone"),
        ("timezone", "America", "unknown timezone"),
        ("timezone", ["UTC"], "must be a string"),
        ("access_token_variable", "TOKEN; rm -rf /", "environment variable name"),
        ("access_token_variable", 3, "environment variable name"),
    ],
)
def test_values_that_become_urls_or_names_are_checked(
    tmp_path: Path, name: str, value: Any, message: str
) -> None:
    path = shops_file(tmp_path, with_field(name, value))
    with pytest.raises(ShopSettingsError, match=message) as raised:
        load_shops(path)
    assert str(path) in str(raised.value)
    assert "north-outfitters" in str(raised.value)


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe[]", b"[NaN]", b"[" * 100_000, b"[" + b"1" * 5000 + b"]", b"", b"{}", b"[1]"],
)
def test_an_unreadable_shops_file_is_one_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "shops.json"
    path.write_bytes(content)
    with pytest.raises(ShopSettingsError, match=r"shops\.json"):
        load_shops(path)


def test_a_folder_where_the_shops_file_belongs_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(ShopSettingsError, match="folder"):
        load_shops(tmp_path)


def test_repeated_ids_are_named(tmp_path: Path) -> None:
    with pytest.raises(ShopSettingsError, match="repeat: north-outfitters"):
        load_shops(shops_file(tmp_path, [SHOP, SHOP]))


def test_a_bad_matching_setting_names_the_file_the_shop_and_the_setting(tmp_path: Path) -> None:
    path = shops_file(tmp_path, with_field("matching", {"amount_tolerance": "NaN"}))
    with pytest.raises(MatchingRulesError) as raised:
        load_shops(path)
    message = str(raised.value)
    assert str(path) in message
    assert "'north-outfitters'" in message
    assert "matching.amount_tolerance" in message


# Seeded and database-less, so CI runs the same cases every time.
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10)
    | st.sampled_from(["../../etc", "", "NaN", "1", "USD", "UTC", "America", "a.myshopify.com"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = [*SHOP, "access_token_variable", "matching"]


@st.composite
def shops_documents(draw: st.DrawFn) -> Any:
    """A valid shops file with a few fields dropped or replaced, or any JSON value at all."""
    if draw(st.booleans()):
        return draw(json_values)
    shop = copy.deepcopy(SHOP) | {"matching": {"amount_tolerance": "1.00"}}
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(FIELDS))
        if draw(st.booleans()):
            shop.pop(name, None)
        else:
            shop[name] = draw(json_values)
    return [shop]


@FUZZ
@given(document=shops_documents())
def test_any_shops_file_gives_shops_or_one_of_our_errors(tmp_path: Path, document: Any) -> None:
    path = tmp_path / "shops.json"
    try:
        path.write_text(json.dumps(document), encoding="utf-8")
    except ValueError:  # json.dumps refuses some numbers; nothing to load then
        return
    try:
        shops = load_shops(path)
    except (ShopSettingsError, MatchingRulesError) as error:
        assert str(path) in str(error)
        return
    lake = Lake(tmp_path / "lake")
    for shop in shops:
        assert shops_module.SHOP_ID_PATTERN.fullmatch(shop.id)
        assert lake.partition_dir("raw", "shopify", "orders", shop=shop.id, date="2026-10-01")
        shop.matching.sql_values()
