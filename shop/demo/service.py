"""Load the demo data (see shop/demo/__init__.py)."""

import sqlalchemy as sa

from shop import clock
from shop.auth import service as auth
from shop.auth.models import User
from shop.branches.models import Branch, BranchKind
from shop.catalog.models import AsksFor, Category, Item
from shop.demo import (
    DEMO_APPS,
    DEMO_PARTNER_ORIGINS,
    DEMO_PASSWORD,
    DEMO_PLACES,
    DEMO_PUBLISHER,
    DEMO_USERS,
    Loaded,
)
from shop.demo.branches_data import BRANCHES, DISTRIBUTION_CENTER
from shop.demo.catalog_data import CATEGORIES, ITEMS
from shop.extensions import db
from shop.transaction import transaction


def load_demo_data(users: bool = True) -> Loaded:
    """Add whatever demo records are missing, in one transaction. Returns what was added."""
    loaded = Loaded()
    with transaction():
        categories = _existing(Category, Category.slug)
        for data in CATEGORIES:
            if data["slug"] not in categories:
                categories[data["slug"]] = Category(**data)
                db.session.add(categories[data["slug"]])
                loaded.categories += 1
        db.session.flush()

        items = _existing(Item, Item.slug)
        for data in ITEMS:
            if data["slug"] not in items:
                fields = {k: v for k, v in data.items() if k != "category"}
                db.session.add(Item(category_id=categories[data["category"]].id, **fields))
                loaded.items += 1
            elif items[data["slug"]].asks_for != data.get("asks_for", AsksFor.NOTHING):
                # A field the demo data gained later reaches the items seeded before it.
                items[data["slug"]].asks_for = AsksFor(data.get("asks_for", AsksFor.NOTHING))

        codes = set(db.session.scalars(sa.select(Branch.code)))
        for data in [{**DISTRIBUTION_CENTER, "kind": BranchKind.DC}, *BRANCHES]:
            if data["code"] not in codes:
                db.session.add(Branch(**data))
                loaded.branches += 1

        if users:
            for email, name, role in DEMO_USERS:
                loaded.users += auth.ensure_user(email, name, DEMO_PASSWORD, role)
            db.session.flush()
            _place_demo_users()
            loaded.apps += seed_partners()
    return loaded


def seed_partners() -> int:
    """The demo publisher's apps (DEMO_APPS), approved, when missing: the demo partner page
    embeds them. Returns how many were added. Runs inside load_demo_data's transaction."""
    from shop.partners.models import App, AppStatus

    publisher = db.session.scalar(sa.select(User).where(User.email == DEMO_PUBLISHER))
    if publisher is None:
        return 0
    keys = set(db.session.scalars(sa.select(App.key)))
    slugs = {slug: id_ for slug, id_ in db.session.execute(sa.select(Category.slug, Category.id))}
    added = 0
    for data in DEMO_APPS:
        if data["key"] in keys:
            continue
        chosen = data["categories"]
        db.session.add(
            App(
                publisher_id=publisher.id,
                key=data["key"],
                name=data["name"],
                origins=list(DEMO_PARTNER_ORIGINS),
                default_rate_bp=data["default_rate_bp"],
                theme_colour=data["theme_colour"],
                category_ids=None if chosen is None else [slugs[s] for s in chosen if s in slugs],
                item_ids=None if chosen is None else [],
                status=AppStatus.APPROVED,
                approved_at=clock.now(),
                approved_by=None,
            )
        )
        added += 1
    db.session.flush()
    return added


def _place_demo_users() -> None:
    """Each demo clerk at their branch and the DC login at the DC (users.branch_id), also for
    logins seeded before they had a place; a place someone set since is left alone."""
    ids = {
        code: branch_id for code, branch_id in db.session.execute(sa.select(Branch.code, Branch.id))
    }
    for user in db.session.scalars(sa.select(User).where(User.email.in_(list(DEMO_PLACES)))):
        if user.branch_id is None:
            user.branch_id = ids.get(DEMO_PLACES[user.email])


def _existing(model, key_column) -> dict:
    return {getattr(row, key_column.key): row for row in db.session.scalars(sa.select(model))}
