"""The counter screens' own tables: a DC trip (the packages one truck takes to one branch)."""

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
