"""The correction policy: per shop, which exceptions may become corrective journals, and how.

The policy is a YAML file (docs/journals.md). It is read node by node (`yaml.compose`), so every
error, a parse error or a semantic one, names the file and the line: `policy.yaml:12: ...`. A key
left out takes the default of docs/accounting.md, section 5.

Routing (`ShopPolicy.route`): a kind is matched against the three lists; a literal kind beats a
pattern, and among matches of the same kind of entry the strictest list wins (never, then
approval, then auto). A kind in no list needs approval. An `auto` kind posts automatically only up
to its limit: `rounding_tolerance` for the rounding and FX kinds, `auto_post_threshold` for the
others; above it, it needs approval.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal, NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from retail_sync.errors import ConfigurationError
from retail_sync.exception_kinds import KNOWN_KINDS
from retail_sync.shops import SUBSIDIARY_ID_PATTERN, ShopSettings, is_shop_id

Route = Literal["auto", "approval", "never"]
LISTS: tuple[Route, ...] = ("never", "approval", "auto")  # strictest first
LIST_KEYS: dict[str, Route] = {"never": "never", "approval": "approval", "auto_post": "auto"}

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999999999.99")  # DECIMAL(18, 2)

# Kinds whose automatic limit is `rounding_tolerance` rather than `auto_post_threshold`.
SMALL_DIFFERENCE_PATTERNS = ("*_rounding_difference", "*_fx_difference")

# docs/accounting.md, section 5.
DEFAULT_ROUNDING_TOLERANCE = Decimal("0.05")
DEFAULT_AUTO_POST_THRESHOLD = Decimal("500.00")
DEFAULT_LISTS: dict[Route, tuple[str, ...]] = {
    "auto": (
        "*_rounding_difference",
        "*_fx_difference",
        "*_missing_in_erp",
        "payout_deposit_missing",
        "payout_failure_reversal_missing",
        "*_tax_mismatch",
        "*_shipping_mismatch",
        "*_discount_mismatch",
        "*_amount_mismatch",
    ),
    "approval": ("*_duplicate_posting", "*_wrong_period"),
    # Inventory: an on-hand difference is a quantity in the ERP; a 1300/5100 journal revalues the
    # ledger but leaves the quantity (and so the difference) where it was, to be proposed again
    # the next day. It needs an inventory adjustment, which the ERP port does not post yet.
    "never": (
        "orphan_erp_entry",
        "unexpected_erp_entry",
        "payout_balance_mismatch",
        "clearing_unexplained",
        "unmatched_correction",
        "inventory_*",
    ),
}
DEFAULT_ACCOUNTS = {"inventory": "1300", "inventory_adjustment": "5100"}

SHOP_KEYS = (
    "subsidiary_id",
    "rounding_tolerance",
    "auto_post_threshold",
    "auto_post",
    "approval",
    "never",
    "accounts",
)
KIND_PATTERN = re.compile(r"[a-z0-9_*]+")
ACCOUNT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,39}")

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"


class PolicyError(ConfigurationError):
    """The policy file is missing, unreadable or wrong; the message names the file and line."""


@dataclass(frozen=True)
class Accounts:
    """The accounts a proposal books beyond the exception's own lines."""

    inventory: str = DEFAULT_ACCOUNTS["inventory"]
    inventory_adjustment: str = DEFAULT_ACCOUNTS["inventory_adjustment"]


@dataclass(frozen=True)
class ShopPolicy:
    """One shop's correction policy."""

    shop_id: str
    subsidiary_id: str
    rounding_tolerance: Decimal = DEFAULT_ROUNDING_TOLERANCE
    auto_post_threshold: Decimal = DEFAULT_AUTO_POST_THRESHOLD
    auto_post: tuple[str, ...] = DEFAULT_LISTS["auto"]
    approval: tuple[str, ...] = DEFAULT_LISTS["approval"]
    never: tuple[str, ...] = DEFAULT_LISTS["never"]
    accounts: Accounts = Accounts()

    def _lists(self) -> dict[Route, tuple[str, ...]]:
        return {"never": self.never, "approval": self.approval, "auto": self.auto_post}

    def listed(self, kind: str) -> Route | None:
        """The list `kind` falls in (literal before pattern, strictest first), or None."""
        lists = self._lists()
        for literal in (True, False):
            for route in LISTS:
                for entry in lists[route]:
                    if ("*" not in entry) == literal and fnmatchcase(kind, entry):
                        return route
        return None

    def auto_limit(self, kind: str) -> Decimal:
        """The largest |amount| an `auto` kind posts without approval."""
        if any(fnmatchcase(kind, pattern) for pattern in SMALL_DIFFERENCE_PATTERNS):
            return self.rounding_tolerance
        return self.auto_post_threshold

    def route(self, kind: str, amount: Decimal) -> Route:
        """Where a correction of `kind` posting `amount` goes: auto, approval or never."""
        listed = self.listed(kind)
        if listed == "never":
            return "never"
        if listed == "auto" and abs(amount) <= self.auto_limit(kind):
            return "auto"
        return "approval"


