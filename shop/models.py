"""Every feature's tables, imported in one place so Alembic and `db.create_all` see them all."""

from shop.admin.models import AuditEntry
from shop.auth.models import User
from shop.branches.models import Branch
from shop.catalog.models import Category, Item
from shop.checkout.models import Order, OrderLine
from shop.counter.models import Apo, Trip
from shop.fulfillment.models import Code, Package, PackageEvent, Shipment
from shop.merchants.models import Merchant
from shop.notify.models import OutboxMessage
from shop.partners.models import (
    App,
    Attribution,
    Click,
    CommissionLine,
    LedgerEntry,
    Payout,
    PayoutAccount,
    PayoutLine,
    RateOverride,
)
from shop.payments.models import StripeEvent
from shop.sellers.models import SellerShipment

__all__ = [
    "Apo",
    "App",
    "Attribution",
    "AuditEntry",
    "Branch",
    "Category",
    "Click",
    "Code",
    "CommissionLine",
    "Item",
    "LedgerEntry",
    "Merchant",
    "Order",
    "OrderLine",
    "OutboxMessage",
    "Package",
    "PackageEvent",
    "Payout",
    "PayoutAccount",
    "PayoutLine",
    "RateOverride",
    "SellerShipment",
    "Shipment",
    "StripeEvent",
    "Trip",
    "User",
]
