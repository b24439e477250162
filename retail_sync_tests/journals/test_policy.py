"""The correction policy file: a good file, the defaults, and each bad file naming its line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from retail_sync.errors import ConfigurationError
from retail_sync.journals.policy import (
    DEFAULT_LISTS,
    Accounts,
    PolicyError,
    ShopPolicy,
    load_policy,
)
from retail_sync.shops import ShopSettings

GOOD = """\
# The correction policy of two shops.
shops:
  acme-us:
    subsidiary_id: "1"
    rounding_tolerance: "0.03"
    auto_post_threshold: 250.00
    auto_post:
      - order_*
      - "*_rounding_difference"
      - payout_deposit_missing
    approval:
      - order_duplicate_posting
      - refund_*
    never:
      - orphan_erp_entry
      - unexpected_erp_entry
      - payout_balance_mismatch
    accounts:
      inventory_adjustment: "5150"
  acme-ca:
    subsidiary_id: 2
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def shop(shop_id: str, subsidiary: str) -> ShopSettings:
    return ShopSettings(
        id=shop_id,
        domain=f"{shop_id}.myshopify.com",
        currency="USD",
        timezone="America/New_York",
        erp_subsidiary_id=subsidiary,
        access_token_variable="TOKEN",
    )


def test_good_file(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, GOOD), [shop("acme-us", "1"), shop("acme-ca", "2")])
    us = policy.for_shop("acme-us")
    assert us.subsidiary_id == "1"
    assert us.rounding_tolerance == Decimal("0.03")
    assert str(us.auto_post_threshold) == "250.00"
    assert us.auto_post == ("order_*", "*_rounding_difference", "payout_deposit_missing")
    assert us.approval == ("order_duplicate_posting", "refund_*")
    assert us.never == ("orphan_erp_entry", "unexpected_erp_entry", "payout_balance_mismatch")
    assert us.accounts == Accounts(inventory="1300", inventory_adjustment="5150")
    # Up to the threshold, auto; above it, approval.
    assert us.route("order_tax_mismatch", Decimal("250.00")) == "auto"
    assert us.route("order_tax_mismatch", Decimal("-250.00")) == "auto"
    assert us.route("order_tax_mismatch", Decimal("250.01")) == "approval"
    # A literal kind beats a pattern of another list.
    assert us.route("order_duplicate_posting", Decimal("1.00")) == "approval"
    # Rounding kinds auto-post only up to rounding_tolerance.
    assert us.route("refund_rounding_difference", Decimal("0.03")) == "approval"  # refund_* wins
    assert us.route("order_rounding_difference", Decimal("0.03")) == "auto"
    assert us.route("order_rounding_difference", Decimal("0.04")) == "approval"
    assert us.route("orphan_erp_entry", Decimal("0.01")) == "never"
    # A kind in no list needs approval.
    assert us.route("fee_missing_in_erp", Decimal("1.00")) == "approval"
    assert policy.for_shop("acme-ca").subsidiary_id == "2"


def test_defaults_follow_accounting_md(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, 'shops:\n  acme-us:\n    subsidiary_id: "7"\n'))
    us = policy.for_shop("acme-us")
    assert us == ShopPolicy(shop_id="acme-us", subsidiary_id="7")
    assert us.rounding_tolerance == Decimal("0.05")
    assert us.auto_post_threshold == Decimal("500.00")
    assert us.accounts == Accounts(inventory="1300", inventory_adjustment="5100")
    route = us.route
    assert route("order_rounding_difference", Decimal("0.05")) == "auto"
    assert route("order_fx_difference", Decimal("0.06")) == "approval"
    assert route("order_missing_in_erp", Decimal("500.00")) == "auto"
    assert route("refund_missing_in_erp", Decimal("500.01")) == "approval"
    assert route("payout_deposit_missing", Decimal("80.45")) == "auto"
    assert route("order_tax_mismatch", Decimal("0.40")) == "auto"
    assert route("payout_deposit_amount_mismatch", Decimal("10.00")) == "auto"
    assert route("order_duplicate_posting", Decimal("0.01")) == "approval"
    assert route("order_wrong_period", Decimal("0.00")) == "approval"
    # docs/journals.md: inventory needs an inventory adjustment, not a journal (never by default).
    assert route("inventory_on_hand_mismatch", Decimal("25.00")) == "never"
    assert route("refund_misposted", Decimal("10.00")) == "approval"  # the model does not say
    for kind in ("orphan_erp_entry", "unexpected_erp_entry", "payout_balance_mismatch"):
        assert route(kind, Decimal("0.00")) == "never"
    assert "orphan_erp_entry" in DEFAULT_LISTS["never"]


