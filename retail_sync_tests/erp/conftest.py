"""Fixtures for ERP tests: a fixture world, a running NetSuite simulator, clients on both auths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from retail_sync.erp.netsuite import NetSuiteClient, NetSuiteConfig, NetSuiteERP
from retail_sync.retrying import Backoff
from retail_sync.sandbox.netsuite import SANDBOX_CREDENTIALS, start_netsuite_simulator
from retail_sync.sandbox.serving import RunningServer
from retail_sync_tests.erp.netsuite_world import write_erp_world


@pytest.fixture
def erp_world(tmp_path: Path) -> Path:
    return write_erp_world(tmp_path / "world", entries=30)


@pytest.fixture
def simulator(erp_world: Path, tmp_path: Path) -> Iterator[RunningServer]:
    server = start_netsuite_simulator(erp_world, state_dir=tmp_path / "state")
    yield server
    server.stop()


def make_client(
    server: RunningServer, *, scheme: str = "tba", tmp_path: Path | None = None, **kwargs: object
) -> NetSuiteClient:
    key_path = None
    if scheme == "oauth2":
        assert tmp_path is not None
        key_path = SANDBOX_CREDENTIALS.write_private_key(tmp_path / "netsuite-key.pem")
    env = SANDBOX_CREDENTIALS.environment(server.url, scheme=scheme, private_key_path=key_path)
    config = NetSuiteConfig.from_env(env)
    kwargs.setdefault("retry", Backoff(max_attempts=6, base_seconds=0.01, cap_seconds=0.05))
    return NetSuiteClient(config, seed=1, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def client(simulator: RunningServer) -> Iterator[NetSuiteClient]:
    with make_client(simulator) as c:
        yield c


@pytest.fixture
def erp(client: NetSuiteClient) -> NetSuiteERP:
    return NetSuiteERP(client)
