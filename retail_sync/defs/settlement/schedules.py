"""The nightly settlement schedule (with its lookback) and the sensor that registers shops."""

import os
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from retail_sync.defs.keys import partition_key
from retail_sync.defs.partitions import SHOP_PARTITIONS
from retail_sync.defs.resources import ShopsResource
from retail_sync.defs.settlement.jobs import NIGHTLY_SETTLEMENT_JOB
from retail_sync.settings import SettingsError

LOOKBACK_ENV = "RETAIL_SYNC_LOOKBACK_DAYS"
DEFAULT_LOOKBACK_DAYS = 3


def lookback_days() -> int:
    """Days re-read before the newest one: Shopify orders change for up to 60 days."""
    value = os.environ.get(LOOKBACK_ENV) or str(DEFAULT_LOOKBACK_DAYS)
    try:
        days = int(value.strip())
    except ValueError:
        days = -1
    if not 0 <= days <= 60:
        raise SettingsError(f"{LOOKBACK_ENV}={value!r}: expected a whole number of days, 0 to 60")
    return days


def settlement_range_tags(first: date, last: date, shops: Sequence[str]) -> dict[str, str]:
    """Run tags covering business dates first..last for every shop, in one run.

    A range over the dynamic shop dimension follows the order shops were registered in, so it
    spans the registry's first and last shop.
    """
    return {
        "dagster/asset_partition_range_start": partition_key(first, shops[0]),
        "dagster/asset_partition_range_end": partition_key(last, shops[-1]),
    }


@dg.schedule(
    job_name=NIGHTLY_SETTLEMENT_JOB,
    cron_schedule="30 2 * * *",
    execution_timezone="UTC",
    description="Every night: re-read the last few business dates (the lookback) for every shop, "
    "in one run, then reconcile and report.",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def nightly_settlement_schedule(
    context: dg.ScheduleEvaluationContext,
) -> dg.RunRequest | dg.SkipReason:
    shops = context.instance.get_dynamic_partitions(SHOP_PARTITIONS)
    if not shops:
        return dg.SkipReason("no shops registered yet (the shop registry sensor adds them)")
    # Up to the run's own UTC date: a shop west of UTC is still in the previous day at 02:30
    # UTC, so its newest complete day is re-read by the lookback of the following night.
    scheduled = context.scheduled_execution_time or datetime.now(UTC)
    newest = scheduled.astimezone(UTC).date()
    oldest = newest - timedelta(days=lookback_days())
    return dg.RunRequest(
        run_key=f"nightly-{newest.isoformat()}",
        tags=settlement_range_tags(oldest, newest, shops),
    )


@dg.sensor(
    minimum_interval_seconds=300,
    description="Registers every shop of the shops file as a partition of the shop dimension.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def shop_registry_sensor(
    context: dg.SensorEvaluationContext, shops: ShopsResource
) -> dg.SensorResult | dg.SkipReason:
    configured = sorted(shops.shops())
    known = set(context.instance.get_dynamic_partitions(SHOP_PARTITIONS))
    new = [shop for shop in configured if shop not in known]
    if not new:
        return dg.SkipReason(f"all {len(configured)} shops already registered")
    return dg.SensorResult(
        dynamic_partitions_requests=[dg.AddDynamicPartitionsRequest(SHOP_PARTITIONS, new)]
    )
