"""Password hashes (scrypt) and API tokens (random, stored as SHA-256).

A password hash is self-describing: ``scrypt$ln=15,r=8,p=1$<salt b64>$<key b64>``, so the
cost can be raised later while old hashes keep verifying. scrypt with N=2**15, r=8, p=1
(32 MiB) takes ~0.11 s here: the price of HTTP Basic on every request, which is why scripts
should prefer tokens (one SHA-256).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

SCRYPT_LOG_N = 15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
TOKEN_BYTES = 32
TOKEN_PREFIX = "cv_"
"""Marks callvault tokens in logs and secret scanners."""

_MAXMEM = 256 * 1024 * 1024


def hash_password(password: str) -> str:
    salt = os.urandom(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
    params = f"ln={SCRYPT_LOG_N},r={SCRYPT_R},p={SCRYPT_P}"
    return f"scrypt${params}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, encoded: str | None) -> bool:
    """Whether ``password`` matches ``encoded`` (constant-time); False for any malformed hash."""
    if not encoded:
        return False
    try:
        scheme, params, salt_text, key_text = encoded.split("$")
        fields = dict(item.split("=", 1) for item in params.split(","))
        log_n, r, p = int(fields["ln"]), int(fields["r"]), int(fields["p"])
        salt, expected = _unb64(salt_text), _unb64(key_text)
    except (ValueError, KeyError):
        return False
    if scheme != "scrypt" or not 1 <= log_n <= 20:
        return False
    return hmac.compare_digest(_scrypt(password, salt, log_n, r, p, len(expected)), expected)


def new_token() -> str:
    """A fresh API token: 32 random bytes, URL-safe. Shown once; store ``token_digest``."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256, hex. A token has 256 bits of entropy,
    so a fast hash is enough (no salt, no KDF) and lookups stay an index probe."""
    return hashlib.sha256(token.encode()).hexdigest()


def _scrypt(password: str, salt: bytes, log_n: int, r: int, p: int, size: int = KEY_BYTES) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=2**log_n, r=r, p=p, maxmem=_MAXMEM, dklen=size
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
