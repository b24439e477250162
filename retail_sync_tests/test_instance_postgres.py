"""The production dagster.yaml validates and runs on PostgreSQL: a real asset's materialization
lands in a fresh database (dagster-postgres) and is read back from that database."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config
from dagster._serdes import deserialize_value

from retail_sync.defs.resources import LakeResource, SandboxWorldResource
from retail_sync.defs.sandbox.assets import sandbox_discrepancy_truth
from retail_sync_tests.conftest import REPOSITORY, TINY_WORLD, PostgresDatabase

pytestmark = pytest.mark.postgres


def _instance_home(tmp_path: Path, text: str | None = None) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    source = (REPOSITORY / "dagster.yaml").read_text(encoding="utf-8")
    (home / "dagster.yaml").write_text(text if text is not None else source, encoding="utf-8")
    return home


def _point_at(monkeypatch: pytest.MonkeyPatch, database: PostgresDatabase) -> None:
    monkeypatch.setenv("DAGSTER_PG_HOST", database.host)
    monkeypatch.setenv("DAGSTER_PG_PORT", str(database.port))
    monkeypatch.setenv("DAGSTER_PG_USER", database.user)
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", database.password or "unused-with-trust-auth")
    monkeypatch.setenv("DAGSTER_PG_DB", database.name)


def test_production_config_passes_dagster_validation(tmp_path: Path) -> None:
    config, _ = dagster_instance_config(str(_instance_home(tmp_path)))
    assert config["storage"]["postgres"]["postgres_db"]["scheme"] == "postgresql+psycopg2"
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["run_retries"]["enabled"] is True


def test_validation_rejects_a_broken_config(tmp_path: Path) -> None:
    # The validation above is only meaningful if a wrong value is refused.
    broken = (
        (REPOSITORY / "dagster.yaml")
        .read_text(encoding="utf-8")
        .replace("max_concurrent_runs: 4", "max_concurrent_runs: four")
    )
    with pytest.raises(DagsterInvalidConfigError, match="max_concurrent_runs"):
        dagster_instance_config(str(_instance_home(tmp_path, broken)))


def test_instance_from_production_config_uses_postgres(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_database: PostgresDatabase
) -> None:
    _point_at(monkeypatch, postgres_database)
    with dg.DagsterInstance.from_config(str(_instance_home(tmp_path))) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"


def test_materialization_is_stored_in_postgres(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_database: PostgresDatabase
) -> None:
    _point_at(monkeypatch, postgres_database)
    world = tmp_path / "world"
    shutil.copytree(TINY_WORLD, world)
    truth_rows = (
        sum(1 for line in (world / "truth" / "discrepancies.csv").open() if line.strip()) - 1
    )
    assert truth_rows > 0

    with dg.DagsterInstance.from_config(str(_instance_home(tmp_path))) as instance:
        result = dg.materialize(
            [sandbox_discrepancy_truth],
            instance=instance,
            resources={
                "lake": LakeResource(root=str(tmp_path / "lake")),
                "sandbox": SandboxWorldResource(path=str(world)),
            },
        )
        assert result.success
        run_id = result.run_id

    # Read the event straight from the database, not through the instance that wrote it.
    with postgres_database.connect() as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT event FROM event_logs WHERE run_id = %s AND dagster_event_type = %s",
            (run_id, "ASSET_MATERIALIZATION"),
        )
        rows = cursor.fetchall()
    assert len(rows) == 1
    entry = deserialize_value(rows[0][0], dg.EventLogEntry)
    materialization = entry.asset_materialization
    assert materialization is not None
    assert materialization.asset_key == dg.AssetKey("sandbox_discrepancy_truth")
    assert materialization.metadata["dagster/row_count"].value == truth_rows
