"""Time-based one-time passwords (RFC 6238: HMAC-SHA-1, 6 digits, 30 s steps) and recovery codes.

Pure rules, no web framework nor database: the gateway stores the secret (encrypted), the last
step accepted (so that a code is never accepted twice) and the hashes of the recovery codes.
`CodeSource` is the other side, for the clients that sign staff in (tests, demo, chaos, bench):
the next code that the gateway will accept, waiting for a fresh step when it must.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

import pyotp

DIGITS = 6
STEP_SECONDS = 30
WINDOW = 1  # steps accepted either side of now (clock drift, a code typed at the end of its step)
ISSUER = "EDF Grants"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_RECOVERY_LENGTH = 10  # about 49 bits each


def new_secret() -> str:
    """A random base32 secret of 160 bits (the SHA-1 block the RFC recommends)."""
    return pyotp.random_base32(32)


def step_at(when: float) -> int:
    return int(when // STEP_SECONDS)


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def code_at(secret: str, when: float) -> str:
    return code_at_step(secret, step_at(when))


def provisioning_uri(secret: str, account: str, issuer: str = ISSUER) -> str:
    """The `otpauth://totp/...` URI that authenticator apps read from a QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=account, issuer_name=issuer)


def looks_like_code(value: str) -> bool:
    return len(value) == DIGITS and value.isascii() and value.isdigit()


def matching_step(secret: str, code: str, when: float, last_step: int | None) -> int | None:
    """The step (within ±WINDOW of `when`) whose code is `code` and that comes after `last_step`,
    the last one accepted; None when there is none (a wrong, stale or reused code)."""
    code = code.strip()
    if not looks_like_code(code):
        return None
    now = step_at(when)
    for step in range(now - WINDOW, now + WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(code_at_step(secret, step), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Codes shown once, as `xxxxx-xxxxx`."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_recovery_code(value: str) -> str:
    return "".join(c for c in value.strip().lower() if c.isalnum())


def hash_recovery_code(key: bytes, code: str) -> str:
    """A keyed hash (the codes are random, 49 bits: a slow hash adds nothing but latency)."""
    return hmac.new(key, f"recovery:{normalise_recovery_code(code)}".encode(), hashlib.sha256).hexdigest()


@dataclass
class CodeSource:
    """The next code the gateway accepts for `secret`: a step after the last one used, now's or
    the next one (never the previous one, which a slow request could push out of the window);
    it sleeps until the next step when both are used up (at most 2 codes per 30 s)."""

    secret: str
    last_step: int | None = field(default=None)

    def next_code(self) -> str:
        while True:
            now = step_at(time.time())
            step = now if self.last_step is None else max(self.last_step + 1, now)
            if step <= now + WINDOW:
                self.last_step = step
                return code_at_step(self.secret, step)
            time.sleep(STEP_SECONDS - time.time() % STEP_SECONDS + 0.05)
