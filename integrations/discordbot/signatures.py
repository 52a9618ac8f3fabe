"""Ed25519 request signatures, as Discord signs what it sends to the interactions endpoint.

Discord signs ``timestamp + raw body`` with the application's private key and sends the
signature (hex) in ``X-Signature-Ed25519`` and the timestamp in ``X-Signature-Timestamp``;
the application's public key (hex) is shown in the Developer Portal.
"""

from __future__ import annotations

from functools import lru_cache

from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32


@lru_cache(maxsize=1024)
def _verify_key(public_key_hex: str) -> VerifyKey | None:
    # Building a VerifyKey validates the point; a handful of applications sign nearly every
    # request, so each key is parsed once per process. A bad key is cached as None.
    try:
        raw = bytes.fromhex(public_key_hex)
        if len(raw) != PUBLIC_KEY_BYTES:
            return None
        return VerifyKey(raw)
    except (CryptoError, ValueError, TypeError):
        return None


def verify_signature(public_key_hex: str, signature_hex: str, timestamp: str, body: bytes) -> bool:
    """True when ``signature_hex`` is ``public_key_hex``'s Ed25519 signature of
    ``timestamp + body``. Never raises: a malformed key, signature or timestamp is False."""
    key = _verify_key(public_key_hex)
    if key is None:
        return False
    try:
        signature = bytes.fromhex(signature_hex)
        if len(signature) != SIGNATURE_BYTES:
            return False
        key.verify(timestamp.encode() + body, signature)
    except (CryptoError, ValueError, TypeError):
        return False
    return True
