"""RFC 6238 TOTP (shared/totp.py): the RFC's SHA-1 test vectors, the window, no reuse, recovery
codes; the `amr` claim of tokens (shared/auth.py)."""

from __future__ import annotations

import base64
import time
import uuid

import pytest

from shared import totp
from shared.auth import AMR_MFA, Role, issue_token, verify_token
from tests.support.keys import signing_config

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()  # the RFC's SHA-1 seed

# RFC 6238 appendix B (SHA-1): the 8-digit values; a 6-digit code is their last six digits.
VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("when", "expected"), VECTORS)
def test_the_rfc_6238_sha1_vectors(when: int, expected: str) -> None:
    assert totp.code_at(RFC_SECRET, when) == expected[-6:]


def test_a_code_is_accepted_one_step_either_side_and_not_further() -> None:
    now = 1_700_000_015.0
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        assert totp.matching_step(RFC_SECRET, totp.code_at_step(RFC_SECRET, step + offset), now, None) == step + offset
    for offset in (-2, 2):
        assert totp.matching_step(RFC_SECRET, totp.code_at_step(RFC_SECRET, step + offset), now, None) is None


def test_a_code_is_never_accepted_twice_nor_an_older_one_after_a_newer() -> None:
    now = 1_700_000_015.0
    step = totp.step_at(now)
    code = totp.code_at_step(RFC_SECRET, step)
    assert totp.matching_step(RFC_SECRET, code, now, step) is None  # the same code again
    assert totp.matching_step(RFC_SECRET, totp.code_at_step(RFC_SECRET, step - 1), now, step) is None
    assert totp.matching_step(RFC_SECRET, totp.code_at_step(RFC_SECRET, step + 1), now, step) == step + 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", " 12 345"])
def test_what_is_no_code_is_refused(code: str) -> None:
    assert totp.matching_step(RFC_SECRET, code, time.time(), None) is None


def test_recovery_codes_are_ten_distinct_and_hashed_by_key() -> None:
    codes = totp.new_recovery_codes()
    assert len(codes) == 10 == len(set(codes))
    key = b"k" * 32
    hashes = {totp.hash_recovery_code(key, code) for code in codes}
    assert len(hashes) == 10 and not any(code in h for code in codes for h in hashes)
    code = codes[0]
    assert totp.hash_recovery_code(key, code.upper().replace("-", " ")) == totp.hash_recovery_code(key, code)
    assert totp.hash_recovery_code(b"other", code) != totp.hash_recovery_code(key, code)


def test_the_provisioning_uri_names_the_issuer_and_the_secret() -> None:
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, "finance@example.org")
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and "issuer=EDF%20Grants" in uri


def test_the_code_source_never_gives_the_same_step_twice() -> None:
    source = totp.CodeSource(totp.new_secret())
    source.next_code()
    first = source.last_step
    source.next_code()
    assert first is not None and source.last_step == first + 1


def test_a_token_records_its_second_factor() -> None:
    config = signing_config()
    with_otp = verify_token(config, issue_token(config, uuid.uuid4(), "f@example.org", Role.finance, AMR_MFA))
    without = verify_token(config, issue_token(config, uuid.uuid4(), "f@example.org", Role.finance))
    assert with_otp.mfa and not without.mfa
