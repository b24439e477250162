"""Which partitions of a suite's table the lake holds, read from its `shop=/date=` folders."""

from __future__ import annotations

from retail_sync.quality.expectations import Suite
from retail_sync.quality.runner import PartitionRef
from retail_sync.warehouse.lake import Lake


def latest_partitions(lake: Lake, suite: Suite) -> list[PartitionRef]:
    """The newest landed business date of each shop (for a check run outside a partitioned run)."""
    root = lake.entity_dir(suite.zone, suite.source, suite.entity)
    refs = []
    for shop in sorted(root.glob("shop=*")):
        dates = sorted(path.name.removeprefix("date=") for path in shop.glob("date=*"))
        if dates:
            refs.append(PartitionRef(shop=shop.name.removeprefix("shop="), date=dates[-1]))
    return refs
