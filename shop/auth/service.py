"""Accounts: sign-up, log-in, log-out, password changes. Passwords are hashed with argon2id;
wrong passwords are counted per account (shop/auth/throttle.py)."""

import math
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from shop.auth import throttle
from shop.auth.models import Role, User
from shop.auth.throttle import Client
from shop.errors import Conflict, InvalidInput, TooMany, Unauthorized
from shop.extensions import db
from shop.transaction import transaction

# Logins whose actions are checked against the place they work at (users.branch_id).
PLACED_ROLES = frozenset({Role.CLERK, Role.DC})

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


class TooManyAttempts(TooMany):
    """Too many wrong passwords for this account from here. Wait a little and try again."""

    code = "too_many_attempts"

    def __init__(self, retry_after: int, *, field: str | None = None):
        minutes = max(1, math.ceil(retry_after / 60))
        wait = "a minute" if minutes == 1 else f"{minutes} minutes"
        super().__init__(
            f"Too many wrong passwords for this account from here. Try again in {wait}.",
            field=field,
        )
        self.retry_after = retry_after


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


@transaction()
def create_user(
    email: str,
    name: str,
    password: str,
    role: Role = Role.SHOPPER,
    *,
    branch_id: int | None = None,
    merchant_id: int | None = None,
) -> User:
    """Create an account; a clerk or DC login with the branch (or the DC) it works at, which
    its counter actions are checked against; a merchant login with the merchant it works for
    (`merchant_id`, or None until an operator links it). Raises EmailTaken, WeakPassword, or
    InvalidInput (field branch) for a clerk or DC login without a place."""
    email = normalize_email(email)
    check_password_rules(password)
    if role in PLACED_ROLES and branch_id is None:
        raise InvalidInput(
            "A store clerk or distribution center login works at one place: give its branch.",
            field="branch",
        )
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise EmailTaken()
    user = User(
        email=email,
        name=name.strip(),
        password_hash=_ph().hash(password),
        role=role,
        branch_id=branch_id,
        merchant_id=merchant_id if role is Role.MERCHANT else None,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:  # a concurrent sign-up with the same email won
        raise EmailTaken() from exc
    return user


def _checked_attempts(email: str, client: Client, field: str | None = None) -> throttle.Attempts:
    attempts = throttle.Attempts(email, client)
    if wait := attempts.wait():
        raise TooManyAttempts(wait, field=field)
    return attempts


@transaction()
def authenticate(email: str, password: str, *, client: Client) -> User:
    """The user with this email and password. Raises InvalidCredentials (never says which part
    was wrong), or TooManyAttempts before checking anything once this client has spent its
    wrong passwords for this account (shop/auth/throttle.py; unknown emails count alike)."""
    email = normalize_email(email)
    attempts = _checked_attempts(email, client)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        _ph().hash(password)  # spend the same time as a real check: no user enumeration by timing
        attempts.failed()
        raise InvalidCredentials()
    try:
        _ph().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        attempts.failed()
        raise InvalidCredentials() from exc
    if _ph().check_needs_rehash(user.password_hash):
        user.password_hash = _ph().hash(password)
    attempts.succeeded()
    return user


def trust_browser(email: str) -> str:
    """A trusted-browser token for the account just logged in to: with it this browser keeps
    its own allowance of wrong passwords however many strangers try the account."""
    return throttle.browser_token(normalize_email(email))


@transaction()
def change_password(user_id: int, current: str, new: str, *, client: Client) -> User:
    """Set a new password after checking the current one; every other session is logged out.
    Raises InvalidCredentials or WeakPassword; TooManyAttempts when this client has spent its
    wrong passwords for this account (the password page and log-in share the counters)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise InvalidCredentials()
    attempts = _checked_attempts(user.email, client, field="current")
    try:
        _ph().verify(user.password_hash, current)
    except (VerificationError, InvalidHashError) as exc:
        attempts.failed()
        raise InvalidCredentials("Your current password isn't right.", field="current") from exc
    check_password_rules(new)
    user.password_hash = _ph().hash(new)
    user.session_version = User.session_version + 1  # in SQL: a log-out at once loses nothing
    db.session.flush()
    return user


@transaction()
def log_out(user_id: int) -> None:
    """End every session of this user, copies of its cookie included: the session version
    that each session id carries (see User.get_id) moves on."""
    db.session.execute(
        sa.update(User).where(User.id == user_id).values(session_version=User.session_version + 1)
    )


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


def email_of(user_id: int) -> str | None:
    """The address mail to this user goes to, or None if there is no such user (for features
    that must tell a user something, such as a webhook endpoint disabled)."""
    return db.session.scalar(sa.select(User.email).where(User.id == user_id))


def find_by_email(email: str) -> User | None:
    """The account with this email (as typed: normalized first), or None."""
    if not isinstance(email, str):
        return None
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def merchant_logins(merchant_id: int) -> list[User]:
    """The merchant logins that work for this merchant, by email."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.merchant_id == merchant_id, User.role == Role.MERCHANT)
            .order_by(User.email)
        )
    )


def set_merchant(user: User, merchant_id: int | None) -> None:
    """Link a merchant login to its merchant (None: unlink). Flushes only; the caller (shop.
    merchants.service) checks the role and the merchant."""
    user.merchant_id = merchant_id
    db.session.flush()
