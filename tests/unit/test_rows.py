"""Values built from SQL rows read each field from the column of its name, in whatever order
the statement lists its columns (issue #8: `ItemCard(*row)` swapped price and stock when the
column list was reordered)."""

import random
from dataclasses import astuple, dataclass, fields

import pytest
import sqlalchemy as sa

from shop.branches.models import BranchKind
from shop.branches.service import BranchRow, BranchSummary, Reservation
from shop.catalog.models import AsksFor
from shop.catalog.service import CategoryInfo, ItemCard, StockSummary
from shop.rows import FromRow, MissingColumn

ENGINE = sa.create_engine("sqlite://")

CARD = ItemCard(
    id=7,
    category_id=3,
    slug="sarap-chips",
    name="Sarap Chips",
    price=4500,
    stock=12,
    image="img/chips.svg",
    frozen=False,
    virtual=False,
    length_mm=200,
    width_mm=150,
    height_mm=60,
    weight_g=90,
    asks_for=AsksFor.NOTHING,
)
BRANCH = BranchRow(
    code="0412",
    name="7-Eleven Ayala",
    address="1 Ayala Ave.",
    city="Makati",
    province="Metro Manila",
    lat=14.5547,
    lng=121.0244,
    opens_at=360,
    closes_at=1320,
    frozen=True,
    shelf_capacity=60,
    reserved=3,
    active=True,
    kind=BranchKind.STORE,
)
VALUES = [
    CARD,
    BRANCH,
    CategoryInfo(id=3, name="Snacks", slug="snacks"),
    Reservation(id=9, code="0412", name="7-Eleven Kapitolyo", reserved=4),
    StockSummary(items=120, out_of_stock=5),
    BranchSummary(stores=400, frozen=80),
]


def _row(value, order: list[str], extra: dict | None = None):
    """A real SQLAlchemy Row with `value`'s fields as columns in `order`, plus `extra`."""
    data = {f.name: getattr(value, f.name) for f in fields(value)}
    columns = [sa.literal(data[name]).label(name) for name in order]
    columns += [sa.literal(v).label(k) for k, v in (extra or {}).items()]
    with ENGINE.connect() as conn:
        return conn.execute(sa.select(*columns)).one()


def _orders(value):
    names = [f.name for f in fields(value)]
    shuffled = names[:]
    random.Random(8).shuffle(shuffled)
    return [names, list(reversed(names)), shuffled]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_a_value_is_built_by_column_name_whatever_the_column_order(value):
    cls = type(value)
    for order in _orders(value):
        row = _row(value, order, extra={"total": 999, "flat_distance": 0.5})
        assert cls.from_row(row) == value
        assert cls.from_rows([row, row]) == [value, value]


def test_building_by_position_would_swap_fields_so_the_test_above_can_fail():
    # The control: the same reordered row, read by position, is a different (wrong) card.
    names = [f.name for f in fields(CARD)]
    order = names[:]
    price, stock = order.index("price"), order.index("stock")
    order[price], order[stock] = order[stock], order[price]  # price and stock change places
    row = _row(CARD, order)
    wrong = ItemCard(*row)
    assert (wrong.price, wrong.stock) == (CARD.stock, CARD.price)
    assert ItemCard.from_row(row) == CARD


def test_a_missing_column_is_named():
    names = [f.name for f in fields(CARD) if f.name != "price"]
    with pytest.raises(MissingColumn, match="ItemCard needs the column price"):
        ItemCard.from_row(_row(CARD, names))
    with pytest.raises(MissingColumn, match="price"):
        ItemCard.from_rows([_row(CARD, names)])


def test_no_rows_give_no_values():
    assert ItemCard.from_rows([]) == []
    assert ItemCard.from_rows(iter(())) == []


def test_a_one_field_value():
    @dataclass(frozen=True, slots=True)
    class Count(FromRow):
        n: int

    with ENGINE.connect() as conn:
        row = conn.execute(sa.select(sa.literal("x").label("b"), sa.literal(4).label("n"))).one()
    assert Count.from_row(row) == Count(4)
    assert astuple(Count.from_rows([row])[0]) == (4,)
