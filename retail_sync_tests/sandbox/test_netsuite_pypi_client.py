"""The unmodified `netsuite` package from PyPI (0.12.0, OAuth 1.0a via authlib) runs a SuiteQL
query and creates a journal entry against the simulator. It pins httpx<0.28, so it lives in its
own virtual environment: RETAIL_SYNC_NETSUITE_VENV, default `<repo>/.retail_sync/netsuite-venv`
(gitignored), created here when missing. If it cannot be created the test fails, never skips."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from retail_sync.sandbox.netsuite import SANDBOX_CREDENTIALS, start_netsuite_simulator
from retail_sync_tests.erp.netsuite_world import write_erp_world

REPO = Path(__file__).resolve().parents[2]
NETSUITE_PACKAGE = "netsuite==0.12.0"

SCRIPT = r"""
import asyncio, json, os, sys
from netsuite import Config, NetSuite, TokenAuth

base = sys.argv[1] + "/services/rest"
config = Config(account=os.environ["NS_ACCOUNT"], auth=TokenAuth(
    consumer_key=os.environ["NS_CONSUMER_KEY"], consumer_secret=os.environ["NS_CONSUMER_SECRET"],
    token_id=os.environ["NS_TOKEN_ID"], token_secret=os.environ["NS_TOKEN_SECRET"]))
rest = NetSuite(config).rest_api

async def main():
    accounts = await rest.suiteql("SELECT id, acctnumber FROM account ORDER BY id", limit=3,
                                  offset=0, url=base + "/query/v1/suiteql")
    created = await rest.post("/record/v1/journalentry", url=base + "/record/v1/journalentry",
        json={"externalId": "pypi-netsuite-1", "subsidiary": {"id": "1"},
              "currency": {"id": "1"}, "tranDate": "2026-10-20", "memo": "from netsuite 0.12",
              "line": {"items": [{"account": {"id": "170"}, "debit": 5.25},
                                 {"account": {"id": "110"}, "credit": 5.25}]}})
    found = await rest.suiteql(
        "SELECT id, externalid FROM transaction WHERE externalid = 'pypi-netsuite-1'",
        url=base + "/query/v1/suiteql")
    print(json.dumps({"accounts": accounts, "created": created, "found": found}))

asyncio.run(main())
"""


def netsuite_venv_python() -> Path:
    venv = Path(os.environ.get("RETAIL_SYNC_NETSUITE_VENV", REPO / ".retail_sync/netsuite-venv"))
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import netsuite, httpx; assert httpx.__version__ < '0.28'"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", NETSUITE_PACKAGE],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(f"could not build the netsuite venv ({' '.join(step)}):\n{done.stderr}")
    return python


@pytest.mark.slow
@pytest.mark.e2e
def test_pypi_netsuite_package_queries_and_posts_with_tba(tmp_path: Path) -> None:
    python = netsuite_venv_python()
    world = write_erp_world(tmp_path / "world", entries=5)
    c = SANDBOX_CREDENTIALS
    env = {
        **os.environ,
        "NS_ACCOUNT": c.account_id,
        "NS_CONSUMER_KEY": c.consumer_key,
        "NS_CONSUMER_SECRET": c.consumer_secret,
        "NS_TOKEN_ID": c.token_id,
        "NS_TOKEN_SECRET": c.token_secret,
    }
    with start_netsuite_simulator(world, state_dir=tmp_path / "state") as server:
        run = subprocess.run(
            [str(python), "-c", SCRIPT, server.url],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        result = json.loads(run.stdout.strip().splitlines()[-1])
        store = server.server.simulator.store  # type: ignore[attr-defined]
        posted = store.suiteql(
            "SELECT t.id, sum(tal.debit) AS d FROM transaction t JOIN transactionaccountingline "
            "tal ON tal.transaction = t.id WHERE t.externalid = 'pypi-netsuite-1' GROUP BY t.id",
            10,
            0,
        ).items
    assert [a["acctnumber"] for a in result["accounts"]["items"]] == ["1000", "1205", "2200"]
    assert result["accounts"]["hasMore"] is True and result["accounts"]["totalResults"] == 7
    assert result["created"] is None  # 204, no body
    assert result["found"]["count"] == 1
    assert len(posted) == 1 and posted[0]["d"] == "5.25"
