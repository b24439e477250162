"""Matching settings are validated at load for every field: a non-number, a bool, NaN, an
infinity, a negative, an absurd value or more decimals than its column keeps is a MatchingRulesError
naming the shop and the setting; whatever is accepted is an exact SQL literal (hypothesis-fuzzed).
"""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retail_sync import matching as rules_module
from retail_sync.matching import MatchingRules, MatchingRulesError

FIELDS = [field.name for field in fields(MatchingRules)]
WHOLE = {"deposit_days_before", "deposit_days_after"}


def test_every_field_has_bounds() -> None:
    assert set(rules_module.SETTING_BOUNDS) == set(FIELDS)


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize(
    "raw",
    [
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        float("nan"),
        float("inf"),
        "-1",
        -0.5,
        "1e9",
        10**40,
        True,
        False,
        None,
        [1],
        {"value": 1},
        "one",
        "",
        "1" * 60,
    ],
)
def test_a_bad_value_names_the_shop_and_the_setting(name: str, raw: Any) -> None:
    with pytest.raises(MatchingRulesError) as raised:
        MatchingRules.from_settings("north-outfitters", {name: raw})
    assert "'north-outfitters'" in str(raised.value)
    assert f"matching.{name}" in str(raised.value)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("amount_tolerance", "0.001"),
        ("amount_tolerance_percent", "0.00001"),
        ("inventory_tolerance", "0.00001"),
        ("deposit_days_before", "1.5"),
        ("deposit_days_after", 2.5),
    ],
)
def test_more_decimals_than_the_column_keeps_is_an_error(name: str, raw: Any) -> None:
    with pytest.raises(MatchingRulesError, match=f"matching.{name}"):
        MatchingRules.from_settings("s", {name: raw})


def test_matching_must_be_an_object() -> None:
    with pytest.raises(MatchingRulesError, match="must be an object"):
        MatchingRules.from_settings("s", ["amount_tolerance", "1.00"])


def test_good_values_load_exactly() -> None:
    rules = MatchingRules.from_settings(
        "s",
        {
            "amount_tolerance": "2.50",
            "amount_tolerance_percent": 0.5,
            "deposit_days_before": "3",
            "deposit_days_after": 7.0,
            "inventory_tolerance": "1E+1",
            "rounding_tolerance": "0.10",
            "fx_tolerance_percent": 2,
        },
    )
    assert rules == MatchingRules(
        Decimal("2.50"), Decimal("0.5"), 3, 7, Decimal("10"), Decimal("0.10"), Decimal("2")
    )
    assert duckdb.sql("select " + ", ".join(rules.sql_values())).fetchall()[0] == (
        Decimal("2.50"),
        Decimal("0.5"),
        3,
        7,
        Decimal("10"),
        Decimal("0.10"),
        Decimal("2"),
    )


settings_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**25), max_value=10**25),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=12),
    st.sampled_from(["NaN", "Infinity", "1e400", "-0", "0.10", " 5 ", "1_000", "0x10"]),
    st.lists(st.integers(), max_size=2),
)


@settings(derandomize=True, database=None, deadline=None, max_examples=300)
@given(
    matching=st.dictionaries(
        st.sampled_from([*FIELDS, "amount_tolerence"]), settings_values, max_size=5
    )
)
def test_any_matching_object_gives_exact_rules_or_one_of_our_errors(matching: Any) -> None:
    try:
        rules = MatchingRules.from_settings("s", matching)
    except MatchingRulesError as error:
        assert "shop 's'" in str(error)
        return
    values = [getattr(rules, name) for name in FIELDS]
    for name, value in zip(FIELDS, values, strict=True):
        assert isinstance(value, int if name in WHOLE else Decimal)
        assert 0 <= value <= rules_module.SETTING_BOUNDS[name].maximum
    row = duckdb.sql("select " + ", ".join(rules.sql_values())).fetchall()[0]
    assert list(row) == values  # the SQL literal holds the setting exactly
