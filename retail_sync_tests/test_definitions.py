"""The Dagster code location loads, its jobs resolve, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg

from retail_sync.definitions import build_definitions, defs
from retail_sync.defs.settlement.jobs import NIGHTLY_SETTLEMENT_JOB, SANDBOX_SETUP_JOB
from retail_sync.settings import Paths


def test_definitions_are_loadable() -> None:
    dg.Definitions.validate_loadable(defs)


def _asset_names(definitions: dg.Definitions, job_name: str) -> set[str]:
    job = definitions.resolve_job_def(job_name)
    return {key.to_user_string() for key in job.asset_layer.executable_asset_keys}


def test_every_job_resolves(tmp_path) -> None:
    definitions = build_definitions(Paths(tmp_path))
    for job in definitions.resolve_all_job_defs():
        assert definitions.resolve_job_def(job.name) is not None
    nightly = _asset_names(definitions, NIGHTLY_SETTLEMENT_JOB)
    assert {"raw/shopify/orders", "raw/erp/gl_lines", "analyst_catalog"} <= nightly
    # The nightly job never regenerates the sandbox world; the demo's set-up job does.
    assert not nightly & {"sandbox_world", "sandbox_discrepancy_truth"}
    assert _asset_names(definitions, SANDBOX_SETUP_JOB) == {
        "sandbox_world",
        "sandbox_discrepancy_truth",
    }


def test_importing_definitions_does_not_import_great_expectations() -> None:
    # Great Expectations costs ~5 s to import; it must stay out of code-location loading.
    probe = (
        "import sys, retail_sync.definitions; "
        "print(any(m.split('.')[0] == 'great_expectations' for m in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "False"
