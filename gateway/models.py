"""Tables and API models of the gateway: user accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, StringConstraints
from sqlalchemy import BigInteger, Column, DateTime
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from gateway import domain
from shared.auth import Role
from shared.db import define_infra_tables
from shared.fields import Input


class Base(SQLModel, registry=registry()):
    pass


INFRA = define_infra_tables(Base.metadata)


class User(Base, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=domain.EMAIL_MAX, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    full_name: str = Field(max_length=domain.NAME_MAX)
    phone: str | None = Field(default=None, max_length=domain.PHONE_MAX)
    locale: str = Field(default=domain.DEFAULT_LOCALE, max_length=domain.LOCALE_MAX)
    role: str = Field(max_length=20, index=True)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    is_active: bool = Field(default=True)


class UserTotp(Base, table=True):
    """A user's second factor: the TOTP secret (encrypted, `gateway.mfa`), `enabled_at` once a
    code confirmed the enrolment, the last step accepted (a code is never accepted twice) and
    the wrong codes counted for the rate limit."""

    __tablename__ = "user_totp"

    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True)
    secret: str = Field(max_length=255)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    enabled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    last_step: int | None = Field(default=None, sa_type=BigInteger)
    failed_count: int = Field(default=0)  # wrong codes since `failed_since` (the rate limit)
    failed_since: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class RecoveryCode(Base, table=True):
    """One of a user's single-use recovery codes, by its keyed hash only."""

    __tablename__ = "recovery_codes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


Email = Annotated[
    str, StringConstraints(min_length=3, max_length=domain.EMAIL_MAX), AfterValidator(domain.normalise_email)
]
Password = Annotated[
    str,
    StringConstraints(min_length=domain.PASSWORD_MIN, max_length=domain.PASSWORD_MAX),
    AfterValidator(domain.check_password),
]
FullName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=domain.NAME_MAX)]
Phone = Annotated[str, StringConstraints(max_length=domain.PHONE_MAX), AfterValidator(domain.check_phone)]
Locale = Annotated[str, StringConstraints(max_length=domain.LOCALE_MAX), AfterValidator(domain.check_locale)]


class RegisterIn(Input):
    email: Email
    password: Password
    full_name: FullName
    phone: Phone | None = None
    locale: Locale = domain.DEFAULT_LOCALE


class UserCreateIn(Input):
    email: Email
    password: Password
    full_name: FullName
    role: Role
    phone: Phone | None = None
    locale: Locale = domain.DEFAULT_LOCALE


class RegisteredOut(BaseModel):
    id: uuid.UUID
    email: str
    role: Role


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: Role


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  (the OAuth2 token type, not a secret)
    expires_in: int


class TotpEnrolmentOut(BaseModel):
    """Shown once: the secret (also in `otpauth_uri`, for a QR code) and the recovery codes."""

    secret: str
    otpauth_uri: str
    recovery_codes: list[str]


class TotpConfirmIn(Input):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=6, pattern=r"^[0-9]{6}$")]


class TotpEnabledOut(BaseModel):
    enabled: bool


class TotpStatusOut(BaseModel):
    enabled: bool
    required: bool
    token_has_mfa: bool


class Jwk(BaseModel):
    """A public key (RFC 7517/8037): Ed25519 (`kty` OKP, `x`) or RSA (`n`, `e`); `kid` is its
    RFC 7638 thumbprint."""

    kty: Literal["OKP", "RSA"]
    kid: str
    use: Literal["sig"]
    alg: Literal["EdDSA", "RS256"]
    crv: Literal["Ed25519"] | None = None
    x: str | None = None
    n: str | None = None
    e: str | None = None


class JwksOut(BaseModel):
    keys: list[Jwk]
