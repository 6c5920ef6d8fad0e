"""Factories with defaults and overrides. Each commits in its own app context and returns the
object detached but loaded, so a test can read its fields while the test client runs requests
in contexts of their own."""

import itertools

from shop.auth.models import Role, User
from shop.auth.service import _ph
from shop.branches.models import Branch
from shop.catalog.models import Category, Item
from shop.extensions import db
from shop.partners.models import App, AppStatus

PASSWORD = "correct horse battery"  # noqa: S105
_seq = itertools.count(1)


class Factories:
    def __init__(self, app):
        self.app = app

    def _save(self, obj):
        with self.app.app_context():
            db.session.add(obj)
            db.session.commit()
            db.session.refresh(obj)
            db.session.expunge(obj)
        return obj

    def category(self, **overrides) -> Category:
        n = next(_seq)
        fields = {"name": f"Category {n}", "slug": f"category-{n}", "position": n}
        return self._save(Category(**(fields | overrides)))

    def item(self, **overrides) -> Item:
        n = next(_seq)
        if "category_id" not in overrides:
            overrides["category_id"] = self.category().id
        fields = {
            "name": f"Item {n}",
            "slug": f"item-{n}",
            "description": f"A good thing, number {n}.",
            "price": 10000,
            "stock": 10,
            "length_mm": 100,
            "width_mm": 100,
            "height_mm": 100,
            "weight_g": 500,
            "image": "img/icon.svg",
        }
        return self._save(Item(**(fields | overrides)))

    def user(self, role: Role = Role.SHOPPER, password: str = PASSWORD, **overrides) -> User:
        n = next(_seq)
        with self.app.app_context():
            password_hash = _ph().hash(password)
        fields = {"email": f"user{n}@example.com", "name": f"User {n}", "role": role}
        return self._save(User(password_hash=password_hash, **(fields | overrides)))

    def branch(self, **overrides) -> Branch:
        n = next(_seq)
        fields = {
            "code": f"{n:04d}",
            "name": f"7-Eleven Test {n}",
            "address": f"{n} Test Street",
            "city": "Makati",
            "province": "Metro Manila",
            "lat": 14.55,
            "lng": 121.02,
        }
        return self._save(Branch(**(fields | overrides)))

    def partner_app(self, publisher_id: int | None = None, **overrides) -> App:
        """An approved app (a new publisher's unless `publisher_id` is given), framable from
        http://localhost:5001."""
        n = next(_seq)
        if publisher_id is None:
            publisher_id = self.user(Role.PUBLISHER).id
        fields = {
            "publisher_id": publisher_id,
            "name": f"App {n}",
            "key": f"app_test{n:016d}",
            "origins": ["http://localhost:5001"],
            "default_rate_bp": 500,
            "status": AppStatus.APPROVED,
        }
        return self._save(App(**(fields | overrides)))

    def get(self, model, ident):
        """A fresh copy of a row, detached (to check what a request changed)."""
        with self.app.app_context():
            obj = db.session.get(model, ident)
            if obj is not None:
                db.session.expunge(obj)
            return obj
