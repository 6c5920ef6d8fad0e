"""What the operator's overview shows, gathered from each feature's service."""

from dataclasses import dataclass

from shop.auth import service as auth
from shop.branches import service as branches
from shop.catalog import service as catalog
from shop.catalog.models import Item


@dataclass(frozen=True)
class Overview:
    stock: catalog.StockSummary
    low_stock: list[Item]
    branches: branches.BranchSummary
    users_by_role: dict[str, int]


def overview() -> Overview:
    return Overview(
        stock=catalog.stock_summary(),
        low_stock=catalog.low_stock_items(),
        branches=branches.summary(),
        users_by_role=auth.count_by_role(),
    )
