"""The nightly schedule asks for one run over the lookback for every registered shop; the shop
registry sensor registers the shops file's shops once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from retail_sync.defs.partitions import SHOP_PARTITIONS
from retail_sync.defs.resources import ShopsResource
from retail_sync.defs.settlement.schedules import (
    nightly_settlement_schedule,
    shop_registry_sensor,
)
from retail_sync_tests.conftest import TINY_WORLD


def test_schedule_skips_without_shops() -> None:
    with (
        dg.instance_for_test() as instance,
        dg.build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2026, 11, 5, 2, 30, tzinfo=UTC)
        ) as context,
    ):
        assert isinstance(nightly_settlement_schedule(context), dg.SkipReason)


def test_schedule_covers_the_lookback_for_every_shop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAIL_SYNC_LOOKBACK_DAYS", "3")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(SHOP_PARTITIONS, ["alpen-supply", "north-outfitters"])
        with dg.build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2026, 11, 5, 2, 30, tzinfo=UTC)
        ) as context:
            request = nightly_settlement_schedule(context)
    assert isinstance(request, dg.RunRequest)
    assert request.run_key == "nightly-2026-11-05"
    assert request.tags["dagster/asset_partition_range_start"] == "2026-11-02|alpen-supply"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-11-05|north-outfitters"


def test_registry_sensor_adds_new_shops_once(tmp_path: Path) -> None:
    shops_file = tmp_path / "shops.json"
    shops_file.write_text((TINY_WORLD / "shopify" / "shops.json").read_text())
    expected = sorted(shop["id"] for shop in json.loads(shops_file.read_text()))
    with (
        dg.instance_for_test() as instance,
        dg.build_sensor_context(
            instance=instance, resources={"shops": ShopsResource(path=str(shops_file))}
        ) as context,
    ):
        result = shop_registry_sensor(context)
        assert isinstance(result, dg.SensorResult)
        (request,) = result.dynamic_partitions_requests or []
        assert sorted(request.partition_keys or []) == expected
        instance.add_dynamic_partitions(SHOP_PARTITIONS, expected)
        assert isinstance(shop_registry_sensor(context), dg.SkipReason)
