"""Bad configuration is refused before any run starts: one line naming the setting, exit 1, no
traceback; configuration errors met inside a run fail the step once, never retried."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from retail_sync.cli import main
from retail_sync.defs.settlement.schedules import lookback_days
from retail_sync.settings import SettingsError
from retail_sync_tests.conftest import TINY_WORLD

SANDBOX_NETSUITE = {
    "NETSUITE_ACCOUNT_ID": "1234567_SB1",
    "NETSUITE_BASE_URL": "http://127.0.0.1:9",
    "NETSUITE_CONSUMER_KEY": "key",
    "NETSUITE_CONSUMER_SECRET": "secret",
    "NETSUITE_TOKEN_ID": "token",
    "NETSUITE_TOKEN_SECRET": "token-secret",
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home with the tiny world's shops, their tokens and a NetSuite configuration."""
    home = tmp_path / "home"
    home.mkdir()
    shops = json.loads((TINY_WORLD / "shopify" / "shops.json").read_text(encoding="utf-8"))
    for shop in shops:
        variable = f"TEST_TOKEN_{shop['id'].upper().replace('-', '_')}"
        monkeypatch.setenv(variable, shop.pop("access_token"))
        shop["access_token_variable"] = variable
    (home / "shops.json").write_text(json.dumps(shops), encoding="utf-8")
    for name in [name for name in os.environ if name.startswith("NETSUITE_")]:
        monkeypatch.delenv(name)
    for name, value in SANDBOX_NETSUITE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("RETAIL_SYNC_SHOPS", raising=False)
    monkeypatch.setenv("RETAIL_SYNC_HOME", str(home))
    return home


def _ingest(home: Path, *extra: str, start: str = "2026-10-31", end: str = "2026-11-01") -> int:
    return main(["ingest", "--home", str(home), "--start", start, "--end", end, *extra])


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    error = capsys.readouterr().err.strip()
    assert "Traceback" not in error
    lines = [line for line in error.splitlines() if line.startswith("retail-sync: error:")]
    assert len(lines) == 1, error
    return lines[0]


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("RETAIL_SYNC_LOOKBACK_DAYS", "abc", "RETAIL_SYNC_LOOKBACK_DAYS"),
        ("RETAIL_SYNC_LOOKBACK_DAYS", "61", "RETAIL_SYNC_LOOKBACK_DAYS"),
        ("NETSUITE_ACCOUNT_ID", "", "NETSUITE_ACCOUNT_ID"),
        ("NETSUITE_MAX_ATTEMPTS", "many", "NETSUITE_MAX_ATTEMPTS"),
        ("TEST_TOKEN_ALPEN_SUPPLY", "", "TEST_TOKEN_ALPEN_SUPPLY"),
    ],
)
def test_a_bad_setting_stops_before_any_run(
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    named: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert _ingest(home) == 1
    assert named in _one_line_error(capsys)
    # Nothing ran: no instance, no lake.
    assert not (home / "lake").exists()
    assert not (home / "dagster_home" / "history").exists()


def test_a_date_outside_the_partitions_is_refused(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _ingest(home, start="2020-01-01", end="2020-01-02") == 1
    assert "--start 2020-01-01 is outside the business dates" in _one_line_error(capsys)
    assert _ingest(home, start="2026-10-31", end="2099-01-01") == 1
    assert "--end 2099-01-01 is outside" in _one_line_error(capsys)


def test_an_unknown_shop_is_refused(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _ingest(home, "--shop", "nowhere") == 1
    assert "unknown shop(s) nowhere" in _one_line_error(capsys)


def test_an_empty_shops_file_is_an_error(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (home / "shops.json").write_text("[]", encoding="utf-8")
    assert _ingest(home) == 1
    assert "shops" in _one_line_error(capsys)


def test_a_home_that_is_a_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI exports --home as RETAIL_SYNC_HOME: set it here so monkeypatch restores it.
    monkeypatch.setenv("RETAIL_SYNC_HOME", str(tmp_path))
    file = tmp_path / "not-a-folder"
    file.write_text("x", encoding="utf-8")
    assert main(["runs", "--home", str(file), "recover"]) == 1
    assert "names a file, not a folder" in _one_line_error(capsys)


def test_a_first_business_date_that_is_not_a_date_is_one_line(home: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "retail_sync.cli", "ingest", "--home", str(home),
         "--start", "2026-10-31", "--end", "2026-11-01"],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ) | {"RETAIL_SYNC_FIRST_BUSINESS_DATE": "garbage"},
    )  # fmt: skip
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip() == (
        "retail-sync: error: RETAIL_SYNC_FIRST_BUSINESS_DATE='garbage' is not a YYYY-MM-DD date"
    )


def test_lookback_days_reads_a_whole_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAIL_SYNC_LOOKBACK_DAYS", " 7 ")
    assert lookback_days() == 7
    monkeypatch.setenv("RETAIL_SYNC_LOOKBACK_DAYS", "-1")
    with pytest.raises(SettingsError, match="0 to 60"):
        lookback_days()


def test_a_configuration_error_inside_a_run_is_not_retried(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ERP steps of a run with no NetSuite account fail once, at set-up, without retries."""
    from retail_sync.definitions import build_definitions
    from retail_sync.defs.erp import assets as erp_assets
    from retail_sync.defs.partitions import SHOP_PARTITIONS
    from retail_sync.settings import Paths

    monkeypatch.delenv("NETSUITE_ACCOUNT_ID")
    definitions = build_definitions(Paths(home))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(SHOP_PARTITIONS, ["north-outfitters"])
        result = dg.materialize(
            dg.load_assets_from_modules([erp_assets]),
            instance=instance,
            partition_key="2026-10-31|north-outfitters",
            resources=dict(definitions.resources or {}),
            raise_on_error=False,
        )
    assert not result.success
    retried = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    assert retried == []
    # The run fails while setting up its resources, before any step starts, naming the setting.
    assert not [event for event in result.all_events if event.is_step_start]
    failures = [
        event
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE
        and "NETSUITE_ACCOUNT_ID is not set" in str(event.event_specific_data)
    ]
    assert failures


def test_a_bad_policy_file_is_refused_with_its_line_before_a_run(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retail_sync.defs.preflight import check_configuration
    from retail_sync.journals.policy import PolicyError
    from retail_sync.settings import Paths

    paths = Paths.from_environment()
    check_configuration(paths)  # no policy file: the defaults, nothing to refuse
    (home / "journals.yaml").write_text(
        'shops:\n  north-outfitters:\n    subsidiary_id: "1"\n    rounding_tolerance: "0.051"\n',
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match=r"journals\.yaml:4: "):
        check_configuration(paths)
    elsewhere = home / "policy" / "corrections.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text("shops: [1]\n", encoding="utf-8")
    monkeypatch.setenv("RETAIL_SYNC_POLICY_FILE", str(elsewhere))
    with pytest.raises(PolicyError, match=r"corrections\.yaml:1: "):
        check_configuration(Paths.from_environment())
    # Ingest does not read the policy: a broken one does not stop it.
    check_configuration(Paths.from_environment(), policy=False)
