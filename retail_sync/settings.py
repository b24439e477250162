"""Where retail_sync keeps its files on this machine, resolved once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from retail_sync.errors import ConfigurationError

HOME_ENV = "RETAIL_SYNC_HOME"
SHOPS_ENV = "RETAIL_SYNC_SHOPS"
POLICY_FILE_ENV = "RETAIL_SYNC_POLICY_FILE"
DEFAULT_HOME = ".retail_sync"


class SettingsError(ConfigurationError):
    """A setting (environment variable or option) has a value retail_sync cannot use."""


@dataclass(frozen=True)
class Paths:
    """The embedded default's folders, all under one home (`RETAIL_SYNC_HOME`)."""

    home: Path
    shops_override: Path | None = None

    @classmethod
    def from_environment(cls) -> Paths:
        shops = os.environ.get(SHOPS_ENV)
        home = Path(os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser().absolute()
        if home.exists() and not home.is_dir():
            raise SettingsError(f"{HOME_ENV} (or --home) names a file, not a folder: {home}")
        return cls(home, Path(shops).expanduser().absolute() if shops else None)

    @property
    def shops_file(self) -> Path:
        """The shops file: `RETAIL_SYNC_SHOPS`, default `<home>/shops.json`."""
        return self.shops_override or self.home / "shops.json"

    @property
    def lake(self) -> Path:
        return self.home / "lake"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def policy_file(self) -> Path:
        """The correction policy (docs/journals.md): `RETAIL_SYNC_POLICY_FILE`, else
        `<home>/journals.yaml`; absent, the defaults for every shop."""
        override = os.environ.get(POLICY_FILE_ENV)
        return Path(override).expanduser().absolute() if override else self.home / "journals.yaml"

    @property
    def world(self) -> Path:
        return self.home / "world"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster_home"
