"""Merchants: the operator lists, creates, edits and suspends them (issue #12 adds API keys).

Each write is one unit of work (shop.transaction) and returns what it changed, so the operator
console records it in the same transaction."""

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from shop import clock
from shop.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from shop.extensions import db
from shop.merchants.models import SLUG_LENGTH, ApiKey, Merchant, MerchantStatus
from shop.transaction import transaction

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
RESERVED = {"shop"}  # shipments.source of the shop's own orders


class MerchantNotFound(NotFound):
    """We couldn't find that merchant."""

    code = "merchant_not_found"


class MerchantSlugTaken(InvalidInput):
    """Another merchant already has that slug. Choose another."""

    code = "slug_taken"


@dataclass(frozen=True)
class Change:
    merchant: Merchant
    before: dict
    after: dict


def _facts(merchant: Merchant) -> dict:
    return {
        "name": merchant.name,
        "slug": merchant.slug,
        "contact_email": merchant.contact_email,
        "status": merchant.status.value,
    }


def _name(value) -> str:
    if not isinstance(value, str) or not " ".join(value.split()):
        raise InvalidInput("Enter the merchant's name.", field="name")
    value = " ".join(value.split())
    if len(value) > 120 or any(unicodedata.category(ch) == "Cc" for ch in value):
        raise InvalidInput("The name must be at most 120 characters of text.", field="name")
    return value


def _slug(value) -> str:
    if (
        not isinstance(value, str)
        or not SLUG.match(value)
        or len(value) > SLUG_LENGTH
        or value in RESERVED
    ):
        raise InvalidInput(
            f"The slug is up to {SLUG_LENGTH} lower-case letters, digits and single dashes "
            "(not “shop”).",
            field="slug",
        )
    return value


def _email(value, *, required: bool = True) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not value and not required:
        return ""  # no contact yet (a merchant made from the command line)
    if len(value) > 254 or not EMAIL.match(value):
        raise InvalidInput("Enter an email address like orders@example.com.", field="email")
    return value


def _slug_free(slug: str, merchant_id: int | None = None) -> None:
    taken = db.session.scalar(
        sa.select(Merchant.id).where(Merchant.slug == slug, Merchant.id != (merchant_id or 0))
    )
    if taken is not None:
        raise MerchantSlugTaken(field="slug")


def _flush() -> None:
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # a concurrent create took the slug after our check
        raise MerchantSlugTaken(field="slug") from None


def list_merchants() -> list[Merchant]:
    """Every merchant, by name."""
    return list(db.session.scalars(sa.select(Merchant).order_by(Merchant.name, Merchant.id)))


def get_merchant(merchant_id: int) -> Merchant:
    """Raises MerchantNotFound."""
    if not isinstance(merchant_id, int) or not 1 <= merchant_id <= 2**31 - 1:
        raise MerchantNotFound()
    merchant = db.session.get(Merchant, merchant_id, populate_existing=True)
    if merchant is None:
        raise MerchantNotFound()
    return merchant


