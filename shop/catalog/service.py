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


def like_escape(word: str) -> str:
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
        pattern = f"%{like_escape(word)}%"
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


def forget_categories() -> None:
    """Drop this process's category cache after a change. Other processes keep theirs for at
    most CATEGORY_CACHE_SECONDS (a renamed category shows there within a minute)."""
    _categories.clear()
