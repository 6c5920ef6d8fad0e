"""What we keep of Stripe: the events already processed, so each is processed once."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop import clock
from shop.extensions import db
from shop.timeutil import UTCDateTime


class StripeEvent(db.Model):
    """A webhook event we processed. Its id is the primary key: a second delivery of the same
    event cannot insert it again, which is what makes processing happen once."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(80))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
