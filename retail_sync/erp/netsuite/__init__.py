"""The NetSuite adapter of the ERP port: config from the environment, client, auth, adapter."""

from __future__ import annotations

from collections.abc import Mapping

from retail_sync.erp.netsuite.adapter import NetSuiteERP
from retail_sync.erp.netsuite.client import NetSuiteClient, OutcomeUnknown
from retail_sync.erp.netsuite.config import (
    ClientCredentialsAuth,
    NetSuiteConfig,
    NetSuiteConfigError,
    TokenBasedAuth,
    parse_subsidiary_id,
    validate_environment,
)
from retail_sync.erp.netsuite.resilience import CircuitBreaker


def netsuite_erp_from_env(env: Mapping[str, str] | None = None) -> NetSuiteERP:
    """The ERP port for the NetSuite account the NETSUITE_* environment variables describe."""
    return NetSuiteERP(NetSuiteClient(NetSuiteConfig.from_env(env)))


__all__ = [
    "CircuitBreaker",
    "ClientCredentialsAuth",
    "NetSuiteClient",
    "NetSuiteConfig",
    "NetSuiteConfigError",
    "NetSuiteERP",
    "OutcomeUnknown",
    "TokenBasedAuth",
    "netsuite_erp_from_env",
    "parse_subsidiary_id",
    "validate_environment",
]
