"""A local NetSuite (SuiteTalk REST) simulator: SuiteQL, journals, async jobs, auth, faults."""

from retail_sync.sandbox.netsuite.credentials import SANDBOX_CREDENTIALS, SandboxCredentials
from retail_sync.sandbox.netsuite.faults import NAMED_PROFILES, FaultProfile, parse_faults
from retail_sync.sandbox.netsuite.server import STATE_FILE, start_netsuite_simulator

__all__ = [
    "NAMED_PROFILES",
    "SANDBOX_CREDENTIALS",
    "STATE_FILE",
    "FaultProfile",
    "SandboxCredentials",
    "parse_faults",
    "start_netsuite_simulator",
]
