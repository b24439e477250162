"""The world generator: determinism, every discrepancy kind in the truth, valid worlds,
timezone day boundaries, multi-currency, no-ledger orders, payouts by UTC day, the output-folder
rules and the command-line entry point. Worlds here are small (a few hundred orders) and fast.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from retail_sync.sandbox.generate import add_generate_arguments, generate_world, run_generate
from retail_sync.sandbox.generate.world_generator import day_volume, sale_days
from retail_sync.sandbox.validate import DISCREPANCY_DOMAINS, validate_world
from retail_sync.sandbox.world import World

START = date(2026, 10, 29)  # spans the October/November month end and the US DST change


def small_world(out: Path, seed: int = 5, **overrides: object) -> Path:
    options: dict[str, object] = {
        "seed": seed,
        "start": START,
        "days": 4,
        "orders_per_day": 40,
        "shops": 2,
        "discrepancy_rate": 0.05,
    }
    options.update(overrides)
    generate_world(out, **options)  # type: ignore[arg-type]
    return out


def file_digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def truth_kinds(root: Path) -> Counter[str]:
    with (root / "truth" / "discrepancies.csv").open(newline="", encoding="utf-8") as handle:
        return Counter(row["kind"] for row in csv.DictReader(handle))


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first = file_digests(small_world(tmp_path / "a"))
    second = file_digests(small_world(tmp_path / "b"))
    assert first == second
    assert "shopify/north-outfitters/orders.jsonl" in first


def test_different_seed_gives_a_different_world(tmp_path: Path) -> None:
    first = file_digests(small_world(tmp_path / "a", seed=5))
    second = file_digests(small_world(tmp_path / "b", seed=6))
    assert (
        first["shopify/north-outfitters/orders.jsonl"]
        != (second["shopify/north-outfitters/orders.jsonl"])
    )
    assert first["truth/discrepancies.csv"] != second["truth/discrepancies.csv"]


def test_discrepancy_rate_leaves_the_shopify_side_unchanged(tmp_path: Path) -> None:
    clean = file_digests(small_world(tmp_path / "a", discrepancy_rate=0.0))
    dirty = file_digests(small_world(tmp_path / "b", discrepancy_rate=0.3))
    assert clean["shopify/alpen-supply/orders.jsonl"] == dirty["shopify/alpen-supply/orders.jsonl"]
    assert truth_kinds(tmp_path / "a") == Counter()


def test_every_kind_appears_in_the_truth_at_a_high_rate(tmp_path: Path) -> None:
    out = small_world(
        tmp_path / "w", seed=2, days=6, orders_per_day=80, shops=3, discrepancy_rate=0.5
    )
    kinds = truth_kinds(out)
    assert set(DISCREPANCY_DOMAINS) - set(kinds) == set()


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_worlds_validate(tmp_path: Path, seed: int) -> None:
    out = small_world(tmp_path / "w", seed=seed, shops=4, discrepancy_rate=0.2)
    assert validate_world(out) == []


def test_orders_fall_on_business_dates_in_each_shops_timezone(tmp_path: Path) -> None:
    out = small_world(tmp_path / "w", days=3)
    world = World.open(out)
    peaks = sale_days(5, START, 3)
    for shop in world.shops:
        zone = ZoneInfo(shop["timezone"])
        per_day: Counter[date] = Counter()
        for order in world.shop_records(shop["id"], "orders.jsonl"):
            moment = datetime.fromisoformat(order["processed_at"])
            assert moment.utcoffset() == moment.astimezone(zone).utcoffset()
            per_day[moment.astimezone(zone).date()] += 1
        expected = {
            START + timedelta(days=n): day_volume(
                40, START + timedelta(days=n), START + timedelta(days=n) in peaks
            )
            for n in range(3)
        }
        assert dict(per_day) == expected


def test_shops_have_non_usd_currency_and_foreign_presentment(tmp_path: Path) -> None:
    world = World.open(small_world(tmp_path / "w"))
    currencies = {shop["id"]: shop["currency"] for shop in world.shops}
    assert len(world.shops) == 2 and set(currencies.values()) - {"USD"}
    for shop in world.shops:
        foreign = [
            order
            for order in world.shop_records(shop["id"], "orders.jsonl")
            if order["presentment_currency"] != shop["currency"]
        ]
        assert foreign, shop["id"]
        assert any(
            order["total_price"]["shop"] != order["total_price"]["presentment"] for order in foreign
        )


def test_orders_without_ledger_effect_exist_and_are_not_posted(tmp_path: Path) -> None:
    out = small_world(tmp_path / "w", days=4, orders_per_day=150, discrepancy_rate=0.0)
    world = World.open(out)
    unposted: set[str] = set()
    statuses: Counter[str] = Counter()
    gateways: Counter[str] = Counter()
    for shop in world.shops:
        for order in world.shop_records(shop["id"], "orders.jsonl"):
            statuses[order["financial_status"]] += 1
            gateways.update(tx["gateway"] for tx in order["transactions"])
            if order["test"] or order["financial_status"] in ("VOIDED", "EXPIRED"):
                unposted.add(f"shopify:order:{order['id']}")
            if order["cancelled_at"] is not None:
                assert all(line["current_quantity"] == 0 for line in order["line_items"])
    assert {"VOIDED", "PAID", "PARTIALLY_REFUNDED", "REFUNDED"} <= set(statuses)
    assert {"shopify_payments", "paypal", "manual", "gift_card"} <= set(gateways)
    assert unposted
    posted_tokens = {
        entry["memo"].split()[-1] for entry in world.erp_records("journal_entries.jsonl")
    }
    assert not unposted & posted_tokens


def test_payouts_batch_whole_utc_days_and_some_are_paid(tmp_path: Path) -> None:
    out = small_world(tmp_path / "w", days=6)
    world = World.open(out)
    statuses: Counter[str] = Counter()
    for shop in world.shops:
        days_by_payout: dict[int, set[str]] = {}
        for balance in world.shop_records(shop["id"], "balance_transactions.jsonl"):
            if balance["payout_id"] is not None:
                day = (
                    datetime.fromisoformat(balance["transaction_date"])
                    .astimezone(ZoneInfo("UTC"))
                    .date()
                    .isoformat()
                )
                days_by_payout.setdefault(balance["payout_id"], set()).add(day)
        for payout in world.shop_records(shop["id"], "payouts.jsonl"):
            statuses[payout["status"]] += 1
            assert days_by_payout.get(payout["id"], {payout["batch_date"]}) == {
                payout["batch_date"]
            }
    assert statuses["PAID"] and statuses["SCHEDULED"]


def test_periods_include_closed_and_open_months(tmp_path: Path) -> None:
    world = World.open(small_world(tmp_path / "w"))
    periods = list(world.erp_records("periods.json"))
    assert any(p["closed"] for p in periods)
    assert any(not p["closed"] and not p["alllocked"] for p in periods)


def test_refuses_a_foreign_non_empty_folder_but_replaces_a_previous_world(tmp_path: Path) -> None:
    out = tmp_path / "w"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="refusing to write"):
        small_world(out)
    (out / "notes.txt").unlink()
    small_world(out, seed=5)
    small_world(out, seed=6)  # a previous generated world is replaced
    assert json.loads((out / "world.json").read_text())["seed"] == 6


def test_refuses_to_overwrite_a_hand_written_world(tmp_path: Path) -> None:
    out = tmp_path / "w"
    out.mkdir()
    (out / "world.json").write_text('{"format_version": 1, "name": "mine"}')
    with pytest.raises(ValueError, match="hand-written"):
        small_world(out)


def test_command_line_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_generate_arguments(parser)
    args = parser.parse_args(
        [
            "--out",
            str(tmp_path / "w"),
            "--seed",
            "9",
            "--start",
            "2026-10-05",
            "--days",
            "2",
            "--orders-per-day",
            "10",
        ]
    )
    assert run_generate(args) == 0
    assert "2 shops x 2 days" in capsys.readouterr().out
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.txt").write_text("")
    args.out = tmp_path / "x"
    assert run_generate(args) == 2
    assert "refusing" in capsys.readouterr().err


def test_volumes_peak_on_weekends_and_sale_days() -> None:
    assert day_volume(100, date(2026, 10, 7), False) == 100  # a Wednesday
    assert day_volume(100, date(2026, 10, 10), False) == 130  # a Saturday
    assert day_volume(100, date(2026, 10, 7), True) == 250
    assert {date(2026, 11, 27), date(2026, 11, 30)} <= sale_days(1, date(2026, 11, 20), 14)
