"""Store-to-store (seed 004): what the ECMS's shipment doesn't keep of a seller's shipment."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop import clock
from shop.extensions import db
from shop.fulfillment.models import Shipment
from shop.timeutil import UTCDateTime


class SellerShipment(db.Model):
    """A shipment a signed-in seller made to a buyer (its shipments.source is "seller:<id>"):
    whose it is, for their list and for who may see it, and the branch they said they would
    drop it off at (its label names it; the drop-off event says where it really was)."""

    __tablename__ = "seller_shipments"

    shipment_id: Mapped[int] = mapped_column(sa.ForeignKey("shipments.id"), primary_key=True)
    seller_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    origin_branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    shipment: Mapped[Shipment] = relationship(Shipment, lazy="joined")
