"""Every feature's tables, imported in one place so Alembic and `db.create_all` see them all."""

from shop.auth.models import User
from shop.branches.models import Branch
from shop.catalog.models import Category, Item

__all__ = ["Branch", "Category", "Item", "User"]
