"""httpx auth for NetSuite: OAuth 1.0a TBA (HMAC-SHA256) and OAuth 2.0 client credentials."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Generator

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from oauthlib.oauth1 import Client as OAuth1Client

from retail_sync.erp.netsuite.config import ClientCredentialsAuth, TokenBasedAuth
from retail_sync.erp.port import ERPError

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
        key = load_pem_private_key(c.private_key_pem(), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            algorithm = "ES256"
        elif isinstance(key, rsa.RSAPrivateKey):
            algorithm = "PS256"
        else:
            raise ERPError("the NetSuite certificate key must be RSA or EC (P-256)")
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
        if response.status_code != 200:
            raise ERPError(
                "NetSuite refused the OAuth 2.0 client-credentials token request",
                code="INVALID_LOGIN",
                status=response.status_code,
            )
        body = response.json()
        self._token = str(body["access_token"])
        # Refresh a minute early so a token never expires mid-request.
        self._expires_at = time.monotonic() + float(body.get("expires_in", 3600)) - 60

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
