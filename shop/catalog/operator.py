"""The catalog as the operator changes it (issue #11, point 8): items (with their stock, set so
that an order is never overwritten, and pictures) and categories. The catalog's rules live
here, not in the console's views; each write returns what it changed, for the audit log."""

import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa

from shop.catalog.models import Category, Item
from shop.catalog.service import (
    SLUG,
    ItemNotFound,
    clean_query,
    forget_categories,
    like_escape,
)
from shop.errors import Conflict, InvalidInput, NotFound
from shop.extensions import db
from shop.rows import FromRow
from shop.transaction import transaction

# --- The operator's writes (issue #11 point 8): the catalog's rules live here, not in views ---
#
# Every write below is one unit of work (shop.transaction): the operator console calls it
# inside its own transaction, which also writes the audit row, so the change and its record
# are committed together. Each returns what the change was (`Change.before` / `.after`, only
# the fields it touched) so the caller can record it without reading the row again.

MAX_NAME = 120
MAX_DESCRIPTION = 4000
MAX_PRICE = 100_000_000  # ₱1,000,000.00 in centavos: a typo guard, not a business limit
MAX_STOCK = 1_000_000
MAX_MM = 10_000  # 10 m: any longer is a typo
MAX_G = 1_000_000  # 1 tonne
EDITABLE = (
    "name", "slug", "description", "category_id", "price", "stock", "length_mm", "width_mm",
    "height_mm", "weight_g", "frozen", "active",
)  # fmt: skip


class SlugTaken(InvalidInput):
    """Another item or category already has that web address (slug). Choose another."""

    code = "slug_taken"


class StockChanged(Conflict):
    """The stock changed while you were editing (an order took some, or another operator saved).
    The page shows it as it is now: check it and save again."""

    code = "stock_changed"


class CategoryNotFound(NotFound):
    """We couldn't find that category."""

    code = "category_not_found"


@dataclass(frozen=True)
class Change:
    """What a write did: the object's id and its touched fields before and after."""

    id: int
    before: dict
    after: dict
    label: str = ""  # how a person names it ("Pork Siomai")


def snapshot(item: Item) -> dict:
    """An item's editable fields as plain values (what the audit log keeps)."""
    return {field: getattr(item, field) for field in EDITABLE} | {"image": item.image}


def _whole(value, name: str, field: str, low: int, high: int) -> int:
    # bool is an int in Python: True must not become a price of 1 centavo.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        message = f"The {name} must be a whole number from {low:,} to {high:,}."
        raise InvalidInput(message, field=field)
    return value


def _text(value, name: str, field: str, limit: int, required: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"Enter the {name}.", field=field)
    value = " ".join(value.split()) if field != "description" else value.strip()
    if required and not value:
        raise InvalidInput(f"Enter the {name}.", field=field)
    controls = any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value)
    if len(value) > limit or controls:
        raise InvalidInput(f"The {name} must be at most {limit:,} characters of text.", field=field)
    return value


def _slug(value, field: str = "slug") -> str:
    if not isinstance(value, str) or not value or len(value) > 120 or not SLUG.match(value):
        raise InvalidInput(
            "The web address (slug) is lower-case letters, digits and single dashes, "
            "like pork-siomai-12pc.",
            field=field,
        )
    return value


def _check_item(fields: dict, virtual: bool) -> dict:
    """The rules of an item, checked on the fields given (a partial edit checks what it sets).
    Price > 0 whole centavos; stock >= 0; a physical item's dimensions and weight positive; a
    slug of the SLUG shape. Raises InvalidInput naming the field."""
    checked = {}
    for key, value in fields.items():
        if key == "name":
            checked[key] = _text(value, "name", key, MAX_NAME)
        elif key == "description":
            checked[key] = _text(value, "description", key, MAX_DESCRIPTION, required=False)
        elif key == "slug":
            checked[key] = _slug(value)
        elif key == "price":
            checked[key] = _whole(value, "price in centavos", key, 1, MAX_PRICE)
        elif key == "stock":
            checked[key] = _whole(value, "stock", key, 0, MAX_STOCK)
        elif key in ("length_mm", "width_mm", "height_mm"):
            low = 0 if virtual else 1
            checked[key] = _whole(value, "size in millimetres", key, low, MAX_MM)
        elif key == "weight_g":
            checked[key] = _whole(value, "weight in grams", key, 0 if virtual else 1, MAX_G)
        elif key in ("frozen", "active"):
            if not isinstance(value, bool):
                raise InvalidInput("Choose yes or no.", field=key)
            checked[key] = value
        elif key == "category_id":
            _whole(value, "category", key, 1, 2**31 - 1)
            if db.session.get(Category, value) is None:
                raise CategoryNotFound(field="category_id")
            checked[key] = value
        else:
            raise InvalidInput(f"{key} can't be set here.")
    return checked