@dataclass(frozen=True)
class Policy:
    """The policy file: one ShopPolicy per shop."""

    source: str
    shops: dict[str, ShopPolicy]
    shops_line: int = 1

    def for_shop(self, shop_id: str) -> ShopPolicy:
        try:
            return self.shops[shop_id]
        except KeyError:
            listed = ", ".join(sorted(self.shops)) or "none"
            raise PolicyError(
                f"{self.source}:{self.shops_line}: no policy for shop {shop_id!r} "
                f"(shops listed: {listed})"
            ) from None


def load_policy(path: Path | str, shops: Iterable[ShopSettings] | None = None) -> Policy:
    """Read a policy file. With `shops`, every shop in it must be one of them, on its subsidiary."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}:1: no policy file (see docs/journals.md)") from None
    except IsADirectoryError:
        raise PolicyError(f"{path}:1: is a folder, not a policy file") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}:1: not UTF-8 text") from None
    except OSError as error:
        raise PolicyError(f"{path}:1: cannot be read ({error.strerror})") from None
    return parse_policy(text, str(path), shops)


def parse_policy(text: str, source: str, shops: Iterable[ShopSettings] | None = None) -> Policy:
    """Parse policy text; `source` names it in errors."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise PolicyError(f"{source}:{line}: not YAML ({error.problem or error})") from None
    except yaml.YAMLError as error:
        raise PolicyError(f"{source}:1: not YAML ({error})") from None
    if root is None:
        raise PolicyError(f"{source}:1: the policy file is empty (see docs/journals.md)")
    reader = _Reader(source)
    top = dict(reader.mapping(root, "the policy file"))
    for key, (key_node, _) in top.items():
        if key != "shops":
            reader.fail(key_node, f"unknown key {key!r} (the file holds one key, shops)")
    if "shops" not in top:
        reader.fail(root, "no 'shops' key (see docs/journals.md)")
    shops_key, shops_node = top["shops"]
    known = None if shops is None else {shop.id: shop for shop in shops}
    policies: dict[str, ShopPolicy] = {}
    for shop_id, (key_node, value_node) in reader.mapping(shops_node, "shops"):
        if not is_shop_id(shop_id):
            reader.fail(key_node, f"{shop_id!r} is not a shop id (a shop handle, e.g. acme-us)")
        if known is not None and shop_id not in known:
            reader.fail(key_node, f"unknown shop {shop_id!r} (not in the shops file)")
        policy = reader.shop(shop_id, value_node)
        if known is not None and known[shop_id].erp_subsidiary_id != policy.subsidiary_id:
            reader.fail(
                value_node,
                f"shop {shop_id!r}: subsidiary_id {policy.subsidiary_id} is not the shop's ERP "
                f"subsidiary ({known[shop_id].erp_subsidiary_id}, shops file)",
            )
        policies[shop_id] = policy
    if not policies:
        reader.fail(shops_node, "no shops (list each shop under 'shops')")
    return Policy(source=source, shops=policies, shops_line=shops_key.start_mark.line + 1)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: Node, message: str) -> NoReturn:
        raise PolicyError(f"{self.source}:{node.start_mark.line + 1}: {message}")

    def mapping(self, node: Node, what: str) -> Iterator[tuple[str, tuple[Node, Node]]]:
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what} must be a mapping of keys to values")
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != STR_TAG:
                self.fail(key_node, f"a key of {what} must be a name")
            key = str(key_node.value)
            if key in seen:
                self.fail(key_node, f"{key!r} is given twice in {what}")
            seen.add(key)
            yield key, (key_node, value_node)

    def shop(self, shop_id: str, node: Node) -> ShopPolicy:
        where = f"shop {shop_id!r}"
        entries = dict(self.mapping(node, where))
        for key, (key_node, _) in entries.items():
            if key not in SHOP_KEYS:
                self.fail(key_node, f"{where}: unknown key {key!r} (keys: {', '.join(SHOP_KEYS)})")
        if "subsidiary_id" not in entries:
            self.fail(node, f"{where}: no subsidiary_id (the shop's ERP subsidiary)")
        subsidiary = self.subsidiary(entries["subsidiary_id"][1], where)
        rounding = DEFAULT_ROUNDING_TOLERANCE
        if "rounding_tolerance" in entries:
            rounding = self.amount(entries["rounding_tolerance"][1], f"{where}: rounding_tolerance")
        threshold = DEFAULT_AUTO_POST_THRESHOLD
        if "auto_post_threshold" in entries:
            threshold = self.amount(
                entries["auto_post_threshold"][1], f"{where}: auto_post_threshold"
            )
        lists: dict[Route, tuple[str, ...]] = dict(DEFAULT_LISTS)
        given: dict[tuple[Route, str], Node] = {}
        for key, route in LIST_KEYS.items():
            if key in entries:
                kinds = self.kinds(entries[key][1], f"{where}: {key}")
                lists[route] = tuple(kind for kind, _ in kinds)
                for kind, kind_node in kinds:
                    given[(route, kind)] = kind_node
        self.check_disjoint(lists, given, where)
        accounts = Accounts()
        if "accounts" in entries:
            accounts = self.accounts(entries["accounts"][1], where)
        return ShopPolicy(
            shop_id=shop_id,
            subsidiary_id=subsidiary,
            rounding_tolerance=rounding,
            auto_post_threshold=threshold,
            auto_post=lists["auto"],
            approval=lists["approval"],
            never=lists["never"],
            accounts=accounts,
        )

    def subsidiary(self, node: Node, where: str) -> str:
        if (
            not isinstance(node, ScalarNode)
            or node.tag not in (STR_TAG, INT_TAG)
            or not SUBSIDIARY_ID_PATTERN.fullmatch(str(node.value))
        ):
            self.fail(
                node,
                f'{where}: subsidiary_id must be a NetSuite internal id (an integer, e.g. "1")',
            )
        return str(node.value)

    def amount(self, node: Node, what: str) -> Decimal:
        """A non-negative amount of at most two decimals, read exactly from the file's text."""
        if not isinstance(node, ScalarNode) or node.tag not in (STR_TAG, INT_TAG, FLOAT_TAG):
            self.fail(node, f"{what} must be an amount such as 0.05")
        text = str(node.value).strip()
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.fail(node, f"{what}: {text!r} is not a number")
        if value < 0:
            self.fail(node, f"{what}: {text} is negative")
        if value > MAX_AMOUNT:
            self.fail(node, f"{what}: {text} is too large")
        if value != value.quantize(CENT, rounding=ROUND_DOWN):
            self.fail(node, f"{what}: {text} has more than two decimals")
        return value.quantize(CENT)

    def kinds(self, node: Node, what: str) -> list[tuple[str, Node]]:
        if not isinstance(node, SequenceNode):
            self.fail(node, f"{what} must be a list of exception kinds")
        kinds: list[tuple[str, Node]] = []
        seen: set[str] = set()
        for item in node.value:
            if not isinstance(item, ScalarNode) or item.tag != STR_TAG:
                self.fail(item, f"{what}: each entry must be an exception kind")
            kind = str(item.value)
            if not KIND_PATTERN.fullmatch(kind):
                self.fail(item, f"{what}: {kind!r} is not a kind (lower case, digits, _ and *)")
            if "*" in kind:
                if not any(fnmatchcase(known, kind) for known in KNOWN_KINDS):
                    self.fail(item, f"{what}: pattern {kind!r} matches no exception kind")
            elif kind not in KNOWN_KINDS:
                self.fail(item, f"{what}: unknown exception kind {kind!r} (docs/finance.md)")
            if kind in seen:
                self.fail(item, f"{what}: {kind!r} is listed twice")
            seen.add(kind)
            kinds.append((kind, item))
        return kinds

    def check_disjoint(
        self,
        lists: dict[Route, tuple[str, ...]],
        given: dict[tuple[Route, str], Node],
        where: str,
    ) -> None:
        names = {"auto": "auto_post", "approval": "approval", "never": "never"}
        placed: dict[str, Route] = {}
        # The lists written in the file first, so a clash with a default names the file's line.
        order = sorted(
            ((route, kind) for route in LISTS for kind in lists[route]),
            key=lambda item: (
                item not in given,
                given[item].start_mark.line if item in given else 0,
            ),
        )
        for route, kind in order:
            other = placed.get(kind)
            if other is not None and other != route:
                # `other` was placed first, so it is in the file whenever `route` is.
                if (route, kind) in given:
                    node, defaulted = given[(route, kind)], ""
                else:
                    node = given[(other, kind)]
                    defaulted = " (by default; give that list for this shop too)"
                self.fail(
                    node,
                    f"{where}: {kind!r} is in both {names[other]} and {names[route]}{defaulted}",
                )
            placed[kind] = route

    def accounts(self, node: Node, where: str) -> Accounts:
        values = dict(DEFAULT_ACCOUNTS)
        for key, (key_node, value_node) in self.mapping(node, f"{where}: accounts"):
            if key not in DEFAULT_ACCOUNTS:
                self.fail(
                    key_node,
                    f"{where}: accounts: unknown key {key!r} (keys: {', '.join(DEFAULT_ACCOUNTS)})",
                )
            if (
                not isinstance(value_node, ScalarNode)
                or value_node.tag not in (STR_TAG, INT_TAG)
                or not ACCOUNT_PATTERN.fullmatch(str(value_node.value))
            ):
                self.fail(value_node, f"{where}: accounts: {key} must be an account number")
            values[key] = str(value_node.value)
        if values["inventory"] == values["inventory_adjustment"]:
            self.fail(node, f"{where}: accounts: inventory and inventory_adjustment are the same")
        return Accounts(**values)
