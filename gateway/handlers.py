"""Use cases of the gateway's accounts: one unit of work each.

Audit rows name the user by id and record the role only: never an email, name, phone or
password (hash).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from gateway import domain
from gateway.models import RegisterIn, User, UserCreateIn
from shared.auth import Principal, Role
from shared.db import Database
from shared.errors import Conflict, Unauthorized
from shared.events.users import UserCreatedV1
from shared.uow import SYSTEM_ACTOR, Actor, UnitOfWork

log = logging.getLogger("edf.gateway.accounts")
hasher = PasswordHasher()
EMAIL_TAKEN = "An account with this email address exists already."
BAD_CREDENTIALS = "Wrong email or password."


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown, so that both cases take as long."""
    return hasher.hash(uuid.uuid4().hex)


def _new_user(email: str, password: str, full_name: str, role: Role, phone: str | None, locale: str) -> User:
    return User(
        email=email,
        password_hash=hasher.hash(password),
        full_name=full_name,
        phone=phone,
        locale=locale,
        role=role.value,
        created_at=datetime.now(UTC),
    )


def _add(db: Database, actor: Actor | None, user: User, action: str) -> User:
    """Stores a new user with its audit row (the actor defaults to the user themself); 409 if taken."""
    with UnitOfWork(db, actor or Actor(id=str(user.id), role=user.role)) as uow:
        if uow.session.exec(select(User.id).where(User.email == user.email)).first() is not None:
            raise Conflict(EMAIL_TAKEN)
        uow.session.add(user)
        uow.audit(action, "user", user.id, after={"role": user.role})
        uow.emit(UserCreatedV1(user_id=user.id, role=Role(user.role), created_at=user.created_at), user.id)
        try:
            uow.commit()
        except IntegrityError:
            raise Conflict(EMAIL_TAKEN) from None
    return user


def register(db: Database, body: RegisterIn) -> User:
    """Anyone signs up, always as an applicant."""
    user = _new_user(body.email, body.password, body.full_name, Role.applicant, body.phone, body.locale)
    return _add(db, None, user, "user.registered")


def create_user(db: Database, actor: Actor, body: UserCreateIn) -> User:
    """An admin creates an account of any role."""
    user = _new_user(body.email, body.password, body.full_name, body.role, body.phone, body.locale)
    return _add(db, actor, user, "user.created")


def authenticate(db: Database, username: str, password: str) -> User:
    """The active user with this email and password; 401 otherwise, in about the same time."""
    try:
        email = domain.normalise_email(username)
    except ValueError:
        email = None
    user = None
    if email is not None:
        with Session(db.engine) as session:
            user = session.exec(select(User).where(User.email == email)).first()
    if user is None or not user.is_active:
        _verify(_dummy_hash(), password)
        raise Unauthorized(BAD_CREDENTIALS)
    if not _verify(user.password_hash, password):
        raise Unauthorized(BAD_CREDENTIALS)
    if hasher.check_needs_rehash(user.password_hash):
        _rehash(db, user.id, password)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _rehash(db: Database, user_id: uuid.UUID, password: str) -> None:
    """Upgrades a hash made with older Argon2 parameters after a successful sign-in."""
    with UnitOfWork(db, Actor(id=str(user_id), role=SYSTEM_ACTOR.role)) as uow:
        user = uow.session.get(User, user_id)
        if user is None:
            return
        user.password_hash = hasher.hash(password)
        uow.session.add(user)
        uow.audit("user.password_rehashed", "user", user.id)
        uow.commit()


def get_me(db: Database, principal: Principal) -> User:
    with Session(db.engine) as session:
        user = session.get(User, principal.id)
    if user is None or not user.is_active:
        raise Unauthorized("This account does not exist or is disabled.")
    return user


def bootstrap_admin(db: Database, email: str, password: str) -> bool:
    """Creates the first admin when no account has this email; True when it did.

    Idempotent: run on every start, it changes nothing once the account exists (whatever
    its role or password are by then).
    """
    try:
        address = domain.normalise_email(email)
        domain.check_password(password)
    except ValueError as exc:
        raise ValueError(f"EDF_BOOTSTRAP_ADMIN_EMAIL/PASSWORD refused: {exc}") from None
    with Session(db.engine) as session:
        if session.exec(select(User.id).where(User.email == address)).first() is not None:
            return False
    user = _new_user(address, password, "Administrator", Role.admin, None, domain.DEFAULT_LOCALE)
    try:
        _add(db, SYSTEM_ACTOR, user, "user.bootstrapped")
    except Conflict:
        return False  # another gateway replica created it first
    log.info("bootstrap admin created", extra={"user_id": str(user.id)})
    return True
