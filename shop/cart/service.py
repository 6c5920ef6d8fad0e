"""The cart: bound to the visitor's session, kept as {item id: quantity}.

The session holds only ids and quantities; prices, names and stock are read fresh from the
catalog every time the cart is shown, so a cart can never carry a stale or tampered price.
The rules (`check_line`, `with_quantity`, ...) are pure functions on that mapping; the
functions that need the catalog take the mapping and return a new one for the view to store.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from shop.catalog import service as catalog
from shop.catalog.models import Item
from shop.errors import Conflict, InvalidInput
from shop.fulfillment.packing import Packing, branch_limits_text, fits, pack, units_for
from shop.money import Money, total

MAX_QUANTITY = 99  # per line: a shop, not a wholesaler
MAX_LINES = 50

Contents = dict[str, int]  # item id (as text: the session is JSON) -> quantity


class InvalidQuantity(InvalidInput):
    """Enter a whole number as the quantity."""

    code = "invalid_quantity"


class OutOfStock(Conflict):
    """There isn't enough stock for that quantity."""

    code = "out_of_stock"


class TooLargeForPickup(Conflict):
    """That item is too large for a store package, so it can't be ordered for pickup."""

    code = "parcel_too_large"


class CartFull(Conflict):
    """Your cart is full. Check out or remove something first."""

    code = "cart_full"


@dataclass(frozen=True)
class CartLine:
    item: Item
    quantity: int

    @property
    def subtotal(self) -> Money:
        return self.item.unit_price * self.quantity

    @property
    def max_quantity(self) -> int:
        return max_quantity(self.item)


@dataclass(frozen=True)
class Cart:
    lines: list[CartLine]
    notices: list[str]  # what changed since the shopper last looked (stock gone, item removed)

    @property
    def subtotal(self) -> Money:
        return total(line.subtotal for line in self.lines)

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @cached_property
    def packing(self) -> Packing:
        """How the cart's physical items travel: packages, and items too large for any."""
        return pack(units_for((line.item, line.quantity) for line in self.lines))

    @property
    def can_check_out(self) -> bool:
        """Something to order, and nothing that makes the order impossible (the cart page
        offers checkout only then)."""
        return bool(self.lines) and not self.problems

    @property
    def problems(self) -> list[str]:
        """Why this cart can't be checked out for store pickup (empty when it can)."""
        return too_large_problems(self.packing)

    def __bool__(self) -> bool:
        return bool(self.lines)


def max_quantity(item) -> int:
    """The most of `item` one cart line may hold now: its stock, at most MAX_QUANTITY."""
    return max(0, min(item.stock, MAX_QUANTITY))


def too_large_problems(packing: Packing) -> list[str]:
    """One sentence per item too large or too heavy for a branch package, naming the limits."""
    names = sorted({unit.name for unit in packing.too_large})
    return [
        f"{name} is too large or too heavy for store pickup (a package is at most "
        f"{branch_limits_text()}). Remove it to check out."
        for name in names
    ]


def parse_quantity(raw) -> int:
    """A quantity as typed: digits only, 1 to MAX_QUANTITY. Raises InvalidQuantity."""
    text = str(raw if raw is not None else "").strip()
    # The length bound only keeps int() off huge inputs; the cap is the range check below.
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise InvalidQuantity(f"Enter a quantity as a whole number from 1 to {MAX_QUANTITY}.")
    quantity = int(text)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidQuantity(f"Enter a quantity from 1 to {MAX_QUANTITY}.")
    return quantity


def normalize(contents: Mapping | None) -> Contents:
    """The cart from the session, with anything malformed dropped (a session is user input)."""
    clean: Contents = {}
    if not isinstance(contents, Mapping):
        return clean
    for key, quantity in contents.items():
        if (
            isinstance(key, str)
            and key.isascii()
            and key.isdigit()
            and len(key) < 12
            and isinstance(quantity, int)
            and not isinstance(quantity, bool)
            and 1 <= quantity <= MAX_QUANTITY
        ):
            clean[key] = quantity
        if len(clean) >= MAX_LINES:
            break
    return clean


def count_units(contents: Mapping | None) -> int:
    """How many units the cart badge shows (no database query)."""
    return sum(normalize(contents).values())


