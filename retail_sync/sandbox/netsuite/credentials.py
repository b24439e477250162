"""Sandbox-only credentials the NetSuite simulator accepts (real credentials never live here)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

# ruff: noqa: S105  (sandbox-only identifiers, documented in docs/sandbox-netsuite.md)
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


@dataclass(frozen=True)
class SandboxCredentials:
    """What a client needs to authenticate against the simulator, both ways NetSuite offers.

    The OAuth 2.0 certificate key is an EC P-256 key derived from `key_seed`, so no private key
    file is committed; `write_private_key()` puts it where NETSUITE_PRIVATE_KEY_PATH can name it.
    """

    account_id: str = "SANDBOX1"
    consumer_key: str = "sandbox-consumer-key"
    consumer_secret: str = field(default="sandbox-consumer-secret", repr=False)
    token_id: str = "sandbox-token-id"
    token_secret: str = field(default="sandbox-token-secret", repr=False)
    client_id: str = "sandbox-client-id"
    certificate_id: str = "sandbox-certificate-id"
    key_seed: str = field(default="retail-sync-netsuite-sandbox", repr=False)

    def private_key(self) -> ec.EllipticCurvePrivateKey:
        secret = int.from_bytes(hashlib.sha256(self.key_seed.encode()).digest(), "big")
        order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256 n
        return ec.derive_private_key(secret % (order - 1) + 1, ec.SECP256R1())

    def private_key_pem(self) -> bytes:
        return self.private_key().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_key_pem(self) -> bytes:
        return (
            self.private_key()
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def environment(
        self, base_url: str, *, scheme: str = "tba", private_key_path: Path | None = None
    ) -> dict[str, str]:
        """NETSUITE_* variables that point retail_sync's NetSuite adapter at the simulator."""
        env = {"NETSUITE_ACCOUNT_ID": self.account_id, "NETSUITE_BASE_URL": base_url}
        if scheme == "tba":
            env |= {
                "NETSUITE_CONSUMER_KEY": self.consumer_key,
                "NETSUITE_CONSUMER_SECRET": self.consumer_secret,
                "NETSUITE_TOKEN_ID": self.token_id,
                "NETSUITE_TOKEN_SECRET": self.token_secret,
            }
        elif scheme == "oauth2":
            if private_key_path is None:
                raise ValueError("oauth2 needs private_key_path (see write_private_key)")
            env |= {
                "NETSUITE_CLIENT_ID": self.client_id,
                "NETSUITE_CERTIFICATE_ID": self.certificate_id,
                "NETSUITE_PRIVATE_KEY_PATH": str(private_key_path),
            }
        else:
            raise ValueError(f"unknown scheme {scheme!r} (tba or oauth2)")
        return env

    def write_private_key(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.private_key_pem())
        path.chmod(0o600)
        return path


SANDBOX_CREDENTIALS = SandboxCredentials()
