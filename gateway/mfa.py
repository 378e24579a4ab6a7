"""Use cases of the second factor: TOTP enrolment, the code at sign-in, recovery codes, reset.

The secret is stored encrypted (AES-256-GCM under a key derived from `GATEWAY_TOTP_KEY`, bound
to the user's id) and never logged; recovery codes only as keyed hashes, each used once. Wrong
codes are counted per account in the database (so every gateway replica sees them): past
`totp_rate_limit` in `totp_rate_window_seconds`, 429 until the window ends. Audit rows name the
user by id, never a secret or code.
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlmodel import Session, col, delete, select

from gateway.models import RecoveryCode, User, UserTotp
from gateway.settings import Settings
from shared import totp
from shared.auth import AMR_MFA, AMR_PASSWORD, MFA_REQUIRED, Principal, Role
from shared.db import Database
from shared.errors import Conflict, DomainError, NotFound, Unauthorized
from shared.uow import Actor, UnitOfWork

_VERSION = "v1"
BAD_CODE = "A second factor is needed: a current code of your authenticator app, or a recovery code."


class TooManyCodes(DomainError):
    """429: too many wrong codes for this account; `retry_after` in whole seconds."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many wrong codes; try again later.", code="too_many_codes")
        self.retry_after = retry_after


@dataclass(frozen=True)
class MfaConfig:
    key: bytes
    limit: int
    window: float
    required_roles: frozenset[Role]

    @classmethod
    def of(cls, settings: Settings) -> MfaConfig:
        return cls(
            key=settings.totp_key.get_secret_value().encode(),
            limit=settings.totp_rate_limit,
            window=settings.totp_rate_window_seconds,
            required_roles=settings.required_roles(),
        )

    def _aead(self) -> AESGCM:
        return AESGCM(hashlib.sha256(b"edf-totp-secret:" + self.key).digest())

    def seal(self, user_id: uuid.UUID, secret: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead().encrypt(nonce, secret.encode(), user_id.bytes)
        return f"{_VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, user_id: uuid.UUID, stored: str) -> str:
        version, _, data = stored.partition(":")
        raw = base64.urlsafe_b64decode(data)
        if version != _VERSION:
            raise ValueError("unknown TOTP secret format")
        try:
            return self._aead().decrypt(raw[:12], raw[12:], user_id.bytes).decode()
        except InvalidTag:
            raise ValueError("the TOTP secret does not open with GATEWAY_TOTP_KEY") from None

    def recovery_hash(self, code: str) -> str:
        return totp.hash_recovery_code(self.key, code)


def _actor(user_id: uuid.UUID, role: str) -> Actor:
    return Actor(id=str(user_id), role=role)


def enabled(db: Database, user_id: uuid.UUID) -> bool:
    with Session(db.engine) as session:
        row = session.get(UserTotp, user_id)
    return row is not None and row.enabled_at is not None


def status(db: Database, config: MfaConfig, principal: Principal) -> dict[str, bool]:
    return {"enabled": enabled(db, principal.id), "required": principal.role in config.required_roles}


def start_enrolment(db: Database, config: MfaConfig, principal: Principal) -> tuple[str, str, list[str]]:
    """A new secret and recovery codes, pending until a code confirms them (replacing a pending
    enrolment); 409 `totp_enabled` once enabled (an admin resets it first)."""
    secret, codes = totp.new_secret(), totp.new_recovery_codes()
    with UnitOfWork(db, _actor(principal.id, principal.role.value)) as uow:
        user = uow.session.get(User, principal.id)
        if user is None or not user.is_active:
            raise Unauthorized("This account does not exist or is disabled.")
        row = uow.session.get(UserTotp, principal.id, with_for_update=True)
        if row is not None and row.enabled_at is not None:
            raise Conflict("A second factor is enabled already; an admin can reset it.", code="totp_enabled")
        if row is None:
            row = UserTotp(user_id=principal.id, secret="", created_at=datetime.now(UTC))
        row.secret, row.created_at, row.last_step = config.seal(principal.id, secret), datetime.now(UTC), None
        row.failed_count, row.failed_since = 0, None
        uow.session.add(row)
        uow.session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == principal.id))
        for code in codes:
            uow.session.add(RecoveryCode(user_id=principal.id, code_hash=config.recovery_hash(code)))
        uow.audit("user.totp_enrolment_started", "user", principal.id)
        uow.commit()
        account = user.email
    return secret, totp.provisioning_uri(secret, account), codes


