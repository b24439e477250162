"""`retail-sync sandbox serve`: both simulators up on free loopback ports, answering their real
protocols, stopped cleanly by SIGTERM; a bad fault profile is a one-line error."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from retail_sync.erp.netsuite import NetSuiteClient, NetSuiteConfig, NetSuiteERP
from retail_sync.sandbox.netsuite import SANDBOX_CREDENTIALS
from retail_sync_tests.conftest import TINY_WORLD

pytestmark = pytest.mark.e2e


def test_serve_answers_both_protocols_and_stops_on_sigterm(tmp_path: Path) -> None:
    world = tmp_path / "world"
    shutil.copytree(TINY_WORLD, world)
    process = subprocess.Popen(
        [sys.executable, "-m", "retail_sync.cli", "sandbox", "serve", "--world", str(world)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Serving"):
                break
        text = "".join(lines)
        shopify_url = re.search(r"Shopify\s+(http://[\d.]+:\d+)", text)
        netsuite_url = re.search(r"NetSuite\s+(http://[\d.]+:\d+)", text)
        assert shopify_url and netsuite_url, text + process.stderr.read()  # type: ignore[union-attr]

        answer = httpx.post(
            f"{shopify_url.group(1)}/admin/api/2026-01/graphql.json",
            headers={"X-Shopify-Access-Token": "shpat_sandbox_alpen"},
            json={"query": "{ shop { currencyCode ianaTimezone } }"},
        ).json()
        assert answer["data"]["shop"] == {"currencyCode": "EUR", "ianaTimezone": "Europe/Berlin"}

        environment = SANDBOX_CREDENTIALS.environment(netsuite_url.group(1))
        erp = NetSuiteERP(NetSuiteClient(NetSuiteConfig.from_env(environment)))
        assert {account.number for account in erp.accounts()} >= {"1205", "4000", "2200"}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
    assert process.returncode == 0
    assert (world / ".netsuite-state").is_dir()


def test_an_unknown_fault_profile_is_one_line(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "retail_sync.cli", "sandbox", "serve", "--world", str(TINY_WORLD),
         "--faults", "no-such-profile", "--state-dir", str(tmp_path / "state")],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert completed.returncode == 1
    assert len(completed.stderr.strip().splitlines()) == 1, completed.stderr
    assert "no-such-profile" in completed.stderr
