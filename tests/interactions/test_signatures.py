"""verify_signature: Discord's Ed25519 check over timestamp + body, never raising."""

from __future__ import annotations

import pytest
from nacl.signing import SigningKey

from integrations.discordbot.signatures import verify_signature

KEY = SigningKey.generate()
PUBLIC = KEY.verify_key.encode().hex()
TIMESTAMP, BODY = "1767225600", b'{"type":1}'
SIGNATURE = KEY.sign(TIMESTAMP.encode() + BODY).signature.hex()


def test_it_accepts_the_signature_of_timestamp_and_body() -> None:
    assert verify_signature(PUBLIC, SIGNATURE, TIMESTAMP, BODY)


def test_it_accepts_an_uppercase_signature() -> None:
    assert verify_signature(PUBLIC.upper(), SIGNATURE.upper(), TIMESTAMP, BODY)


def test_it_rejects_another_keys_signature() -> None:
    other = SigningKey.generate().sign(TIMESTAMP.encode() + BODY).signature.hex()
    assert not verify_signature(PUBLIC, other, TIMESTAMP, BODY)


def test_it_rejects_a_changed_timestamp() -> None:
    assert not verify_signature(PUBLIC, SIGNATURE, "1767225601", BODY)


def test_it_rejects_a_changed_body() -> None:
    assert not verify_signature(PUBLIC, SIGNATURE, TIMESTAMP, BODY + b" ")


@pytest.mark.parametrize(
    ("public_key", "signature"),
    [
        ("not hex", SIGNATURE),
        (PUBLIC[:-2], SIGNATURE),
        ("", SIGNATURE),
        (PUBLIC, "not hex"),
        (PUBLIC, SIGNATURE[:-2]),
        (PUBLIC, SIGNATURE + "00"),
        (PUBLIC, ""),
    ],
)
def test_it_says_false_for_malformed_keys_and_signatures(public_key: str, signature: str) -> None:
    assert verify_signature(public_key, signature, TIMESTAMP, BODY) is False


def test_it_says_false_for_a_timestamp_that_cannot_be_encoded() -> None:
    assert verify_signature(PUBLIC, SIGNATURE, "\ud800", BODY) is False
