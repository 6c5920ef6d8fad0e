"""Accounts: sign-up, log-in, password changes. Passwords are hashed with argon2id."""

from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from shop.auth.models import Role, User
from shop.errors import Conflict, InvalidInput, Unauthorized
from shop.extensions import db

MIN_PASSWORD = 10
MAX_PASSWORD = 128


class EmailTaken(Conflict):
    """An account with that email already exists. Log in instead, or use another email."""

    code = "email_taken"


class InvalidCredentials(Unauthorized):
    """That email and password don't match an account."""

    code = "invalid_credentials"


class WeakPassword(InvalidInput):
    """Choose a password of at least 10 characters."""

    code = "weak_password"


@cache
def _hasher(fast: bool) -> PasswordHasher:
    # The tests hash hundreds of passwords: they use argon2's lightest parameters.
    if fast:
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()


def _ph() -> PasswordHasher:
    return _hasher(bool(current_app.config.get("PASSWORD_HASH_FAST")))


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(f"Choose a password of at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise WeakPassword(f"Choose a password of at most {MAX_PASSWORD} characters.")


def create_user(email: str, name: str, password: str, role: Role = Role.SHOPPER) -> User:
    """Create an account and commit. Raises EmailTaken or WeakPassword."""
    email = normalize_email(email)
    check_password_rules(password)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise EmailTaken()
    user = User(email=email, name=name.strip(), password_hash=_ph().hash(password), role=role)
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:  # a concurrent sign-up with the same email won
        db.session.rollback()
        raise EmailTaken() from exc
    return user


def authenticate(email: str, password: str) -> User:
    """The user with this email and password. Raises InvalidCredentials (never says which part
    was wrong)."""
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None:
        _ph().hash(password)  # spend the same time as a real check: no user enumeration by timing
        raise InvalidCredentials()
    try:
        _ph().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise InvalidCredentials() from exc
    if _ph().check_needs_rehash(user.password_hash):
        user.password_hash = _ph().hash(password)
        db.session.commit()
    return user


def change_password(user_id: int, current: str, new: str) -> User:
    """Set a new password after checking the current one; every other session is logged out.
    Raises InvalidCredentials or WeakPassword."""
    user = db.session.get(User, user_id)
    if user is None:
        raise InvalidCredentials()
    try:
        _ph().verify(user.password_hash, current)
    except (VerificationError, InvalidHashError) as exc:
        raise InvalidCredentials("Your current password isn't right.", field="current") from exc
    check_password_rules(new)
    user.password_hash = _ph().hash(new)
    user.session_version += 1
    db.session.commit()
    return user


def load_user(session_id: str) -> User | None:
    """The user a login session names, if that session is still valid (see User.get_id)."""
    user_id, _, version = (session_id or "").partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def ensure_user(email: str, name: str, password: str, role: Role) -> bool:
    """Create the account unless one with that email exists (for demo data). True if created."""
    if db.session.scalar(sa.select(User.id).where(User.email == normalize_email(email))):
        return False
    db.session.add(
        User(email=normalize_email(email), name=name, password_hash=_ph().hash(password), role=role)
    )
    return True


def count_by_role() -> dict[str, int]:
    rows = db.session.execute(sa.select(User.role, sa.func.count()).group_by(User.role))
    return {role.value: n for role, n in rows}
