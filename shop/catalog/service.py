"""The catalog: listing with search, filter, sort and pagination; one item; availability."""

import re
import time
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from shop.catalog.models import LOW_STOCK, AsksFor, Category, Item
from shop.errors import Conflict, InvalidInput, NotFound
from shop.extensions import db
from shop.fulfillment.packing import branch_limits_text, fits
from shop.money import Money
from shop.rows import FromRow
from shop.transaction import transaction

MAX_QUERY = 100
MAX_PAGE = 10_000
MAX_PER_PAGE = 96
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

SORTS = {
    "featured": ("Featured", (Category.position, Item.id)),
    "newest": ("Newest", (Item.created_at.desc(), Item.id.desc())),
    "price-low": ("Price: low to high", (Item.price, Item.id)),
    "price-high": ("Price: high to low", (Item.price.desc(), Item.id)),
    "name": ("Name", (Item.name, Item.id)),
}


class ItemNotFound(NotFound):
    """We couldn't find that item. It may no longer be sold."""

    code = "item_not_found"


class BadListing(InvalidInput):
    """That listing can't be shown."""

    code = "bad_listing"


@dataclass(frozen=True, slots=True)
class CategoryInfo(FromRow):
    """A category as the listing shows it: a plain value, safe to keep between requests."""

    id: int
    name: str
    slug: str


CARD_COLUMNS = (
    Item.id,
    Item.category_id,
    Item.slug,
    Item.name,
    Item.price,
    Item.stock,
    Item.image,
    Item.frozen,
    Item.virtual,
    Item.length_mm,
    Item.width_mm,
    Item.height_mm,
    Item.weight_g,
    Item.asks_for,
)


@dataclass(frozen=True, slots=True)
class ItemCard(FromRow):
    """An item as the catalog grid shows it (what `availability` needs, and no more). Built
    with `ItemCard.from_rows(...)`, which reads each field from the column of its name."""

    id: int
    category_id: int
    slug: str
    name: str
    price: int
    stock: int
    image: str
    frozen: bool
    virtual: bool
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int
    asks_for: AsksFor

    @property
    def dimensions_mm(self) -> tuple[int, int, int]:
        return (self.length_mm, self.width_mm, self.height_mm)

    @property
    def unit_price(self) -> Money:
        return Money(self.price)


@dataclass(frozen=True)
class Listing:
    """One page of the catalog and what produced it."""

    items: list[ItemCard]
    total: int
    page: int
    per_page: int
    query: str
    query_shortened: bool
    category: CategoryInfo | None
    sort: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.page * self.per_page, self.total)


def clean_query(text: str | None) -> tuple[str, bool]:
    """A search as typed, made safe: control characters become spaces, spaces collapse, at most
    MAX_QUERY characters. Returns (query, was_shortened)."""
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in (text or ""))
    text = " ".join(text.split())
    return text[:MAX_QUERY].strip(), len(text) > MAX_QUERY


def parse_positive(raw: str | None, name: str, default: int, maximum: int) -> int:
    """A page number or page size from the query string. Raises BadListing."""
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= maximum:
        raise BadListing(f"The {name} must be a whole number from 1 to {maximum:,}.")
    return int(raw)


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Every catalog page shows the category list, which changes perhaps monthly: each process keeps
# it for CATEGORY_CACHE_SECONDS (0 turns this off), so a page costs one query less.
_categories: dict[str, tuple[float, list[CategoryInfo]]] = {}


def list_categories() -> list[CategoryInfo]:
    """The categories in display order, from this process's cache when fresh."""
    ttl = current_app.config.get("CATEGORY_CACHE_SECONDS", 0)
    key, now = str(db.engine.url), time.monotonic()
    cached = _categories.get(key)
    if ttl and cached and now - cached[0] < ttl:
        return cached[1]
    rows = db.session.execute(
        sa.select(Category.id, Category.name, Category.slug).order_by(
            Category.position, Category.name
        )
    )
    categories = CategoryInfo.from_rows(rows)
    if ttl:
        _categories[key] = (now, categories)
    return categories


