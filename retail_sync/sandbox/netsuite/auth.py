"""Server-side NetSuite authentication: OAuth 1.0a TBA (HMAC-SHA256) and OAuth 2.0 M2M tokens.

The OAuth 1.0a verification is written from RFC 5849 here, independently of any client
library, so a client that signs wrongly is caught rather than agreed with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import jwt

from retail_sync.sandbox.netsuite.credentials import SandboxCredentials

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_LIFETIME_SECONDS = 3600
TIMESTAMP_SKEW_SECONDS = 300
SIGNATURE_METHODS = {"HMAC-SHA256": hashlib.sha256}


class AuthError(Exception):
    """Authentication failed; `reason` is for the simulator's own log, never the response."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def percent_encode(value: str) -> str:
    return urllib.parse.quote(value, safe="-._~")


def parse_oauth_header(header: str) -> dict[str, str]:
    if not header[:6].lower() == "oauth ":
        raise AuthError("not an OAuth header")
    params: dict[str, str] = {}
    for part in header[6:].split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, quoted = part.partition("=")
        if not sep:
            raise AuthError("malformed OAuth header")
        params[urllib.parse.unquote(name.strip())] = urllib.parse.unquote(quoted.strip().strip('"'))
    return params


def signature_base_string(
    method: str, url: str, oauth_params: dict[str, str], form_params: list[tuple[str, str]]
) -> str:
    """RFC 5849 §3.4.1: method, base URI, normalized parameters (no realm, no signature)."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = (
        host
        if port is None or (scheme, port) in {("http", 80), ("https", 443)}
        else (f"{host}:{port}")
    )
    base_uri = f"{scheme}://{netloc}{parts.path or '/'}"
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    pairs += form_params
    pairs += [(k, v) for k, v in oauth_params.items() if k not in {"realm", "oauth_signature"}]
    encoded = sorted((percent_encode(k), percent_encode(v)) for k, v in pairs)
    normalized = "&".join(f"{k}={v}" for k, v in encoded)
    return "&".join(percent_encode(p) for p in (method.upper(), base_uri, normalized))


@dataclass
class Authenticator:
    """Checks every request's Authorization header against the sandbox credentials."""

    credentials: SandboxCredentials
    clock: Callable[[], datetime]
    _nonces: dict[tuple[str, str], float] = field(default_factory=dict)
    _tokens: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(
        self, method: str, url: str, authorization: str | None, body: bytes, content_type: str
    ) -> None:
        if not authorization:
            raise AuthError("no Authorization header")
        if authorization[:7].lower() == "bearer ":
            self._check_bearer(authorization[7:].strip())
        else:
            self._check_oauth1(method, url, authorization, body, content_type)

    def _check_bearer(self, token: str) -> None:
        with self._lock:
            expires = self._tokens.get(token)
        if expires is None or expires < self.clock().timestamp():
            raise AuthError("unknown or expired access token")

    def _check_oauth1(
        self, method: str, url: str, header: str, body: bytes, content_type: str
    ) -> None:
        params = parse_oauth_header(header)
        creds = self.credentials
        if params.get("realm", "").upper().replace("-", "_") != creds.account_id.upper():
            raise AuthError("realm is not the account id")
        if params.get("oauth_consumer_key") != creds.consumer_key:
            raise AuthError("unknown consumer key")
        if params.get("oauth_token") != creds.token_id:
            raise AuthError("unknown token")
        digest = SIGNATURE_METHODS.get(params.get("oauth_signature_method", ""))
        if digest is None:
            raise AuthError("unsupported signature method")
        if params.get("oauth_version", "1.0") != "1.0":
            raise AuthError("unsupported OAuth version")
        try:
            timestamp = int(params["oauth_timestamp"])
            nonce = params["oauth_nonce"]
            given = params["oauth_signature"]
        except (KeyError, ValueError):
            raise AuthError("missing timestamp, nonce or signature") from None
        now = self.clock().timestamp()
        if abs(now - timestamp) > TIMESTAMP_SKEW_SECONDS:
            raise AuthError("timestamp outside the allowed skew")
        form: list[tuple[str, str]] = []
        if content_type.startswith("application/x-www-form-urlencoded") and body:
            form = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)
        if "oauth_body_hash" in params:
            expected_hash = base64.b64encode(hashlib.sha1(body).digest()).decode()  # noqa: S324
            if not hmac.compare_digest(expected_hash, params["oauth_body_hash"]):
                raise AuthError("body hash does not match the body")
        base = signature_base_string(method, url, params, form)
        key = f"{percent_encode(creds.consumer_secret)}&{percent_encode(creds.token_secret)}"
        expected = base64.b64encode(hmac.new(key.encode(), base.encode(), digest).digest()).decode()
        if not hmac.compare_digest(expected, given):
            raise AuthError("signature does not verify")
        with self._lock:
            for seen, at in list(self._nonces.items()):
                if at < now - 2 * TIMESTAMP_SKEW_SECONDS:
                    del self._nonces[seen]
            if (nonce, str(timestamp)) in self._nonces:
                raise AuthError("nonce replayed")
            self._nonces[(nonce, str(timestamp))] = now

    def issue_token(self, form: dict[str, str], token_url: str) -> dict[str, object]:
        """OAuth 2.0 client credentials: a JWT assertion signed by the registered certificate."""
        if form.get("grant_type") != "client_credentials":
            raise AuthError("unsupported grant type")
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            raise AuthError("unsupported assertion type")
        assertion = form.get("client_assertion", "")
        creds = self.credentials
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            raise AuthError("assertion is not a JWT") from None
        if header.get("kid") != creds.certificate_id:
            raise AuthError("unknown certificate id")
        now = self.clock().timestamp()
        try:
            claims = jwt.decode(
                assertion,
                creds.public_key_pem(),
                algorithms=["ES256", "PS256", "RS256"],
                audience=token_url,
                issuer=creds.client_id,
                options={
                    "require": ["iss", "aud", "iat", "exp"],
                    "verify_iat": False,
                    "verify_exp": False,
                },
            )
        except jwt.PyJWTError as error:
            raise AuthError(f"assertion rejected: {error}") from None
        if not (claims["iat"] - TIMESTAMP_SKEW_SECONDS <= now <= claims["exp"]):
            raise AuthError("assertion expired or not yet valid")
        if claims["exp"] - claims["iat"] > 3600:
            raise AuthError("assertion lifetime over one hour")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = now + TOKEN_LIFETIME_SECONDS
        return {"access_token": token, "expires_in": TOKEN_LIFETIME_SECONDS, "token_type": "bearer"}
