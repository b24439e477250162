"""Who approved, behind an authenticating proxy: a real webserver with `IdentityRunCoordinator`
receives launches over GraphQL (as the UI sends them, the proxy's user header included) and the
submitted runs carry that user — and only that user — in their tags."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import requests
from dagster_graphql import DagsterGraphQLClient

from retail_sync.defs.journals.identity import IDENTITY_SOURCE_TAG, IDENTITY_TAG

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DAGSTER_YAML = """\
telemetry:
  enabled: false
run_coordinator:
  module: retail_sync.defs.journals.identity
  class: IdentityRunCoordinator
  config:
    user_header: X-Auth-Request-Email
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def webserver(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(DAGSTER_YAML)
    port = _free_port()
    environment = os.environ | {
        "DAGSTER_HOME": str(dagster_home),
        "RETAIL_SYNC_HOME": str(tmp_path / "home"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster_webserver", "-m", "retail_sync.definitions",
         "-h", "127.0.0.1", "-p", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(process.stderr.read().decode() if process.stderr else "")
            time.sleep(0.5)  # waiting for a real server to listen, not standing in for a clock
        yield port, dagster_home
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def test_the_proxy_user_reaches_the_run_and_a_forged_tag_does_not(
    webserver: tuple[int, Path],
) -> None:
    port, dagster_home = webserver
    tags = {"dagster/partition": "p0000", IDENTITY_TAG: "mallory", IDENTITY_SOURCE_TAG: "x"}
    signed_in = DagsterGraphQLClient(
        "127.0.0.1", port_number=port, headers={"X-Auth-Request-Email": "carol@example.com"}
    )
    trusted = signed_in.submit_job_execution("approve_journal", tags=tags)
    anonymous = DagsterGraphQLClient("127.0.0.1", port_number=port).submit_job_execution(
        "approve_journal", tags=tags
    )
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        trusted_run = instance.get_run_by_id(trusted)
        anonymous_run = instance.get_run_by_id(anonymous)
    assert trusted_run is not None and anonymous_run is not None
    assert trusted_run.tags[IDENTITY_TAG] == "carol@example.com"
    assert trusted_run.tags[IDENTITY_SOURCE_TAG] == "trusted_header"
    # Without the header the launcher's own tags are overwritten too: nobody is vouched for.
    assert anonymous_run.tags[IDENTITY_TAG] == ""
    assert anonymous_run.tags[IDENTITY_SOURCE_TAG] == "none"