def confirm_enrolment(db: Database, config: MfaConfig, principal: Principal, code: str) -> None:
    """Enables the pending enrolment with a current code; 409 `totp_not_started` without one,
    `totp_enabled` once enabled; 401 `mfa_required` for a wrong code (counted)."""
    with UnitOfWork(db, _actor(principal.id, principal.role.value)) as uow:
        row = uow.session.get(UserTotp, principal.id, with_for_update=True)
        if row is None:
            raise Conflict("Start the enrolment first: POST /api/v1/auth/totp.", code="totp_not_started")
        if row.enabled_at is not None:
            raise Conflict("A second factor is enabled already.", code="totp_enabled")
        _refuse_when_limited(config, row)
        step = totp.matching_step(config.open(principal.id, row.secret), code, time.time(), row.last_step)
        if step is None:
            _count_failure(config, row)
            uow.session.add(row)
            uow.commit()
            raise Unauthorized(BAD_CODE, code=MFA_REQUIRED)
        row.enabled_at, row.last_step, row.failed_count, row.failed_since = datetime.now(UTC), step, 0, None
        uow.session.add(row)
        uow.audit("user.totp_enabled", "user", principal.id)
        uow.commit()


def second_factor(db: Database, config: MfaConfig, user: User, code: str | None) -> tuple[str, ...]:
    """The `amr` of a sign-in whose password was right: a password only for an account without
    an enabled second factor; for one with it a current unused TOTP code or an unused recovery
    code, else 401 `mfa_required` (a wrong one counted; 429 past the limit)."""
    with UnitOfWork(db, _actor(user.id, user.role)) as uow:
        row = uow.session.get(UserTotp, user.id, with_for_update=True)
        if row is None or row.enabled_at is None:
            return AMR_PASSWORD
        _refuse_when_limited(config, row)
        if not code or not code.strip():
            raise Unauthorized(BAD_CODE, code=MFA_REQUIRED)
        if totp.looks_like_code(code.strip()):
            step = totp.matching_step(config.open(user.id, row.secret), code, time.time(), row.last_step)
            accepted = step is not None
            if step is not None:
                row.last_step = step
        else:
            recovery = uow.session.exec(
                select(RecoveryCode).where(
                    RecoveryCode.user_id == user.id,
                    RecoveryCode.code_hash == config.recovery_hash(code),
                    col(RecoveryCode.used_at).is_(None),
                )
            ).first()
            accepted = recovery is not None
            if recovery is not None:
                recovery.used_at = datetime.now(UTC)
                uow.session.add(recovery)
                uow.audit("user.recovery_code_used", "user", user.id)
        if not accepted:
            _count_failure(config, row)
        else:
            row.failed_count, row.failed_since = 0, None
        uow.session.add(row)
        uow.commit()
    if not accepted:
        raise Unauthorized(BAD_CODE, code=MFA_REQUIRED)
    return AMR_MFA


def reset(db: Database, actor: Actor, user_id: uuid.UUID) -> None:
    """An admin removes a user's second factor and recovery codes (audited); 404 without one."""
    with UnitOfWork(db, actor) as uow:
        row = uow.session.get(UserTotp, user_id, with_for_update=True)
        if row is None:
            raise NotFound("This account has no second factor.")
        uow.session.delete(row)
        uow.session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
        uow.audit("user.totp_reset", "user", user_id, before={"enabled": row.enabled_at is not None})
        uow.commit()


def _window_start(config: MfaConfig, row: UserTotp) -> datetime | None:
    since = row.failed_since
    if since is None:
        return None
    since = since if since.tzinfo else since.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return since if datetime.now(UTC) - since < timedelta(seconds=config.window) else None


def _refuse_when_limited(config: MfaConfig, row: UserTotp) -> None:
    since = _window_start(config, row)
    if since is not None and row.failed_count >= config.limit:
        left = since + timedelta(seconds=config.window) - datetime.now(UTC)
        raise TooManyCodes(max(1, math.ceil(left.total_seconds())))


def _count_failure(config: MfaConfig, row: UserTotp) -> None:
    if _window_start(config, row) is None:
        row.failed_since, row.failed_count = datetime.now(UTC), 0
    row.failed_count += 1