def slug_for(name) -> str:
    """A free slug made from a merchant's name: "Tindahan ni Aling Nena" → "tindahan-ni-aling-
    nena" (then "-2", "-3", ... if taken; "merchant" when the name has no letter or digit)."""
    text = unicodedata.normalize("NFKD", name if isinstance(name, str) else "")
    words = re.findall(r"[a-z0-9]+", text.encode("ascii", "ignore").decode().lower())
    base = "-".join(words)[: SLUG_LENGTH - 4].strip("-") or "merchant"
    if base in RESERVED:
        base = f"{base}-merchant"
    slug, n = base, 1
    while db.session.scalar(sa.select(Merchant.id).where(Merchant.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def find_by_slug(slug: str) -> Merchant | None:
    """The merchant a shipment's `source` names, if any."""
    return db.session.scalar(sa.select(Merchant).where(Merchant.slug == slug))


@transaction()
def create_merchant(name, slug, contact_email, *, email_required: bool = True) -> Change:
    """A new, active merchant. Raises InvalidInput (naming the field), MerchantSlugTaken."""
    name, slug = _name(name), _slug(slug)
    contact_email = _email(contact_email, required=email_required)
    _slug_free(slug)
    merchant = Merchant(
        name=name, slug=slug, contact_email=contact_email, status=MerchantStatus.ACTIVE
    )
    db.session.add(merchant)
    _flush()
    return Change(merchant, {}, _facts(merchant))


@transaction()
def update_merchant(merchant_id: int, name, contact_email) -> Change:
    """Change the name and contact. The slug stays: shipments already name the merchant by
    it. Raises MerchantNotFound, InvalidInput."""
    name, contact_email = _name(name), _email(contact_email)
    merchant = get_merchant(merchant_id)
    before = _facts(merchant)
    merchant.name, merchant.contact_email = name, contact_email
    db.session.flush()
    return _changed(merchant, before)


@transaction()
def set_status(merchant_id: int, status) -> Change:
    """Suspend or reactivate. Raises MerchantNotFound, InvalidInput for another status,
    Conflict when it already has it (a second click)."""
    try:
        status = MerchantStatus(status)
    except ValueError:
        raise InvalidInput("Choose active or suspended.", field="status") from None
    merchant = get_merchant(merchant_id)
    if merchant.status is status:
        raise Conflict(f"{merchant.name} is already {status.value}.")
    before = _facts(merchant)
    merchant.status = status
    db.session.flush()
    return _changed(merchant, before)


def _changed(merchant: Merchant, before: dict) -> Change:
    after = _facts(merchant)
    keys = [k for k in after if after[k] != before[k]]
    return Change(merchant, {k: before[k] for k in keys}, {k: after[k] for k in keys})


# --- API keys (issue #12) -------------------------------------------------------------------
#
# A key is `sk_` and 43 URL-safe characters (32 random bytes). The merchant sees the whole
# secret once, when it is made; the shop keeps its SHA-256 and its first characters (the
# prefix the console lists). A request's key is found by its hash: unknown, revoked, or the
# key of a suspended merchant, it is refused.

KEY_PREFIX = "sk_"
KEY_SHOWN = 11  # "sk_" and 8 characters: what the console shows of a key
KEY_LENGTH = len(KEY_PREFIX) + 43
KEY_NAME_LENGTH = 80
MAX_KEYS = 20  # keys not revoked, per merchant
USED_EVERY = timedelta(minutes=5)  # how stale a key's "last used" may get (a write per use)


class KeyNotFound(NotFound):
    """We couldn't find that key."""

    code = "key_not_found"


class BadKey(Unauthorized):
    """Send your secret key as Authorization: Bearer sk_... (a key made in the merchant
    console, not revoked)."""

    code = "unauthorized"


class MerchantSuspended(Forbidden):
    """This merchant is suspended: its keys can't be used. Ask CLiQQ Shop's operators."""

    code = "merchant_suspended"


class TooManyKeys(Conflict):
    """A merchant has at most 20 keys in use. Revoke one you no longer need first."""

    code = "too_many_keys"


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _key_name(value) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not text or len(text) > KEY_NAME_LENGTH or not text.isprintable():
        raise InvalidInput(
            f"Name the key in 1 to {KEY_NAME_LENGTH} characters (where it is used).", field="name"
        )
    return text


def create_key(merchant_id: int, name, *, actor: str = "") -> NewKey:
    """A new secret key for the merchant, in one transaction (the caller's, if any). Raises
    MerchantNotFound, InvalidInput (field "name"), TooManyKeys."""
    name = _key_name(name)
    with transaction():
        merchant = get_merchant(merchant_id)
        in_use = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ApiKey)
            .where(ApiKey.merchant_id == merchant.id, ApiKey.revoked_at.is_(None))
        )
        if in_use >= MAX_KEYS:
            raise TooManyKeys()
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            merchant_id=merchant.id,
            name=name,
            prefix=secret[:KEY_SHOWN],
            secret_hash=hash_secret(secret),
            created_by=actor[:254],
            created_at=clock.now(),
        )
        db.session.add(key)
        db.session.flush()
    return NewKey(key, secret)


def list_keys(merchant_id: int) -> list[ApiKey]:
    """The merchant's keys, newest first, revoked ones too (their prefix only)."""
    return list(
        db.session.scalars(
            sa.select(ApiKey)
            .where(ApiKey.merchant_id == merchant_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        )
    )


@transaction()
def revoke_key(merchant_id: int, key_id: int) -> ApiKey:
    """Revoke one of the merchant's keys: the next request with it is a 401. Revoking a
    revoked key changes nothing. Raises KeyNotFound (another merchant's key too)."""
    key = None
    if isinstance(key_id, int) and 1 <= key_id <= 2**31 - 1:
        key = db.session.scalar(
            sa.select(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.merchant_id == merchant_id)
            .with_for_update()
        )
    if key is None:
        raise KeyNotFound()
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        db.session.flush()
    return key


def authenticate(secret) -> Merchant:
    """The merchant whose key `secret` is. Raises BadKey (malformed, unknown or revoked),
    MerchantSuspended. Notes when the key was last used (at most every USED_EVERY)."""
    if (
        not isinstance(secret, str)
        or len(secret) != KEY_LENGTH
        or not secret.startswith(KEY_PREFIX)
        or not secret.isascii()
    ):
        raise BadKey()
    found = db.session.execute(
        sa.select(ApiKey, Merchant)
        .join(Merchant, Merchant.id == ApiKey.merchant_id)
        .where(ApiKey.secret_hash == hash_secret(secret))
    ).first()
    if found is None or found.ApiKey.revoked_at is not None:
        raise BadKey()
    key, merchant = found
    if merchant.status is not MerchantStatus.ACTIVE:
        raise MerchantSuspended()
    now = clock.now()
    if key.last_used_at is None or key.last_used_at < now - USED_EVERY:
        with transaction():
            db.session.execute(
                sa.update(ApiKey)
                .where(
                    ApiKey.id == key.id,
                    sa.or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - USED_EVERY),
                )
                .values(last_used_at=now)
            )
    return merchant


