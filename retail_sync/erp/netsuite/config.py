"""NetSuite connection settings, read from environment variables; secrets never appear in reprs."""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retail_sync.errors import ConfigurationError
from retail_sync.retrying import NETSUITE_REQUEST


class NetSuiteConfigError(ConfigurationError, ValueError):
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
    max_attempts: int = NETSUITE_REQUEST.max_attempts
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
        """Read NETSUITE_* variables (see docs/erp.md); OAuth 2.0 wins when both are present.

        Raises NetSuiteConfigError with one line naming the setting and the form it accepts.
        """
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        account = get("NETSUITE_ACCOUNT_ID")
        if account is None:
            raise NetSuiteConfigError(
                "NETSUITE_ACCOUNT_ID is not set (the NetSuite account id, e.g. 1234567 or "
                "1234567_SB1)"
            )
        if not ACCOUNT_ID.fullmatch(account):
            raise NetSuiteConfigError(
                f"NETSUITE_ACCOUNT_ID={_shown(account)} is not a NetSuite account id (letters "
                "and digits, parts joined by _ or -, e.g. 1234567 or 1234567_SB1)"
            )
        base_url = get("NETSUITE_BASE_URL")
        if base_url is not None:
            _check_base_url(base_url)
        optional: dict[str, float | int] = {
            key: parse(name, raw) for name, key, parse in TUNING if (raw := get(name)) is not None
        }
        return cls(
            account_id=account,
            auth=_auth_from(get),
            base_url=base_url or "",
            **optional,  # type: ignore[arg-type]
        )


# An account id is also a host name label (lower case, `_` → `-`) and the OAuth 1.0a realm.
ACCOUNT_ID = re.compile(r"[A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)*")
OAUTH2_SETTINGS = ("NETSUITE_CLIENT_ID", "NETSUITE_CERTIFICATE_ID", "NETSUITE_PRIVATE_KEY_PATH")
TBA_SETTINGS = (
    "NETSUITE_CONSUMER_KEY",
    "NETSUITE_CONSUMER_SECRET",
    "NETSUITE_TOKEN_ID",
    "NETSUITE_TOKEN_SECRET",
)
# NetSuite ends any request after 15 minutes, so a longer timeout only hides a hang.
MAX_TIMEOUT_SECONDS = 900.0
MAX_ATTEMPTS_LIMIT = 20
MAX_CONCURRENCY = 100
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")
_SUBSIDIARY_ID = re.compile(r"[0-9]{1,18}")


def _shown(value: str) -> str:
    """A setting's value for an error message: quoted, control characters escaped, cut short."""
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _seconds(name: str, raw: str) -> float:
    if _SECONDS.fullmatch(raw) and 0 < float(raw) <= MAX_TIMEOUT_SECONDS:
        return float(raw)
    raise NetSuiteConfigError(
        f"{name}={_shown(raw)} must be a number of seconds above 0 and at most "
        f"{MAX_TIMEOUT_SECONDS:.0f} (e.g. 120)"
    )


def _whole_number(name: str, raw: str, limit: int, example: int) -> int:
    if _WHOLE_NUMBER.fullmatch(raw) and 1 <= int(raw) <= limit:
        return int(raw)
    raise NetSuiteConfigError(
        f"{name}={_shown(raw)} must be a whole number from 1 to {limit} (e.g. {example})"
    )


TUNING: tuple[tuple[str, str, Callable[[str, str], float | int]], ...] = (
    ("NETSUITE_CONNECT_TIMEOUT", "connect_timeout", _seconds),
    ("NETSUITE_READ_TIMEOUT", "read_timeout", _seconds),
    (
        "NETSUITE_MAX_ATTEMPTS",
        "max_attempts",
        lambda name, raw: _whole_number(
            name, raw, MAX_ATTEMPTS_LIMIT, NETSUITE_REQUEST.max_attempts
        ),
    ),
    (
        "NETSUITE_CONCURRENCY",
        "concurrency",
        lambda name, raw: _whole_number(name, raw, MAX_CONCURRENCY, 4),
    ),
)
KNOWN_SETTINGS = frozenset(
    {
        "NETSUITE_ACCOUNT_ID",
        "NETSUITE_BASE_URL",
        *OAUTH2_SETTINGS,
        *TBA_SETTINGS,
        *(name for name, _, _ in TUNING),
    }
)