def check_line(item: Item, quantity: int) -> None:
    """Can the cart hold `quantity` of `item`? Raises InvalidQuantity, TooLargeForPickup (a
    physical item no branch package can take: it could never be checked out) or OutOfStock."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidQuantity(f"Enter a quantity from 1 to {MAX_QUANTITY}.")
    if not item.virtual and not fits(item.dimensions_mm, item.weight_g):
        raise TooLargeForPickup(
            f"{item.name} is too large or too heavy for store pickup (a package is at most "
            f"{branch_limits_text()}), so it can't be ordered."
        )
    if item.stock <= 0:
        raise OutOfStock(f"{item.name} is out of stock.")
    if quantity > item.stock:
        left = "Only 1 is" if item.stock == 1 else f"Only {item.stock} are"
        raise OutOfStock(f"{left} left of {item.name}. Choose {item.stock} or fewer.")


def with_quantity(contents: Mapping, item: Item, quantity: int) -> Contents:
    """A new cart where `item` has exactly `quantity`.
    Raises InvalidQuantity, OutOfStock, CartFull."""
    check_line(item, quantity)
    new = normalize(contents)
    key = str(item.id)
    if key not in new and len(new) >= MAX_LINES:
        raise CartFull()
    new[key] = quantity
    return new


@dataclass(frozen=True)
class Removed:
    """A line just taken out of the cart, so the page can name it and offer to put it back."""

    item_id: int
    name: str
    quantity: int

    def as_session(self) -> dict:
        return {"item_id": self.item_id, "name": self.name, "quantity": self.quantity}

    @classmethod
    def from_session(cls, data) -> "Removed | None":
        """The removed line the session remembers, if it is well formed (a session is input)."""
        if not isinstance(data, dict):
            return None
        item_id, name, quantity = data.get("item_id"), data.get("name"), data.get("quantity")
        if not (isinstance(item_id, int) and isinstance(quantity, int) and isinstance(name, str)):
            return None
        if not 1 <= quantity <= MAX_QUANTITY:
            return None
        return cls(item_id, name[:120], quantity)


def remove_line(contents: Mapping, item_id: int) -> tuple[Contents, Removed | None]:
    """The cart without the item's line, and what was removed (None if it wasn't there)."""
    current = normalize(contents)
    quantity = current.get(str(item_id))
    if quantity is None:
        return current, None
    item = catalog.get_items([item_id]).get(item_id)
    name = item.name if item is not None else "the item"
    return without(current, item_id), Removed(item_id, name, quantity)


def without(contents: Mapping, item_id: int) -> Contents:
    new = normalize(contents)
    new.pop(str(item_id), None)
    return new


def add_item(contents: Mapping, item_id: int, quantity: int, scope=None) -> tuple[Contents, Item]:
    """Add `quantity` of an item to what the cart already holds. Inside a partner app's frame,
    `scope` is the app's choice of the catalog (shop.embed.service.catalog_scope): an item it
    doesn't offer is not found there, as its page is not. Raises ItemNotFound,
    InvalidQuantity, OutOfStock, CartFull."""
    item = _item(item_id)
    if not catalog.in_scope(item, scope):
        raise catalog.ItemNotFound()
    already = normalize(contents).get(str(item.id), 0)
    if already and already + quantity > MAX_QUANTITY:
        raise InvalidQuantity(
            f"You can have at most {MAX_QUANTITY} of one item; your cart already has {already}."
        )
    if already and 0 < item.stock < already + quantity:
        raise OutOfStock(
            f"Your cart already has {already} of {item.name} and only {item.stock} are in stock."
        )
    return with_quantity(contents, item, already + quantity), item


def set_quantity(contents: Mapping, item_id: int, quantity: int) -> Contents:
    """Change a line's quantity. Raises ItemNotFound, InvalidQuantity, OutOfStock."""
    if str(item_id) not in normalize(contents):
        raise catalog.ItemNotFound("That item isn't in your cart any more.")
    return with_quantity(contents, _item(item_id), quantity)


def load_cart(contents: Mapping | None) -> tuple[Cart, Contents]:
    """The cart with fresh prices and stock (one query), and the contents to store back: lines
    whose item is gone are dropped, and quantities above the stock left are lowered, each with
    a notice saying so."""
    current = normalize(contents)
    items = catalog.get_items(int(key) for key in current)
    lines, notices, kept = [], [], {}
    for key, quantity in current.items():
        item = items.get(int(key))
        if item is None:
            notices.append("An item in your cart is no longer sold, so we removed it.")
            continue
        if item.stock <= 0:
            notices.append(f"{item.name} sold out, so we removed it from your cart.")
            continue
        if quantity > item.stock:
            notices.append(f"Only {item.stock} left of {item.name}: we lowered your quantity.")
            quantity = item.stock
        kept[key] = quantity
        lines.append(CartLine(item, quantity))
    return Cart(lines, notices), kept


def _item(item_id: int) -> Item:
    item = catalog.get_items([item_id]).get(item_id)
    if item is None:
        raise catalog.ItemNotFound()
    return item
