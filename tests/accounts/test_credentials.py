"""Password hashes and API tokens."""

from __future__ import annotations

from callvault.accounts.credentials import (
    hash_password,
    new_token,
    token_digest,
    verify_password,
)


def test_a_password_verifies_against_its_hash_and_nothing_else() -> None:
    encoded = hash_password("correct horse")
    assert encoded.startswith("scrypt$ln=15,r=8,p=1$")
    assert verify_password("correct horse", encoded)
    assert not verify_password("correct horsE", encoded)
    assert not verify_password("", encoded)


def test_each_hash_has_its_own_salt() -> None:
    assert hash_password("same") != hash_password("same")


def test_parameters_come_from_the_hash_so_old_costs_still_verify() -> None:
    import base64
    import hashlib

    salt = b"0123456789abcdef"
    key = hashlib.scrypt(b"pw", salt=salt, n=2**10, r=8, p=1, dklen=32)
    encoded = "scrypt$ln=10,r=8,p=1${}${}".format(
        base64.b64encode(salt).decode().rstrip("="), base64.b64encode(key).decode().rstrip("=")
    )
    assert verify_password("pw", encoded)
    assert not verify_password("pw2", encoded)


def test_malformed_hashes_never_verify() -> None:
    for encoded in (
        None,
        "",
        "plain",
        "scrypt$ln=15$x$y",
        "md5$ln=10,r=8,p=1$AAAA$AAAA",
        "scrypt$ln=99,r=8,p=1$AAAA$AAAA",
        "scrypt$ln=10,r=8,p=1$!!$AAAA",
    ):
        assert not verify_password("pw", encoded)


def test_tokens_are_random_32_bytes_and_stored_as_sha256() -> None:
    first, second = new_token(), new_token()
    assert first != second
    assert first.startswith("cv_") and len(first) == 3 + 43
    digest = token_digest(first)
    assert len(digest) == 64 and first not in digest
    assert token_digest(first) == digest