def test_a_list_given_replaces_its_default_only(tmp_path: Path) -> None:
    text = 'shops:\n  acme-us:\n    subsidiary_id: "1"\n    auto_post: [order_tax_mismatch]\n'
    us = load_policy(write(tmp_path, text)).for_shop("acme-us")
    assert us.route("order_tax_mismatch", Decimal("1.00")) == "auto"
    assert us.route("order_missing_in_erp", Decimal("1.00")) == "approval"
    assert us.route("orphan_erp_entry", Decimal("1.00")) == "never"


def test_unknown_shop_for_shop_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    with pytest.raises(PolicyError, match=rf"^{path}:2: no policy for shop 'acme-de'"):
        load_policy(path).for_shop("acme-de")


BAD: list[tuple[str, str, int, str]] = [
    # (name, text, line, message fragment)
    ("parse error", "shops:\n  acme-us: [\n    subsidiary_id: 1\n", 4, "not YAML"),
    ("tab indentation", "shops:\n\tacme-us: {}\n", 2, "not YAML"),
    ("empty file", "# nothing\n", 1, "empty"),
    ("not a mapping", "- shops\n", 1, "must be a mapping"),
    ("no shops key", "shop:\n  acme-us: {}\n", 1, "unknown key 'shop'"),
    ("no shops", "shops: {}\n", 1, "no shops"),
    (
        "unknown shop key",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    auto_post_limit: 5\n',
        4,
        "unknown key 'auto_post_limit'",
    ),
    ("no subsidiary", "shops:\n  acme-us:\n    never: []\n", 3, "no subsidiary_id"),
    ("bad subsidiary", "shops:\n  acme-us:\n    subsidiary_id: abc\n", 3, "NetSuite internal id"),
    ("bad shop id", 'shops:\n  Acme_US:\n    subsidiary_id: "1"\n', 2, "is not a shop id"),
    (
        "shop twice",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n  acme-us:\n    subsidiary_id: "1"\n',
        4,
        "given twice",
    ),
    (
        "inexact float",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    rounding_tolerance: 0.055\n',
        4,
        "more than two decimals",
    ),
    (
        "negative",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    auto_post_threshold: -1.00\n',
        4,
        "negative",
    ),
    (
        "nan",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    auto_post_threshold: .nan\n',
        4,
        "not a number",
    ),
    (
        "nan text",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    auto_post_threshold: "NaN"\n',
        4,
        "not a number",
    ),
    (
        "infinity",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    auto_post_threshold: .inf\n',
        4,
        "not a number",
    ),
    (
        "comma decimal",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    auto_post_threshold: "12,50"\n',
        4,
        "not a number",
    ),
    (
        "boolean amount",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    rounding_tolerance: yes\n',
        4,
        "must be an amount",
    ),
    (
        "kind in two lists",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    auto_post:\n      - order_tax_mismatch\n'
        "    approval:\n      - refund_misposted\n      - order_tax_mismatch\n",
        8,
        "'order_tax_mismatch' is in both auto_post and approval",
    ),
    (
        "kind clashing with a default list",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    auto_post:\n      - order_tax_mismatch\n'
        "      - orphan_erp_entry\n",
        6,
        "'orphan_erp_entry' is in both auto_post and never (by default",
    ),
    (
        "kind twice in a list",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    never:\n      - orphan_erp_entry\n'
        "      - orphan_erp_entry\n",
        6,
        "listed twice",
    ),
    (
        "unknown kind",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    approval:\n      - order_tax_mismach\n',
        5,
        "unknown exception kind 'order_tax_mismach'",
    ),
    (
        "pattern matching nothing",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    approval: ["ordr_*"]\n',
        4,
        "matches no exception kind",
    ),
    (
        "list is not a list",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    never: orphan_erp_entry\n',
        4,
        "must be a list",
    ),
    (
        "unknown account key",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    accounts:\n      shrinkage: "5100"\n',
        5,
        "unknown key 'shrinkage'",
    ),
    (
        "bad account",
        'shops:\n  acme-us:\n    subsidiary_id: "1"\n    accounts:\n      inventory: [1300]\n',
        5,
        "must be an account number",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_file_names_its_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message, message


def test_unknown_shop_against_the_shops_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    with pytest.raises(PolicyError, match=rf"^{path}:20: unknown shop 'acme-ca'"):
        load_policy(path, [shop("acme-us", "1")])


def test_subsidiary_must_be_the_shops(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    with pytest.raises(PolicyError, match=rf"^{path}:21: shop 'acme-ca': subsidiary_id 2 is not"):
        load_policy(path, [shop("acme-us", "1"), shop("acme-ca", "3")])


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(PolicyError, match=rf"^{path}:1: no policy file"):
        load_policy(path)
    assert issubclass(PolicyError, ConfigurationError)


def test_the_documented_example_is_the_defaults(tmp_path: Path) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "journals.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    policy = load_policy(write(tmp_path, example))
    assert policy.for_shop("acme-us") == ShopPolicy(shop_id="acme-us", subsidiary_id="1")
