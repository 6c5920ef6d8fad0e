"""Merchants: the operator lists, creates, edits and suspends them (issue #12 adds API keys).

Each write is one unit of work (shop.transaction) and returns what it changed, so the operator
console records it in the same transaction."""

import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa

from shop.errors import Conflict, InvalidInput, NotFound
from shop.extensions import db
from shop.merchants.models import SLUG_LENGTH, Merchant, MerchantStatus
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


def _email(value) -> str:
    value = value.strip() if isinstance(value, str) else ""
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


def find_by_slug(slug: str) -> Merchant | None:
    """The merchant a shipment's `source` names, if any."""
    return db.session.scalar(sa.select(Merchant).where(Merchant.slug == slug))


@transaction()
def create_merchant(name, slug, contact_email) -> Change:
    """A new, active merchant. Raises InvalidInput (naming the field), MerchantSlugTaken."""
    name, slug, contact_email = _name(name), _slug(slug), _email(contact_email)
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
