"""Named, seeded fault profiles for the Shopify simulator (documented in docs/sandbox-shopify.md).

Every random choice is derived from `(seed, what, key)` with a hash, not from a shared random
stream, so the same record is malformed the same way on every page and in every bulk file, and a
run against one client is repeatable.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class FaultProfile:
    """What a profile does; every knob defaults to "off"."""

    name: str
    description: str
    bucket_scale: float = 1.0
    """Multiplies the bucket size (`maximumAvailable`)."""
    neighbour_drain: float = 0.0
    """A noisy neighbour app consuming this fraction of the restore rate, every second."""
    error_5xx_rate: float = 0.0
    error_429_rate: float = 0.0
    latency_ms: tuple[int, int] = (0, 0)
    duplicate_rate: float = 0.0
    """Chance a page re-serves the last records of the previous page (and a bulk line repeats)."""
    malformed_rate: float = 0.0
    """Chance an order / balance transaction / payout is served with a broken value."""
    bulk_stall: bool = False
    bulk_fail_rate: float = 0.0
    webhook_duplicate_rate: float = 0.0


PROFILES: dict[str, FaultProfile] = {
    profile.name: profile
    for profile in (
        FaultProfile("none", "A well-behaved shop."),
        FaultProfile(
            "throttle-pressure",
            "A bucket a tenth the usual size, half its restore rate eaten by another app.",
            bucket_scale=0.1,
            neighbour_drain=0.5,
        ),
        FaultProfile(
            "flaky",
            "10% of requests answer a 5xx (500/502/503), 10% an HTTP 429 with Retry-After.",
            error_5xx_rate=0.1,
            error_429_rate=0.1,
        ),
        FaultProfile("slow", "Every response is delayed 50–250 ms.", latency_ms=(50, 250)),
        FaultProfile(
            "duplicates",
            "30% of pages re-serve records from the previous page; 5% of bulk lines repeat; 50% "
            "of webhooks are delivered twice with the same X-Shopify-Event-Id.",
            duplicate_rate=0.3,
            webhook_duplicate_rate=0.5,
        ),
        FaultProfile(
            "malformed",
            "5% of orders, balance transactions and payouts carry a null or non-numeric amount, a "
            "bad currency code or an unparseable date.",
            malformed_rate=0.05,
        ),
        FaultProfile(
            "bulk-stall",
            "Bulk operations reach RUNNING, report a little progress and never finish.",
            bulk_stall=True,
        ),
        FaultProfile(
            "bulk-fail",
            "Bulk operations end FAILED (INTERNAL_SERVER_ERROR) halfway, with a partialDataUrl.",
            bulk_fail_rate=1.0,
        ),
    )
}
PROFILES["hostile"] = replace(
    PROFILES["throttle-pressure"],
    name="hostile",
    description="Everything at once: throttle-pressure, flaky, slow (10–60 ms), duplicates, "
    "malformed, and half the bulk operations failing.",
    error_5xx_rate=0.05,
    error_429_rate=0.05,
    latency_ms=(10, 60),
    duplicate_rate=0.3,
    webhook_duplicate_rate=0.5,
    malformed_rate=0.05,
    bulk_fail_rate=0.5,
)


def get_profile(name: str) -> FaultProfile:
    """The profile called `name`; raise with the known names otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown fault profile {name!r}; known: {known}") from None


def chance(seed: int, what: str, key: object) -> float:
    """A deterministic number in [0, 1) for `(seed, what, key)`."""
    digest = hashlib.blake2b(f"{seed}|{what}|{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


MALFORMATIONS = ("null_amount", "non_numeric_amount", "bad_currency", "bad_date")


@dataclass
class Faults:
    """A profile bound to a seed: the decisions the simulator asks for."""

    profile: FaultProfile
    seed: int = 0
    _counters: dict[str, int] = field(default_factory=dict)

    def next_count(self, what: str) -> int:
        """A per-purpose request counter (not thread-safe by design: callers hold the shop lock)."""
        value = self._counters.get(what, 0)
        self._counters[what] = value + 1
        return value

    def malformation(self, kind: str, record_id: int) -> str | None:
        """Which malformation (if any) record `record_id` of `kind` carries."""
        rate = self.profile.malformed_rate
        if rate <= 0 or chance(self.seed, f"malformed-{kind}", record_id) >= rate:
            return None
        pick = chance(self.seed, f"malformed-how-{kind}", record_id)
        return MALFORMATIONS[int(pick * len(MALFORMATIONS))]

    def malform_order(self, record: dict[str, Any]) -> dict[str, Any]:
        how = self.malformation("order", int(record["id"]))
        if how is None:
            return record
        broken = copy.deepcopy(record)
        if how == "null_amount":
            broken["total_price"]["shop"] = None
        elif how == "non_numeric_amount":
            broken["total_price"]["shop"] = "12,50"
            if broken.get("line_items"):
                broken["line_items"][0]["unit_price"]["presentment"] = "N/A"
        elif how == "bad_currency":
            broken["currency"] = "US$"
            broken["presentment_currency"] = "usd"
        else:
            broken["processed_at"] = "2026-13-45T25:61:00"
        return broken

    def malform_money_record(
        self, kind: str, record: dict[str, Any], amount_key: str
    ) -> dict[str, Any]:
        how = self.malformation(kind, int(record["id"]))
        if how is None:
            return record
        broken = dict(record)
        if how == "null_amount":
            broken[amount_key] = None
        elif how == "non_numeric_amount":
            broken[amount_key] = "1.234.56"
        elif how == "bad_currency":
            broken["currency"] = "XXX1"
        else:
            date_key = "transaction_date" if "transaction_date" in record else "issued_at"
            broken[date_key] = "yesterday"
        return broken

    def rng_chance(self, what: str, key: object) -> float:
        """A deterministic number in [0, 1) for this profile's seed."""
        return chance(self.seed, what, key)