def create_with_key(
    name, contact_email=None, *, slug=None, actor: str = ""
) -> tuple[Change, NewKey]:
    """A new merchant and its first secret key, in one transaction (what `flask shop
    create-merchant` does). The slug is made from the name unless given; the contact email
    may wait. Raises InvalidInput, MerchantSlugTaken."""
    with transaction():
        change = create_merchant(
            name, slug or slug_for(_name(name)), contact_email, email_required=False
        )
        key = create_key(change.merchant.id, "First key", actor=actor)
    return change, key


# --- Logins (the merchant console, issue #12 point 8) ----------------------------------------
#
# A merchant login (Role.MERCHANT) works for one merchant (users.merchant_id): its console
# shows that merchant's shipments, keys, webhooks and remittances, nothing else. An operator
# links logins from the merchant's page; a login of another role is never linked.


class LoginNotMerchant(Conflict):
    """That email belongs to a login that isn't a merchant's. Use another email."""

    code = "login_not_merchant"


class LoginTaken(Conflict):
    """That login already works for another merchant."""

    code = "login_taken"


class NoMerchant(Forbidden):
    """Your login isn't linked to a merchant yet. Ask CLiQQ Shop's operators to link it."""

    code = "no_merchant"


@dataclass(frozen=True)
class LoginAdded:
    user_id: int
    email: str
    created: bool  # a new login (with the password given), else an existing one linked


def logins_of(merchant_id: int) -> list:
    """The logins that work for the merchant, by email."""
    from shop.auth import service as accounts

    return accounts.merchant_logins(merchant_id)


@transaction()
def add_login(merchant_id: int, email, name="", password="") -> LoginAdded:
    """Let a login work for the merchant: an existing merchant login not linked elsewhere is
    linked (its name and password stay), else a new merchant login is made with `name` and
    `password` (the operator tells the merchant, who changes it). Raises MerchantNotFound,
    InvalidInput (field email or name), LoginNotMerchant, LoginTaken, and WeakPassword for a
    new login."""
    from shop.auth import service as accounts
    from shop.auth.models import Role

    merchant = get_merchant(merchant_id)
    email = _email(email)
    user = accounts.find_by_email(email)
    if user is not None:
        if user.role is not Role.MERCHANT:
            raise LoginNotMerchant(field="email")
        if user.merchant_id not in (None, merchant.id):
            raise LoginTaken(field="email")
        accounts.set_merchant(user, merchant.id)
        return LoginAdded(user.id, user.email, created=False)
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if not name or len(name) > 120:
        raise InvalidInput("Give the new login's name (up to 120 characters).", field="name")
    try:
        user = accounts.create_user(
            email,
            name,
            password if isinstance(password, str) else "",
            Role.MERCHANT,
            merchant_id=merchant.id,
        )
    except accounts.WeakPassword as exc:
        raise accounts.WeakPassword(exc.message, field="password") from None
    return LoginAdded(user.id, user.email, created=True)


@transaction()
def remove_login(merchant_id: int, user_id: int) -> str:
    """Unlink one of the merchant's logins (it stays, and opens no console until linked
    again). Returns its email. Raises MerchantNotFound, NotFound for a login not the
    merchant's."""
    merchant = get_merchant(merchant_id)
    user = next((u for u in logins_of(merchant.id) if u.id == user_id), None)
    if user is None:
        raise NotFound("That login doesn't work for this merchant.")
    from shop.auth import service as accounts

    accounts.set_merchant(user, None)
    return user.email


def merchant_of(user) -> Merchant:
    """The merchant a signed-in merchant login works for. Raises NoMerchant (a 403) when no
    operator has linked it yet."""
    merchant_id = getattr(user, "merchant_id", None)
    merchant = db.session.get(Merchant, merchant_id) if merchant_id else None
    if merchant is None:
        raise NoMerchant()
    return merchant


def check_active(merchant: Merchant) -> None:
    """Raises MerchantSuspended: a suspended merchant's console reads, but does nothing its
    API keys couldn't (make keys, cancel, re-route, ask for returns)."""
    if merchant.status is not MerchantStatus.ACTIVE:
        raise MerchantSuspended()
