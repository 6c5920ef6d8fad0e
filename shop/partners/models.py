"""Apps that embed the shop, the clicks that lead to their sales, and the commission ledger.

The ledger is append-only: a row is never updated or deleted. Each row moves an amount of one
order line's commission into a bucket (`bucket`) out of another (`from_bucket`, None for the
first row, `pending`, written when the order is placed). A bucket's balance is the sum of what
moved into it less the sum of what moved out of it, computed in SQL (see partners.ledger):

    order placed         -> pending            (from None)
    return window passed -> approved           (from pending)
    cancel, expiry, ...  -> reversed           (from pending, or from approved)
    payout               -> paid               (from approved, with its payout)
    return after payout  -> reversed           (from approved: a clawback; the approved
                                                 balance may go below zero and the next payout
                                                 pays that much less)
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop import clock
from shop.extensions import db, str_enum
from shop.timeutil import UTCDateTime


class AppStatus(enum.StrEnum):
    PENDING = "pending"  # registered by its publisher, waiting for an operator
    APPROVED = "approved"  # live: its embed works and its sales earn commission
    SUSPENDED = "suspended"  # stopped by an operator: no embed, no new commission

    @property
    def label(self) -> str:
        return {
            AppStatus.PENDING: "Waiting for approval",
            AppStatus.APPROVED: "Approved",
            AppStatus.SUSPENDED: "Suspended",
        }[self]


class App(db.Model):
    """A publisher's app (a site or a mobile app's web view) that embeds the shop."""

    __tablename__ = "apps"
    __table_args__ = (
        sa.CheckConstraint(
            "default_rate_bp >= 0 AND default_rate_bp <= 10000", name="rate_in_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    publisher_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    # The public app key: in the embed snippet and in /embed/<key>/; not a secret.
    key: Mapped[str] = mapped_column(sa.String(32), unique=True)
    # Where the app may frame the shop: scheme://host[:port] origins, normalised (see
    # partners.service.normalize_origin). frame-ancestors lists exactly these.
    origins: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Basis points of a line's price: 500 = 5 %.
    default_rate_bp: Mapped[int] = mapped_column(default=500)
    theme_colour: Mapped[str] = mapped_column(sa.String(7), default="#00704a")
    # What the embedded catalog shows: None is the whole catalog; otherwise the items of these
    # categories and these items (ids), together.
    category_ids: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)
    item_ids: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)
    status: Mapped[AppStatus] = mapped_column(str_enum(AppStatus, 12), default=AppStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    rates: Mapped[list["RateOverride"]] = relationship(
        back_populates="app", lazy="selectin", cascade="all, delete-orphan"
    )


class RateOverride(db.Model):
    """An operator's rate for one item or one category of one app (item beats category beats
    the app's default)."""

    __tablename__ = "app_rates"
    __table_args__ = (
        sa.CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_in_range"),
        sa.CheckConstraint("(item_id IS NULL) <> (category_id IS NULL)", name="item_or_category"),
        sa.UniqueConstraint("app_id", "item_id", name="uq_app_rates_app_item"),
        sa.UniqueConstraint("app_id", "category_id", name="uq_app_rates_app_category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("apps.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("items.id"))
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"))
    rate_bp: Mapped[int] = mapped_column()

    app: Mapped[App] = relationship(back_populates="rates")


class ClickKind(enum.StrEnum):
    EMBED = "embed"  # the app's iframe was shown
    LINK = "link"  # a shopper followed the app's link to an item or to the shop


class Click(db.Model):
    """A visit the app sent, recorded once per visitor and app per CLICK_DEDUP_MINUTES.
    `visitor` and `client_hash` are keyed hashes (never the visitor's id or address itself).
    `flag` says why the click earns nothing ("flood": too many from one address)."""

    __tablename__ = "clicks"
    __table_args__ = (
        sa.Index("ix_clicks_app_id_visitor_at", "app_id", "visitor", "at"),
        sa.Index("ix_clicks_visitor_at", "visitor", "at"),
        sa.Index("ix_clicks_client_hash_at", "client_hash", "at"),
        sa.Index("ix_clicks_app_id_at", "app_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("apps.id"))
    kind: Mapped[ClickKind] = mapped_column(str_enum(ClickKind, 8))
    visitor: Mapped[str] = mapped_column(sa.String(32))
    client_hash: Mapped[str] = mapped_column(sa.String(32))
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("items.id"))
    flag: Mapped[str | None] = mapped_column(sa.String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Attribution(db.Model):
    """Which app an order is credited to, and how: `via` "iframe" (placed inside the app's
    frame) or "click" (the visitor's last click inside the window). `flag` says why it earns
    nothing ("self_purchase": the publisher's own order; "flood": its click was flagged)."""

    __tablename__ = "attributions"
    __table_args__ = (sa.Index("ix_attributions_app_id_created_at", "app_id", "created_at"),)

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), primary_key=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("apps.id"))
    click_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clicks.id"))
    via: Mapped[str] = mapped_column(sa.String(8))
    flag: Mapped[str | None] = mapped_column(sa.String(32))
    sales: Mapped[int] = mapped_column(default=0)  # centavos: the lines' subtotal, no shipping
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # When the tick (partners.ledger.approve_batch) looks at this order next: the earliest moment
    # its pending commission could turn approved; None once nothing of it is pending (and for a
    # flagged attribution, which earns nothing). A work queue's pointer, not a balance.
    settle_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class CommissionLine(db.Model):
    """The commission of one order line, frozen when the order is placed: the rate that applied
    (item override > category override > the app's default) and what one unit earns."""

    __tablename__ = "commission_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id"), unique=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("apps.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id"))
    rate_bp: Mapped[int] = mapped_column()
    rate_source: Mapped[str] = mapped_column(sa.String(8))  # "item", "category" or "app"
    unit_price: Mapped[int] = mapped_column()
    quantity: Mapped[int] = mapped_column()
    unit_commission: Mapped[int] = mapped_column()  # centavos, rounded (partners.ledger)


