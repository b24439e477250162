"""Resources shared by every domain: the lake, the DuckDB warehouse and the sandbox world."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from retail_sync.sandbox.world import World
from retail_sync.warehouse.lake import Lake


class LakeResource(dg.ConfigurableResource):
    """The Parquet lake: raw and staged partitions, the source of truth for data."""

    root: str

    def lake(self) -> Lake:
        return Lake(Path(self.root))


class SandboxWorldResource(dg.ConfigurableResource):
    """The folder of the sandbox world the simulators serve (the embedded default's data)."""

    path: str

    def world(self) -> World:
        return World.open(self.path)
