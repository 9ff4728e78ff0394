"""scrypt hashes for the users file."""

from __future__ import annotations

import pytest

from tokenservice.passwords import PasswordHashError, hash_password, verify_password


def test_hash_verifies_only_the_right_password() -> None:
    encoded = hash_password("correct horse ✓", n=2**10)
    assert encoded.startswith("scrypt$n=1024,r=8,p=1$")
    assert verify_password("correct horse ✓", encoded)
    assert not verify_password("correct horse", encoded)
    assert not verify_password("", encoded)


def test_each_hash_has_its_own_salt() -> None:
    first, second = hash_password("same", n=2**10), hash_password("same", n=2**10)
    assert first != second
    assert verify_password("same", first) and verify_password("same", second)


def test_default_cost_is_the_production_one() -> None:
    assert hash_password("pw").startswith("scrypt$n=16384,r=8,p=1$")


@pytest.mark.parametrize(
    "encoded",
    [
        "plain-text-password",
        "bcrypt$2b$12$abc",
        "scrypt$n=1024,r=8$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5",
        "scrypt$n=1000,r=8,p=1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5",  # n not a power of two
        "scrypt$n=1048576000,r=8,p=1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5",  # absurd cost
        "scrypt$n=1024,r=8,p=1$not base64!$a2V5a2V5a2V5a2V5a2V5a2V5",
        "scrypt$n=1024,r=8,p=1$c2E=$a2V5a2V5a2V5a2V5a2V5a2V5",  # salt too short
    ],
)
def test_malformed_hashes_are_refused(encoded: str) -> None:
    with pytest.raises(PasswordHashError):
        verify_password("anything", encoded)
