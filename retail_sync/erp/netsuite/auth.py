"""httpx auth for NetSuite: OAuth 1.0a TBA (HMAC-SHA256) and OAuth 2.0 client credentials."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Generator
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from oauthlib.oauth1 import Client as OAuth1Client

from retail_sync.erp.netsuite.config import (
    ClientCredentialsAuth,
    TokenBasedAuth,
    load_private_key,
)
from retail_sync.erp.port import ERPError, ERPMalformedResponse, ERPUnavailable

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPES = ["restlets", "rest_webservices"]


class TokenBasedAuthFlow(httpx.Auth):
    """Signs each request (each retry gets a fresh nonce and timestamp) per RFC 5849."""

    def __init__(self, credentials: TokenBasedAuth, realm: str) -> None:
        self._credentials = credentials
        self._realm = realm

    def __repr__(self) -> str:
        return f"TokenBasedAuthFlow(realm={self._realm!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        c = self._credentials
        signer = OAuth1Client(
            c.consumer_key,
            client_secret=c.consumer_secret,
            resource_owner_key=c.token_id,
            resource_owner_secret=c.token_secret,
            signature_method=SIGNATURE_HMAC_SHA256,
            realm=self._realm,
        )
        # JSON bodies are not signed (only form bodies are, RFC 5849 §3.4.1.3.1).
        _, headers, _ = signer.sign(str(request.url), http_method=request.method)
        request.headers["Authorization"] = headers["Authorization"]
        yield request


class ClientCredentialsFlow(httpx.Auth):
    """Fetches (and refreshes) an access token with a JWT assertion; retries a 401 once."""

    requires_response_body = True

    def __init__(self, credentials: ClientCredentialsAuth, token_url: str) -> None:
        self._credentials = credentials
        self._token_url = token_url
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ClientCredentialsFlow(client_id={self._credentials.client_id!r})"

    def _assertion(self) -> str:
        c = self._credentials
        key = load_private_key(c.private_key_path)  # RSA or EC P-256, else NetSuiteConfigError
        algorithm = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "PS256"
        now = int(time.time())
        claims = {
            "iss": c.client_id,
            "scope": SCOPES,
            "aud": self._token_url,
            "iat": now,
            "exp": now + 3600,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(
            claims, key, algorithm=algorithm, headers={"kid": c.certificate_id, "typ": "JWT"}
        )

    def _token_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            self._token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": self._assertion(),
            },
        )

    def _store(self, response: httpx.Response) -> None:
        status = response.status_code
        if status == 429 or status >= 500:
            raise ERPUnavailable(
                "NetSuite's OAuth 2.0 token endpoint is unavailable",
                code="TOKEN_UNAVAILABLE",
                status=status,
            )
        if status != 200:
            raise ERPError(
                "NetSuite refused the OAuth 2.0 client-credentials token request",
                code="INVALID_LOGIN",
                status=status,
            )
        token, expires_in = _token_fields(response.content)
        self._token = token
        # Refresh a minute early so a token never expires mid-request.
        self._expires_at = time.monotonic() + expires_in - 60

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        with self._lock:
            fresh = self._token is not None and time.monotonic() < self._expires_at
        if not fresh:
            self._store((yield self._token_request()))
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            self._store((yield self._token_request()))
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request


def _token_fields(content: bytes) -> tuple[str, float]:
    """`access_token` and `expires_in` (seconds, default 3600) of a token response."""
    try:
        body: Any = json.loads(content)
    except (ValueError, RecursionError):
        raise ERPMalformedResponse(
            "NetSuite's OAuth 2.0 token response is not JSON", retryable=True, status=200
        ) from None
    token = body.get("access_token") if isinstance(body, dict) else None
    expires_in = body.get("expires_in", 3600) if isinstance(body, dict) else None
    if isinstance(expires_in, str) and expires_in.isascii() and expires_in.isdigit():
        expires_in = int(expires_in)
    if (
        not isinstance(token, str)
        or not token
        or not token.isascii()
        or not token.isprintable()
        or isinstance(expires_in, bool)
        or not isinstance(expires_in, int | float)
        or not 60 < expires_in <= 86_400
    ):
        raise ERPMalformedResponse(
            "NetSuite's OAuth 2.0 token response has no usable access_token/expires_in",
            retryable=False,
            status=200,
        )
    return token, float(expires_in)
