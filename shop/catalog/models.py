"""Categories and items of the catalog."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop import clock
from shop.extensions import db, str_enum
from shop.money import Money
from shop.timeutil import UTCDateTime

LOW_STOCK = 5  # "only 3 left" shows at or below this


class AsksFor(enum.StrEnum):
    """What a digital item needs from the shopper at checkout to be delivered."""

    NOTHING = "none"  # a package to pick up, or a PIN sent to the shopper's own contact
    MOBILE = "mobile"  # a load or data pass: the Philippine mobile number to load
    EMAIL = "email"  # a voucher sent to someone: the email address to send it to

    def label(self, item_name: str) -> str:
        """The checkout field's label for an item that asks for this."""
        return {
            AsksFor.NOTHING: "",
            AsksFor.MOBILE: f"Number to load for {item_name}",
            AsksFor.EMAIL: f"Email address to send {item_name} to",
        }[self]


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class Item(db.Model):
    """Something the shop sells. Dimensions in millimetres and weight in grams, so every rule
    about packages works on integers; a virtual item (load, voucher) has no package at all."""

    __tablename__ = "items"
    __table_args__ = (
        sa.CheckConstraint("stock >= 0", name="stock_not_negative"),
        sa.CheckConstraint("price > 0", name="price_positive"),
        sa.Index("ix_items_category_id_name", "category_id", "name"),
        sa.Index("ix_items_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    price: Mapped[int] = mapped_column()  # centavos
    stock: Mapped[int] = mapped_column(default=0)
    length_mm: Mapped[int] = mapped_column(default=0)
    width_mm: Mapped[int] = mapped_column(default=0)
    height_mm: Mapped[int] = mapped_column(default=0)
    weight_g: Mapped[int] = mapped_column(default=0)
    frozen: Mapped[bool] = mapped_column(default=False)
    virtual: Mapped[bool] = mapped_column(default=False)
    # What checkout asks for this item (digital items only): see AsksFor.
    asks_for: Mapped[AsksFor] = mapped_column(str_enum(AsksFor, 8), default=AsksFor.NOTHING)
    image: Mapped[str] = mapped_column(sa.String(200), default="")  # path under static/
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)

    @property
    def unit_price(self) -> Money:
        return Money(self.price)

    @property
    def dimensions_mm(self) -> tuple[int, int, int]:
        return (self.length_mm, self.width_mm, self.height_mm)

    def __repr__(self) -> str:
        return f"<Item {self.slug}>"
