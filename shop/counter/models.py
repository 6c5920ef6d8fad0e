"""The counter screens' own tables: a DC trip (the packages one truck takes to one branch) and
an APO (the packages going back to one merchant, released together)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop import clock
from shop.extensions import db
from shop.fulfillment.models import Package
from shop.timeutil import UTCDateTime


class Trip(db.Model):
    """One dispatch from the DC to one branch: its packages (packages.trip_id) left together,
    in one cold truck or one ordinary one, never both (frozen goods travel cold, seed 004)."""

    __tablename__ = "trips"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)  # T-20261201-482913
    destination_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    cold: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by: Mapped[str] = mapped_column(sa.String(120), default="")
    terminal: Mapped[str | None] = mapped_column(sa.String(32))
    shift: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    packages: Mapped[list[Package]] = relationship(
        Package, order_by=Package.id, lazy="selectin", viewonly=True
    )
    destination = relationship("Branch", lazy="joined")


# Which packages an APO lists. A package is on one APO at most (package_id is unique): once
# listed it waits for that APO's release.
apo_packages = sa.Table(
    "apo_packages",
    db.metadata,
    sa.Column("apo_id", sa.ForeignKey("apos.id"), primary_key=True),
    sa.Column("package_id", sa.ForeignKey("packages.id"), primary_key=True, unique=True),
)


class Apo(db.Model):
    """An Authority to Pull-out: the DC's document for the packages going back to one merchant
    (shipments.source: "shop" for the shop's own orders, "seller:<id>", a merchant), listed
    when it is made; its release (the merchant's courier signs and takes them) marks every
    one returned_to_merchant at once."""

    __tablename__ = "apos"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(24), unique=True)  # APO-20261201-482913
    merchant: Mapped[str] = mapped_column(sa.String(40), index=True)  # shipments.source
    merchant_name: Mapped[str] = mapped_column(sa.String(120), default="")  # as when made
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by: Mapped[str] = mapped_column(sa.String(120), default="")
    terminal: Mapped[str | None] = mapped_column(sa.String(32))
    shift: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    released_by: Mapped[str | None] = mapped_column(sa.String(120))
    courier: Mapped[str | None] = mapped_column(sa.String(120))  # who took them, as typed

    packages: Mapped[list[Package]] = relationship(
        Package, secondary=apo_packages, order_by=Package.id, lazy="selectin", viewonly=True
    )
