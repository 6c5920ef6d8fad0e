"""Load the demo data (see shop/demo/__init__.py)."""

import sqlalchemy as sa

from shop import clock
from shop.auth import service as auth
from shop.auth.models import User
from shop.branches.models import Branch, BranchKind
from shop.catalog.models import AsksFor, Category, Item
from shop.demo import (
    DEMO_APPS,
    DEMO_MERCHANT_LOGIN,
    DEMO_MERCHANTS,
    DEMO_PARTNER_ORIGINS,
    DEMO_PASSWORD,
    DEMO_PLACES,
    DEMO_PUBLISHER,
    DEMO_SHIPMENTS,
    DEMO_USERS,
    DEMO_WEBHOOK_URL,
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
            loaded.merchants += seed_merchants()
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


def seed_merchants() -> int:
    """The demo merchants (DEMO_MERCHANTS), when missing. The first is the demo merchant
    login's (linked, also when the login was seeded before the link existed), made with a key,
    a webhook endpoint and DEMO_SHIPMENTS moved through the ECMS as the DC and the counters
    would (a cash-on-delivery one paid at its counter, with its AR): a lived-in console.
    Returns how many merchants were added. Runs inside load_demo_data's transaction."""
    from shop.merchants import service as merchants

    added = 0
    for index, data in enumerate(DEMO_MERCHANTS):
        merchant = merchants.find_by_slug(data["slug"])
        if merchant is None:
            merchant = merchants.create_merchant(data["name"], data["slug"], data["email"]).merchant
            added += 1
            if index == 0:
                _merchant_history(merchant)
        if index == 0:
            login = db.session.scalar(sa.select(User).where(User.email == DEMO_MERCHANT_LOGIN))
            if login is not None and login.merchant_id is None:
                login.merchant_id = merchant.id
    db.session.flush()
    return added


def _merchant_history(merchant) -> None:
    """A key, a webhook endpoint and DEMO_SHIPMENTS for the demo merchant."""
    from shop.counter import pos
    from shop.fulfillment import service as ecms
    from shop.merchants import service as merchants
    from shop.merchants import shipments
    from shop.notify import webhooks

    merchants.create_key(merchant.id, "Demo storefront", actor=DEMO_MERCHANT_LOGIN)
    webhooks.create_endpoint(
        "merchant", merchant.id, DEMO_WEBHOOK_URL, "The demo partner page's receiver"
    )
    staff = {
        user.branch_id: ecms.Actor.of(user, terminal="POS-1", shift="1")
        for user in db.session.scalars(sa.select(User).where(User.email.in_(list(DEMO_PLACES))))
    }
    dc = staff.get(ecms.distribution_center_id(), "system")
    for number, (reference, payment, amount, code, moves) in enumerate(DEMO_SHIPMENTS, 1):
        made = shipments.create(
            merchant,
            shipments.Request(
                reference=reference,
                payment=payment,
                amount_due=amount,
                branch_code=code,
                drop_off_branch_code=None,
                recipient_name=["Maria Santos", "Jose Rizal Cruz", "Ana Reyes"][number % 3],
                recipient_phone=f"0917 555 {1000 + number:04d}",
                recipient_email=f"buyer{number}@example.com",
                length_cm=25,
                width_cm=18,
                height_cm=8 + number,
                weight_g=400 + 150 * number,
                frozen=False,
                contents=f"Order {reference}",
            ),
        )
        package = ecms.get_package(made.tracking_number)
        branch_id = package.shipment.branch_id
        for move in moves:
            if move == "cancel":
                shipments.cancel(merchant, made.tracking_number, "The buyer cancelled the order.")
            elif move == "pay":
                pos.claim_step(
                    made.code,
                    [],
                    staff[branch_id],
                    label=made.tracking_number,
                    cash_received=str(amount // 100 + 50),
                    id_type="Passport",
                )
            else:
                clerk = staff.get(branch_id) if move == "arrive" else None
                ecms.transition(package, move, actor=clerk or dc)


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
