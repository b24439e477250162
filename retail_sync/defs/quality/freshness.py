"""Freshness policies on the ingested (raw) assets.

The nightly settlement runs at 02:30 UTC; a raw asset not materialized for 26 hours warns (one
nightly missed its slot), for 30 hours fails (the night's data never arrived).
"""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import dagster as dg

INGESTED_PREFIX = "raw"
FAIL_AFTER = timedelta(hours=30)
WARN_AFTER = timedelta(hours=26)
INGESTED_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=FAIL_AFTER, warn_window=WARN_AFTER)


def _is_ingested(key: dg.AssetKey) -> bool:
    return key.path[0] == INGESTED_PREFIX


def with_freshness_policies(
    assets: Iterable[Any],
) -> list[Any]:
    """`assets`, with `INGESTED_FRESHNESS` on every raw asset (others unchanged)."""

    def apply(spec: dg.AssetSpec) -> dg.AssetSpec:
        if _is_ingested(spec.key) and spec.freshness_policy is None:
            return spec.replace_attributes(freshness_policy=INGESTED_FRESHNESS)
        return spec

    result: list[Any] = []
    for asset in assets:
        if isinstance(asset, dg.AssetsDefinition) and any(_is_ingested(key) for key in asset.keys):
            result.append(asset.map_asset_specs(apply))
        else:
            result.append(asset)
    return result