def _check_base_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or not port_ok
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise NetSuiteConfigError(
            f"NETSUITE_BASE_URL={_shown(url)} must be an http(s) URL with a host and no "
            "credentials, query or fragment (e.g. https://1234567.suitetalk.api.netsuite.com)"
        )


def _auth_from(get: Callable[[str], str | None]) -> TokenBasedAuth | ClientCredentialsAuth:
    oauth2 = {name: get(name) for name in OAUTH2_SETTINGS}
    tba = {name: get(name) for name in TBA_SETTINGS}
    if all(oauth2.values()):
        client_id, certificate_id, key_path = (str(v) for v in oauth2.values())
        return ClientCredentialsAuth(client_id, certificate_id, Path(key_path))
    if all(tba.values()):
        consumer_key, consumer_secret, token_id, token_secret = (str(v) for v in tba.values())
        return TokenBasedAuth(consumer_key, consumer_secret, token_id, token_secret)
    # Name what is missing of the scheme the environment started to describe.
    for scheme, settings in (("OAuth 2.0", oauth2), ("token-based auth", tba)):
        if any(settings.values()):
            missing = ", ".join(name for name, value in settings.items() if not value)
            raise NetSuiteConfigError(f"{missing} not set ({scheme} needs {', '.join(settings)})")
    raise NetSuiteConfigError(
        "no NetSuite credentials: set NETSUITE_CLIENT_ID, NETSUITE_CERTIFICATE_ID and "
        "NETSUITE_PRIVATE_KEY_PATH (OAuth 2.0), or NETSUITE_CONSUMER_KEY/SECRET and "
        "NETSUITE_TOKEN_ID/SECRET (token-based auth)"
    )


def load_private_key(path: Path) -> Any:
    """The certificate's private key (RSA or EC P-256) from a PEM file, or NetSuiteConfigError."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    setting = "NETSUITE_PRIVATE_KEY_PATH"
    try:
        pem = path.read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise NetSuiteConfigError(
            f"{setting}={_shown(str(path))} cannot be read ({reason.lower()}); it must name "
            "the PEM private key of the integration's certificate"
        ) from None
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        key = None  # not PEM, encrypted, or an unsupported key type
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) or (
        isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name != "secp256r1"
    ):
        raise NetSuiteConfigError(
            f"{setting}={_shown(str(path))} is not an unencrypted PEM private key of RSA or "
            "EC P-256 (the certificate key uploaded to NetSuite)"
        )
    return key


def validate_environment(env: Mapping[str, str] | None = None) -> NetSuiteConfig:
    """Read and check every NETSUITE_* setting before anything runs; the config, or one line.

    Beyond `NetSuiteConfig.from_env`: a NETSUITE_* name that is no setting (a typo would be
    ignored), and the OAuth 2.0 private key file (readable, RSA or EC P-256), are refused too.
    """
    env = os.environ if env is None else env
    unknown = sorted(name for name in env if name.startswith("NETSUITE_"))
    unknown = [name for name in unknown if name not in KNOWN_SETTINGS]
    if unknown:
        raise NetSuiteConfigError(
            f"{unknown[0]} is not a NetSuite setting (known: {', '.join(sorted(KNOWN_SETTINGS))})"
        )
    config = NetSuiteConfig.from_env(env)
    if isinstance(config.auth, ClientCredentialsAuth):
        load_private_key(config.auth.private_key_path)
    return config


def parse_subsidiary_id(value: object, *, setting: str = "erp_subsidiary_id") -> int:
    """A NetSuite subsidiary internal id (ASCII digits) as an int, or NetSuiteConfigError."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**18:
        return value
    if isinstance(value, str) and _SUBSIDIARY_ID.fullmatch(value):
        return int(value)
    shown = _shown(value) if isinstance(value, str) else type(value).__name__
    raise NetSuiteConfigError(
        f"{setting}={shown} is not a NetSuite subsidiary internal id (digits, e.g. 1)"
    )
