"""A built world: Shopify records per shop, ledger entries, ERP on-hand rows and truth rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from retail_sync.sandbox.validate import discrepancy_domain

from .money import money
from .shops import ShopSpec
from .specs import WorldSpec

Line = tuple[str, str, int]  # (account number, "debit" | "credit", cents)
TruthLine = tuple[str, int, str]  # (account number, delta: ERP − rules net debit, ledger date)


def night_after(day: str) -> str:
    """`created` is 02:00 UTC the night after the event's date."""
    return f"{(date.fromisoformat(day) + timedelta(days=1)).isoformat()}T02:00:00Z"


def local_date(stamp: str, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(stamp).astimezone(zone).date().isoformat()


@dataclass
class Entry:
    id: str
    externalid: str | None
    shop: ShopSpec
    token: str
    trandate: str
    memo: str
    lines: list[Line]
    created: str = ""

    def __post_init__(self) -> None:
        if not self.created:
            self.created = night_after(self.trandate)

    @property
    def total(self) -> int:
        return sum(amount for _, side, amount in self.lines if side == "debit")

    def amount(self, account: str, side: str) -> int:
        return sum(a for number, s, a in self.lines if number == account and s == side)

    def net(self) -> dict[str, int]:
        """Per account, debits − credits (accounts netting to zero left out)."""
        nets: dict[str, int] = {}
        for account, side, amount in self.lines:
            nets[account] = nets.get(account, 0) + (amount if side == "debit" else -amount)
        return {account: net for account, net in nets.items() if net}

    def set(self, account: str, side: str, amount: int) -> None:
        """Set the amount of an account on a side: replace its line, add it, or drop it at 0."""
        index = next(
            (i for i, (number, s, _) in enumerate(self.lines) if number == account and s == side),
            None,
        )
        if index is None:
            if amount:
                self.lines.append((account, side, amount))
        elif amount:
            self.lines[index] = (account, side, amount)
        else:
            del self.lines[index]


@dataclass
class ShopState:
    spec: ShopSpec
    orders: list[dict[str, Any]] = field(default_factory=list)
    balance: list[dict[str, Any]] = field(default_factory=list)
    payouts: list[dict[str, Any]] = field(default_factory=list)
    levels: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Discrepancy:
    """One truth row without its id, kind and shop (see docs/sandbox.md, "Ground truth"), and
    its lines: the delta it leaves per account and ledger date (none zero)."""

    shopify_ref: str
    erp_ref: str
    account: str
    variance: str
    business_date: str
    note: str
    counter_account: str = ""
    lines: tuple[TruthLine, ...] = ()


def by_account_and_date(line: TruthLine) -> tuple[str, str]:
    return line[0], line[2]


@dataclass
class Built:
    spec: WorldSpec
    shops: list[ShopState]
    entries: list[Entry]
    on_hand: list[dict[str, Any]]
    truth: list[dict[str, str]] = field(default_factory=list)
    truth_lines: list[dict[str, str]] = field(default_factory=list)
    name: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or self.spec.name
        self.description = self.description or self.spec.description

    def order(self, order_id: int) -> tuple[ShopState, dict[str, Any]]:
        return self._find("orders", lambda order: order["id"] == order_id, order_id)

    def charge_of(self, order_id: int) -> tuple[ShopState, dict[str, Any]]:
        return self._find(
            "balance",
            lambda row: row["type"] == "CHARGE" and row["associated_order_id"] == order_id,
            order_id,
        )

    def payout(self, payout_id: int) -> tuple[ShopState, dict[str, Any]]:
        return self._find("payouts", lambda payout: payout["id"] == payout_id, payout_id)

    def _find(
        self, records: str, wanted: Callable[[dict[str, Any]], bool], key: int
    ) -> tuple[ShopState, dict[str, Any]]:
        for state in self.shops:
            for record in getattr(state, records):
                if wanted(record):
                    return state, record
        raise KeyError(key)

    def entry(self, externalid: str) -> Entry:
        return next(entry for entry in self.entries if entry.externalid == externalid)

    def remove_entry(self, externalid: str) -> Entry:
        entry = self.entry(externalid)
        self.entries.remove(entry)
        return entry

    def next_entry_id(self) -> str:
        return str(max(int(entry.id) for entry in self.entries) + 1)

    def add_truth(self, kind: str, shop: ShopSpec, discrepancy: Discrepancy) -> None:
        domain = discrepancy_domain(kind)
        assert domain is not None, kind
        discrepancy_id = f"{self.name}-{len(self.truth) + 1}"
        self.truth.append(
            {
                "discrepancy_id": discrepancy_id,
                "kind": kind,
                "domain": domain,
                "shop_id": shop.id,
                "shopify_ref": discrepancy.shopify_ref,
                "erp_ref": discrepancy.erp_ref,
                "account": discrepancy.account,
                "counter_account": discrepancy.counter_account,
                "expected_variance": discrepancy.variance,
                "currency": "" if kind == "inventory_on_hand_mismatch" else shop.currency,
                "business_date": discrepancy.business_date,
                "note": discrepancy.note,
            }
        )
        for account, delta, ledger_date in sorted(discrepancy.lines, key=by_account_and_date):
            assert delta, (kind, account)
            self.truth_lines.append(
                {
                    "discrepancy_id": discrepancy_id,
                    "account": account,
                    "delta": money(delta),
                    "ledger_date": ledger_date,
                }
            )


class Ids:
    """Shopify ids, unique per entity type across the world, handed out in build order."""

    def __init__(self) -> None:
        self.next = {
            "LineItem": 2000001,
            "Refund": 3000001,
            "RefundLineItem": 3100001,
            "RefundShippingLine": 3200001,
            "OrderTransaction": 4000001,
            "ShopifyPaymentsBalanceTransaction": 5000001,
            "ShopifyPaymentsPayout": 6000001,
        }

    def take(self, entity: str) -> int:
        value = self.next[entity]
        self.next[entity] += 1
        return value