class Bucket(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REVERSED = "reversed"
    PAID = "paid"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class LedgerEntry(db.Model):
    """One append-only move of commission (see the module's docstring)."""

    __tablename__ = "commission_entries"
    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint("units >= 0", name="units_not_negative"),
        # The dashboard: an app's rows in a date range, summed by bucket, in the database.
        sa.Index("ix_commission_entries_app_id_created_at", "app_id", "created_at"),
        sa.Index("ix_commission_entries_line_id", "line_id"),
        sa.Index("ix_commission_entries_payout_id", "payout_id"),
        # One move per line, event and kind: a package reversed twice, or two ticks approving
        # the same line, write it once (a NULL ref is never a repeat). See partners.ledger.
        sa.UniqueConstraint(
            "line_id", "ref", "from_bucket", "reason", name="uq_commission_entries_line_ref"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(sa.ForeignKey("apps.id"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commission_lines.id"))
    bucket: Mapped[Bucket] = mapped_column(str_enum(Bucket, 10))
    from_bucket: Mapped[Bucket | None] = mapped_column(str_enum(Bucket, 10))
    units: Mapped[int] = mapped_column(default=0)  # how many of the line's units this moves
    amount: Mapped[int] = mapped_column()  # centavos moved (never negative: see from_bucket)
    # Why: order, approved, cancelled, expired, unclaimed, rejected, returned, clawback, payout.
    reason: Mapped[str] = mapped_column(sa.String(16))
    payout_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payouts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # What event wrote it, for idempotency: a package's tracking number (its reversal),
    # "approval", "order:<reason>"; None where nothing repeats it.
    ref: Mapped[str | None] = mapped_column(sa.String(40))


class Payout(db.Model):
    """One payout batch: every approved balance above the minimum on the day it ran."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(24), unique=True)  # PO-YYYYMMDD-NNNN
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by: Mapped[str] = mapped_column(sa.String(120), default="system")
    total: Mapped[int] = mapped_column(default=0)  # centavos
    publishers: Mapped[int] = mapped_column(default=0)

    lines: Mapped[list["PayoutLine"]] = relationship(
        back_populates="payout", lazy="selectin", order_by="PayoutLine.id"
    )


class PayoutLine(db.Model):
    """What one publisher is paid in one batch, and where to (their bank details as they were)."""

    __tablename__ = "payout_lines"
    __table_args__ = (
        sa.UniqueConstraint("payout_id", "publisher_id", name="uq_payout_lines_payout_publisher"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(sa.ForeignKey("payouts.id"))
    publisher_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    amount: Mapped[int] = mapped_column()
    account_name: Mapped[str] = mapped_column(sa.String(120), default="")
    bank: Mapped[str] = mapped_column(sa.String(80), default="")
    account_number: Mapped[str] = mapped_column(sa.String(34), default="")

    payout: Mapped[Payout] = relationship(back_populates="lines")


class PayoutAccount(db.Model):
    """Where a publisher wants to be paid."""

    __tablename__ = "payout_accounts"

    publisher_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    account_name: Mapped[str] = mapped_column(sa.String(120))
    bank: Mapped[str] = mapped_column(sa.String(80))
    account_number: Mapped[str] = mapped_column(sa.String(34))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


# --- the dashboard's daily roll-ups (partners.rollup) ------------------------------------------
#
# Sums per app and Manila day of the append-only rows above, added to by the tick. Each table
# covers exactly the rows up to its source's watermark (RollupMark): the dashboard reads these
# sums for those rows and the source table itself for the rows after the mark, so its figures
# are the same whether the tick rolled up a minute ago, a day ago or never.


class RollupMark(db.Model):
    """How far a source table has been rolled up: every row with id <= last_id is in the sums,
    no row after it is. `source` is "clicks", "attributions" or "ledger"."""

    __tablename__ = "partner_rollup_marks"

    source: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    last_id: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    rolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DayFigures(db.Model):
    """One app's clicks and attributed orders on one Manila day (the rolled-up part)."""

    __tablename__ = "partner_days"

    app_id: Mapped[int] = mapped_column(sa.ForeignKey("apps.id"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    clicks: Mapped[int] = mapped_column(default=0, server_default="0")  # not flagged
    flagged_clicks: Mapped[int] = mapped_column(default=0, server_default="0")
    orders: Mapped[int] = mapped_column(default=0, server_default="0")  # not flagged
    flagged_orders: Mapped[int] = mapped_column(default=0, server_default="0")
    # centavos: the unflagged orders' lines' subtotal
    sales: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")


class DayMoves(db.Model):
    """What one app's ledger rows of one Manila day moved from one bucket into another:
    `from_bucket` is "" for new commission (a row from no bucket)."""

    __tablename__ = "partner_day_moves"

    app_id: Mapped[int] = mapped_column(sa.ForeignKey("apps.id"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    bucket: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    from_bucket: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    rows: Mapped[int] = mapped_column(default=0, server_default="0")
    amount: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")  # centavos


class DayItems(db.Model):
    """One app's ledger rows of one Manila day, per item: the units and sales of new
    commission (rows from no bucket) and the commission earned (the sum of the rows' effects,
    see partners.dashboard.effect)."""

    __tablename__ = "partner_day_items"

    app_id: Mapped[int] = mapped_column(sa.ForeignKey("apps.id"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id"), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    units: Mapped[int] = mapped_column(default=0, server_default="0")
    sales: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")  # centavos
    commission: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