def _slug_free(slug: str, item_id: int | None = None) -> None:
    taken = db.session.scalar(
        sa.select(Item.id).where(Item.slug == slug, Item.id != (item_id or 0)).limit(1)
    )
    if taken is not None:
        raise SlugTaken(field="slug")


def _flush_unique(error: type[InvalidInput]) -> None:
    """Flush; a unique index the check above raced with becomes the named error."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        raise error(field="slug") from None


def item_for_operator(item_id: int) -> Item:
    """Any item, on sale or hidden, as the database has it now. Raises ItemNotFound."""
    if not isinstance(item_id, int) or not 1 <= item_id <= 2**31 - 1:
        raise ItemNotFound()
    item = db.session.get(Item, item_id, populate_existing=True)
    if item is None:
        raise ItemNotFound()
    return item


@transaction()
def create_item(**fields) -> Change:
    """A new physical item from the operator: name, slug, category_id, price (centavos),
    stock, length_mm, width_mm, height_mm, weight_g, frozen, active, description. Raises
    InvalidInput (naming the field), SlugTaken, CategoryNotFound."""
    missing = [k for k in EDITABLE if k not in fields and k != "description"]
    if missing:
        raise InvalidInput(f"Missing: {', '.join(missing)}.", field=missing[0])
    checked = _check_item(fields, virtual=False)
    _slug_free(checked["slug"])
    item = Item(image="img/icon.svg", **checked)
    db.session.add(item)
    _flush_unique(SlugTaken)
    return Change(item.id, {}, snapshot(item), item.name)


# One statement, so a stock edit never races an order (see set_stock).
SET_STOCK = (
    sa.update(Item.__table__)
    .where(
        Item.__table__.c.id == sa.bindparam("item_id"),
        Item.__table__.c.stock == sa.bindparam("was"),
    )
    .values(stock=sa.bindparam("stock"))
)


def set_stock(item_id: int, stock: int, was: int) -> None:
    """Set the stock to `stock` if it is still `was` (what the operator's page showed): one
    conditional UPDATE, never a read-modify-write in Python, so an order that takes stock at
    the same moment (TAKE_STOCK, itself conditional) is never overwritten: one of the two
    statements waits for the other's row lock and then finds `stock` no longer `was`. Raises
    StockChanged when it moved meanwhile (nothing changed), InvalidInput for a bad number.
    Flushes only."""
    stock = _whole(stock, "stock", "stock", 0, MAX_STOCK)
    was = _whole(was, "stock", "stock", 0, MAX_STOCK)
    done = db.session.execute(SET_STOCK, {"item_id": item_id, "stock": stock, "was": was})
    if done.rowcount != 1:
        raise StockChanged(field="stock")


@transaction()
def update_item(item_id: int, stock_was: int | None = None, **fields) -> Change:
    """Change an item's fields (any of EDITABLE). A new `stock` needs `stock_was`, the stock the
    operator saw: it is set with set_stock's conditional update. Returns only what changed.
    Raises ItemNotFound, InvalidInput, SlugTaken, CategoryNotFound, StockChanged."""
    item = item_for_operator(item_id)
    checked = _check_item(fields, virtual=item.virtual)
    before = snapshot(item)
    stock = checked.pop("stock", None)
    if stock is not None:
        if stock_was is None:
            raise InvalidInput("Reload the page to change the stock.", field="stock")
        before["stock"] = stock_was  # what the conditional update found
        if stock != stock_was:
            set_stock(item.id, stock, stock_was)
    if "slug" in checked and checked["slug"] != item.slug:
        _slug_free(checked["slug"], item.id)
    for key, value in checked.items():
        setattr(item, key, value)
    _flush_unique(SlugTaken)
    after = snapshot(item) | ({"stock": stock} if stock is not None else {})
    keys = [k for k in after if after[k] != before[k]]
    return Change(item.id, {k: before[k] for k in keys}, {k: after[k] for k in keys}, item.name)


@transaction()
def set_item_image(item_id: int, image: str) -> Change:
    """Point the item at an image (a path the `static_url` of the templates serves). Raises
    ItemNotFound."""
    item = item_for_operator(item_id)
    before = {"image": item.image}
    item.image = image
    db.session.flush()
    return Change(item.id, before, {"image": image}, item.name)


@dataclass(frozen=True, slots=True)
class OperatorItemRow(FromRow):
    id: int
    slug: str
    name: str
    price: int
    stock: int
    frozen: bool
    virtual: bool
    active: bool
    category: str


@dataclass(frozen=True)
class OperatorItems:
    rows: list[OperatorItemRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def operator_items(query: str = "", page: int = 1, per_page: int = 50) -> OperatorItems:
    """Every item, hidden ones too, by name; every word of `query` in the name or slug. One
    query (the total rides along as a window count, as on the shop's listing)."""
    query, _ = clean_query(query)
    conditions = []
    for word in query.split()[:10]:
        pattern = f"%{like_escape(word)}%"
        conditions.append(
            sa.or_(Item.name.ilike(pattern, escape="\\"), Item.slug.ilike(pattern, escape="\\"))
        )
    rows = db.session.execute(
        sa.select(
            Item.id, Item.slug, Item.name, Item.price, Item.stock, Item.frozen, Item.virtual,
            Item.active, Category.name.label("category"), sa.func.count().over().label("total"),
        )
        .join(Item.category)
        .where(*conditions)
        .order_by(Item.name, Item.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()  # fmt: skip
    if not rows and page > 1:
        raise NotFound(f"There is no page {page:,} of these items.")
    total = rows[0].total if rows else 0
    return OperatorItems(OperatorItemRow.from_rows(rows), total, page, per_page)


# --- Categories ----------------------------------------------------------------------------


def category_for_operator(category_id: int) -> Category:
    if not isinstance(category_id, int) or not 1 <= category_id <= 2**31 - 1:
        raise CategoryNotFound()
    category = db.session.get(Category, category_id, populate_existing=True)
    if category is None:
        raise CategoryNotFound()
    return category


def operator_categories() -> list[tuple[Category, int]]:
    """Every category in display order with how many items it has (one query)."""
    counts = (
        sa.select(Item.category_id, sa.func.count(Item.id).label("n"))
        .group_by(Item.category_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Category, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.category_id == Category.id)
        .order_by(Category.position, Category.name, Category.id)
    ).all()
    return [(category, n) for category, n in rows]


def _category_slug_free(slug: str, category_id: int | None = None) -> None:
    taken = db.session.scalar(
        sa.select(Category.id)
        .where(Category.slug == slug, Category.id != (category_id or 0))
        .limit(1)
    )
    if taken is not None:
        raise SlugTaken(field="slug")


@transaction()
def create_category(name, slug) -> Change:
    """A new category, shown last. Raises InvalidInput, SlugTaken."""
    name = _text(name, "name", "name", 80)
    slug = _slug(slug)
    if len(slug) > 80:
        raise InvalidInput("The slug must be at most 80 characters.", field="slug")
    _category_slug_free(slug)
    last = db.session.scalar(sa.select(sa.func.max(Category.position))) or 0
    category = Category(name=name, slug=slug, position=last + 1)
    db.session.add(category)
    _flush_unique(SlugTaken)
    forget_categories()
    after = {"name": name, "slug": slug, "position": category.position}
    return Change(category.id, {}, after, name)


@transaction()
def rename_category(category_id: int, name) -> Change:
    """Rename a category (its slug, and so its links, stay). Raises CategoryNotFound,
    InvalidInput."""
    category = category_for_operator(category_id)
    name = _text(name, "name", "name", 80)
    before = {"name": category.name}
    category.name = name
    db.session.flush()
    forget_categories()
    return Change(category.id, before, {"name": name}, name)


MOVES = {"up": -1, "down": 1}


@transaction()
def move_category(category_id: int, direction) -> Change:
    """Move a category one place up or down the display order: it swaps positions with its
    neighbour (both rows locked, in id order). The order is renumbered 1..n first, so equal
    positions left by older data never make a move do nothing. Raises CategoryNotFound,
    InvalidInput for another direction, Conflict at either end."""
    if direction not in MOVES:
        raise InvalidInput("Move it up or down.", field="direction")
    category_for_operator(category_id)
    ordered = list(
        db.session.scalars(
            sa.select(Category)
            .order_by(Category.position, Category.name, Category.id)
            .with_for_update()
        )
    )
    index = next(i for i, c in enumerate(ordered) if c.id == category_id)
    other = index + MOVES[direction]
    if not 0 <= other < len(ordered):
        raise Conflict(f"It is already {'first' if other < 0 else 'last'}.")
    before = {c.id: c.position for c in ordered}
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, category in enumerate(ordered, start=1):
        category.position = position
    db.session.flush()
    forget_categories()
    moved = ordered[other]
    return Change(
        moved.id, {"position": before[moved.id]}, {"position": moved.position}, moved.name
    )
