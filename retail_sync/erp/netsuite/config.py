"""NetSuite connection settings, read from environment variables; secrets never appear in reprs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from retail_sync.errors import RetailSyncError


class NetSuiteConfigError(RetailSyncError, ValueError):
    """The environment does not describe a usable NetSuite connection."""


@dataclass(frozen=True)
class TokenBasedAuth:
    """OAuth 1.0a token-based authentication (TBA), signed with HMAC-SHA256."""

    consumer_key: str
    consumer_secret: str = field(repr=False)
    token_id: str
    token_secret: str = field(repr=False)


@dataclass(frozen=True)
class ClientCredentialsAuth:
    """OAuth 2.0 client credentials (machine to machine): a JWT signed with a certificate key."""

    client_id: str
    certificate_id: str
    private_key_path: Path

    def private_key_pem(self) -> bytes:
        return self.private_key_path.read_bytes()


@dataclass(frozen=True)
class NetSuiteConfig:
    """Where NetSuite is and how to authenticate; timeouts and retry limits with safe defaults."""

    account_id: str
    auth: TokenBasedAuth | ClientCredentialsAuth
    base_url: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    max_attempts: int = 6
    concurrency: int = 4

    def __post_init__(self) -> None:
        if not self.base_url:
            host = self.account_id.lower().replace("_", "-")
            object.__setattr__(self, "base_url", f"https://{host}.suitetalk.api.netsuite.com")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    @property
    def rest_url(self) -> str:
        return f"{self.base_url}/services/rest"

    @property
    def token_url(self) -> str:
        return f"{self.rest_url}/auth/oauth2/v1/token"

    @property
    def realm(self) -> str:
        """The OAuth 1.0a realm: the account id in upper case with '_' (e.g. 1234567_SB1)."""
        return self.account_id.upper().replace("-", "_")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NetSuiteConfig:
        """Read NETSUITE_* variables (see docs/erp.md); OAuth 2.0 wins when both are present."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        account = get("NETSUITE_ACCOUNT_ID")
        if account is None:
            raise NetSuiteConfigError("NETSUITE_ACCOUNT_ID is not set")
        auth: TokenBasedAuth | ClientCredentialsAuth
        client_id, certificate_id = get("NETSUITE_CLIENT_ID"), get("NETSUITE_CERTIFICATE_ID")
        key_path = get("NETSUITE_PRIVATE_KEY_PATH")
        tba = [
            get(n)
            for n in (
                "NETSUITE_CONSUMER_KEY",
                "NETSUITE_CONSUMER_SECRET",
                "NETSUITE_TOKEN_ID",
                "NETSUITE_TOKEN_SECRET",
            )
        ]
        if client_id and certificate_id and key_path:
            auth = ClientCredentialsAuth(client_id, certificate_id, Path(key_path))
        elif all(tba):
            consumer_key, consumer_secret, token_id, token_secret = (str(v) for v in tba)
            auth = TokenBasedAuth(consumer_key, consumer_secret, token_id, token_secret)
        else:
            raise NetSuiteConfigError(
                "set NETSUITE_CLIENT_ID, NETSUITE_CERTIFICATE_ID and NETSUITE_PRIVATE_KEY_PATH "
                "(OAuth 2.0), or NETSUITE_CONSUMER_KEY/SECRET and NETSUITE_TOKEN_ID/SECRET (TBA)"
            )
        optional: dict[str, float | int] = {}
        for name, key, kind in (
            ("NETSUITE_CONNECT_TIMEOUT", "connect_timeout", float),
            ("NETSUITE_READ_TIMEOUT", "read_timeout", float),
            ("NETSUITE_MAX_ATTEMPTS", "max_attempts", int),
            ("NETSUITE_CONCURRENCY", "concurrency", int),
        ):
            raw = get(name)
            if raw is not None:
                try:
                    optional[key] = kind(raw)
                except ValueError:
                    raise NetSuiteConfigError(f"{name}={raw!r} is not a number") from None
        return cls(
            account_id=account,
            auth=auth,
            base_url=get("NETSUITE_BASE_URL") or "",
            **optional,  # type: ignore[arg-type]
        )
