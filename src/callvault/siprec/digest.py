"""HTTP digest authentication of recording clients (RFC 3261 §22, RFC 2617 MD5 with
qop=auth and RFC 7616 SHA-256): stateless nonces that carry their own time and signature."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time

NONCE_TTL_S = 300
_PARAM = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
_ALGORITHMS = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


class DigestAuth:
    """Checks Authorization headers against ``credentials`` (user → password)."""

    def __init__(self, credentials: dict[str, str], realm: str = "callvault") -> None:
        self.credentials = credentials
        self.realm = realm
        self._secret = os.urandom(16)

    def challenge(self, stale: bool = False) -> str:
        """A WWW-Authenticate value with a fresh nonce."""
        stamp = f"{int(time.time()):x}"
        mac = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]
        extra = ", stale=true" if stale else ""
        return (f'Digest realm="{self.realm}", nonce="{stamp}.{mac}", algorithm=MD5, '
                f'qop="auth"{extra}')

    def _nonce_ok(self, nonce: str) -> bool | None:
        """True: ours and fresh; None: ours but stale; False: not ours."""
        stamp, _, mac = nonce.partition(".")
        want = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]
        if not hmac.compare_digest(mac, want):
            return False
        try:
            age = time.time() - int(stamp, 16)
        except ValueError:
            return False
        return True if 0 <= age <= NONCE_TTL_S else None

    def check(self, method: str, authorization: str | None) -> str:
        """"ok", "stale" (answer with a new challenge, stale=true) or "denied"."""
        if not authorization or authorization[:6].lower() != "digest":
            return "denied"
        params = {m[1].lower(): m[2] if m[2] is not None else m[3]
                  for m in _PARAM.finditer(authorization[6:])}
        user, nonce, uri = params.get("username"), params.get("nonce"), params.get("uri")
        response = (params.get("response") or "").lower()
        algorithm = (params.get("algorithm") or "MD5").upper()
        if not user or not nonce or not uri or algorithm not in _ALGORITHMS:
            return "denied"
        if params.get("realm") != self.realm or user not in self.credentials:
            return "denied"
        fresh = self._nonce_ok(nonce)
        if fresh is False:
            return "denied"
        h = _ALGORITHMS[algorithm]

        def hexd(text: str) -> str:
            return h(text.encode()).hexdigest()

        ha1 = hexd(f"{user}:{self.realm}:{self.credentials[user]}")
        ha2 = hexd(f"{method}:{uri}")
        qop = params.get("qop")
        if qop:
            if qop.lower() != "auth":
                return "denied"
            want = hexd(f"{ha1}:{nonce}:{params.get('nc', '')}:{params.get('cnonce', '')}:"
                        f"{qop}:{ha2}")
        else:
            want = hexd(f"{ha1}:{nonce}:{ha2}")
        if not hmac.compare_digest(want, response):
            return "denied"
        return "ok" if fresh else "stale"
