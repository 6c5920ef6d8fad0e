"""What the operator's overview shows, gathered from each feature's service."""

from dataclasses import dataclass

from flask import current_app

from shop.auth import service as auth
from shop.branches import service as branches
from shop.catalog import service as catalog
from shop.catalog.models import Item
from shop.notify import service as notify
from shop.notify.models import OutboxStatus


@dataclass(frozen=True)
class Overview:
    stock: catalog.StockSummary
    low_stock: list[Item]
    branches: branches.BranchSummary
    users_by_role: dict[str, int]
    outbox: dict[OutboxStatus, int]


def overview() -> Overview:
    return Overview(
        stock=catalog.stock_summary(),
        low_stock=catalog.low_stock_items(),
        branches=branches.summary(),
        users_by_role=auth.count_by_role(),
        outbox=notify.counts_by_status(),
    )


@dataclass(frozen=True)
class Outbox:
    counts: dict[OutboxStatus, int]
    parked: list[notify.MessageView]
    retrying: list[notify.MessageView]
    max_attempts: int


def outbox() -> Outbox:
    """The outbox as the operator sees it: counts by status, what is parked, what is failing."""
    return Outbox(
        counts=notify.counts_by_status(),
        parked=notify.parked(),
        retrying=notify.retrying(),
        max_attempts=current_app.config["OUTBOX_MAX_ATTEMPTS"],
    )