def list_items(
    query: str = "",
    category_slug: str = "",
    sort: str = "featured",
    page: int = 1,
    per_page: int = 24,
    categories: list[CategoryInfo] | None = None,
    scope=None,
) -> Listing:
    """A page of active items. Every word of `query` must appear in the name or description.
    One query whatever the page size (the page, its categories joined, the total counted).
    `scope` (a partner app's choice, shop.embed.service.CatalogScope: category_ids and
    item_ids) keeps only those categories' items and those items.
    Raises BadListing for an unknown sort or category, ItemNotFound-like 404 past the last page.
    """
    query, shortened = clean_query(query)
    if sort not in SORTS:
        raise BadListing("Choose a sort from the list.")
    category = None
    if category_slug:
        categories = categories if categories is not None else list_categories()
        category = next((c for c in categories if c.slug == category_slug), None)
        if category is None:
            raise BadListing("There is no such category. Choose one from the list.")
    conditions = [Item.active.is_(True), *_scope_conditions(scope)]
    if category is not None:
        conditions.append(Item.category_id == category.id)
    for word in query.split()[:10]:
        pattern = f"%{_like_escape(word)}%"
        conditions.append(
            sa.or_(
                Item.name.ilike(pattern, escape="\\"), Item.description.ilike(pattern, escape="\\")
            )
        )
    # One round trip: the total rides along on every row as a window count. Plain rows, not
    # ORM objects: the grid is the busiest page of the shop, and it only reads these columns.
    statement = (
        sa.select(*CARD_COLUMNS, sa.func.count().over().label("total"))
        .join(Item.category)
        .where(*conditions)
        .order_by(*SORTS[sort][1])
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = db.session.execute(statement).all()
    if not rows and page > 1:
        raise NotFound(f"There is no page {page:,} of these results.")
    items = ItemCard.from_rows(rows)  # by name: the extra `total` column is not a field
    total = rows[0].total if rows else 0
    return Listing(items, total, page, per_page, query, shortened, category, sort)


def _scope_conditions(scope) -> list:
    """The WHERE clause of a partner app's choice of the catalog (none: the whole catalog)."""
    if scope is None:
        return []
    return [
        sa.or_(Item.category_id.in_(list(scope.category_ids)), Item.id.in_(list(scope.item_ids)))
    ]


def in_scope(item: Item | ItemCard, scope) -> bool:
    """Does a partner app's choice of the catalog (see list_items) offer this item? The whole
    catalog (`scope` None) offers every item."""
    return scope is None or item.category_id in scope.category_ids or item.id in scope.item_ids


def scoped_categories(categories: list[CategoryInfo], scope) -> list[CategoryInfo]:
    """The categories a partner app's choice shows as filters: its chosen categories (items
    chosen one by one show under "All")."""
    if scope is None:
        return categories
    chosen = set(scope.category_ids)
    return [c for c in categories if c.id in chosen]


def get_item(slug: str, scope=None) -> Item:
    """The active item with this slug (within a partner app's `scope`, see list_items).
    Raises ItemNotFound."""
    if not slug or len(slug) > 120 or not SLUG.match(slug):
        raise ItemNotFound()
    item = db.session.scalar(
        sa.select(Item).where(Item.slug == slug, Item.active.is_(True), *_scope_conditions(scope))
    )
    if item is None:
        raise ItemNotFound()
    return item


def get_items(ids) -> dict[int, ItemCard]:
    """Active items by id, as plain values, in one query (missing ids are simply absent).
    The cart and checkout read these on every request."""
    ids = list(ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(*CARD_COLUMNS).where(Item.id.in_(ids), Item.active.is_(True))
    )
    return {card.id: card for card in ItemCard.from_rows(rows)}


@dataclass(frozen=True)
class Availability:
    """What the item page and the grid say about whether and how an item can be bought: every
    sentence decided here, so the templates only show them."""

    can_buy: bool
    store_pickup: bool
    why_not: str | None  # why it can't be put in a cart (None when it can)
    notes: tuple[tuple[str, str], ...]  # (tone, text): tone is ok, warn, stop or info
    card_notes: tuple[tuple[str, str], ...]  # the grid card's few tags, stock first
    pickup: str | None  # where it can be picked up (None for a digital item: nothing to pick up)


def availability(item: Item | ItemCard) -> Availability:
    notes: list[tuple[str, str]] = []
    pickup = item.virtual or fits(item.dimensions_mm, item.weight_g)
    # Store pickup is the only way an order travels: an item too large for a branch package
    # can't be ordered at all, so it is never offered for the cart (no checkout must refuse).
    can_buy = item.stock > 0 and pickup
    why_not = (
        None
        if can_buy
        else f"This item is too large or too heavy for a store package ({branch_limits_text()}), "
        "and orders here are picked up at a 7-Eleven, so it can't be ordered."
        if not pickup
        else "This item is out of stock right now. Check again soon."
    )
    if item.stock <= 0:
        notes.append(("stop", "Out of stock"))
    elif item.stock <= LOW_STOCK:
        notes.append(("warn", f"Only {item.stock} left"))
    else:
        notes.append(("ok", "In stock"))
    card_notes = [notes[0]]
    if item.virtual:
        notes.append(("info", "Digital: your code comes by email, no package"))
        card_notes.append(("info", "Digital"))
        where = None
    elif not pickup:
        notes.append(("stop", "Too large for store pickup"))
        card_notes.append(notes[-1])
        where = f"Too large for a store package ({branch_limits_text()})"
    elif item.frozen:
        notes.append(("info", "Frozen: pickup at frozen-ready branches"))
        card_notes.append(("info", "Frozen"))
        where = "Frozen-ready 7-Eleven branches"
    else:
        where = "Any 7-Eleven branch"
    return Availability(
        can_buy=can_buy,
        store_pickup=pickup,
        why_not=why_not,
        notes=tuple(notes),
        card_notes=tuple(card_notes),
        pickup=where,
    )


@dataclass(frozen=True, slots=True)
class StockSummary(FromRow):
    items: int
    out_of_stock: int


def stock_summary() -> StockSummary:
    row = db.session.execute(
        sa.select(
            sa.func.count(Item.id).label("items"),
            sa.func.count(Item.id).filter(Item.stock <= 0).label("out_of_stock"),
        ).where(Item.active.is_(True))
    ).one()
    return StockSummary.from_row(row)


def low_stock_items(limit: int = 20) -> list[Item]:
    """Active items with a little stock left, the fewest first."""
    return list(
        db.session.scalars(
            sa.select(Item)
            .where(Item.active.is_(True), Item.stock > 0, Item.stock <= LOW_STOCK)
            .order_by(Item.stock, Item.name)
            .limit(limit)
        )
    )


class StockGone(Conflict):
    """Not enough is left of that item."""

    code = "out_of_stock"


_items = Item.__table__
# On the table, not the mapped class: a plain Core statement skips the ORM's bulk-update
# machinery, and it is built once (checkout runs it for every line of every order).
TAKE_STOCK = (
    sa.update(_items)
    .where(
        _items.c.id == sa.bindparam("item_id"),
        _items.c.active.is_(True),
        _items.c.stock >= sa.bindparam("wanted"),
    )
    .values(stock=_items.c.stock - sa.bindparam("wanted"))
    .returning(*(_items.c[column.key] for column in CARD_COLUMNS))
)


def take_stock(item_id: int, quantity: int) -> ItemCard:
    """Reserve stock with one conditional update: it succeeds only while enough is left, so two
    checkouts can never both take the last unit, however many workers run. Returns the item as
    the same statement left it (RETURNING: its price as reserved, its stock after). Raises
    StockGone. Never commits: the caller's transaction commits or rolls the reservation back."""
    taken = db.session.execute(TAKE_STOCK, {"item_id": item_id, "wanted": quantity}).one_or_none()
    if taken is None:
        raise StockGone(
            "An item just sold out, or not enough is left for your quantity. "
            "Please review your cart."
        )
    return ItemCard.from_row(taken)


def give_back_stock(item_id: int, quantity: int) -> None:
    """Return reserved stock (an order expired or was cancelled). Flushes only."""
    db.session.execute(
        sa.update(Item).where(Item.id == item_id).values(stock=Item.stock + quantity),
        execution_options={"synchronize_session": False},
    )


def get_items_any(ids) -> dict[int, ItemCard]:
    """Items by id, active or not (an order's items may have been retired since)."""
    ids = list(ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(*CARD_COLUMNS).where(Item.id.in_(ids)))
    return {card.id: card for card in ItemCard.from_rows(rows)}


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
    sa.update(_items)
    .where(_items.c.id == sa.bindparam("item_id"), _items.c.stock == sa.bindparam("was"))
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
        pattern = f"%{_like_escape(word)}%"
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


def forget_categories() -> None:
    """Drop this process's category cache after a change. Other processes keep theirs for at
    most CATEGORY_CACHE_SECONDS (a renamed category shows there within a minute)."""
    _categories.clear()


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
