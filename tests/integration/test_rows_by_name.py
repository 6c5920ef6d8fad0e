"""The hot pages' plain rows are read by column name: reorder the statements' column lists and
every field still lands where it belongs (issue #8, point 10)."""

import pytest

from shop.branches import service as branches
from shop.catalog import service as catalog


@pytest.fixture
def reversed_columns(monkeypatch):
    monkeypatch.setattr(catalog, "CARD_COLUMNS", tuple(reversed(catalog.CARD_COLUMNS)))
    monkeypatch.setattr(branches, "ROW_COLUMNS", tuple(reversed(branches.ROW_COLUMNS)))


def _card_of(item) -> catalog.ItemCard:
    return catalog.ItemCard(
        **{name: getattr(item, name) for name in catalog.ItemCard.__dataclass_fields__}
    )


def test_item_cards_are_built_by_name(app, make, reversed_columns):
    item = make.item(price=12345, stock=7, length_mm=210, width_mm=120, height_mm=40)
    with app.app_context():
        listed = catalog.list_items().items
        by_id = catalog.get_items([item.id])
        any_state = catalog.get_items_any([item.id])
    assert listed == [_card_of(item)]
    assert by_id == any_state == {item.id: _card_of(item)}
    assert (listed[0].price, listed[0].stock) == (12345, 7)


def test_branch_rows_are_built_by_name(app, make, reversed_columns):
    branch = make.branch(name="7-Eleven Ayala", city="Makati", shelf_capacity=40, reserved=15)
    with app.app_context():
        listed = branches.search()
        near = branches.search(near=(branch.lat, branch.lng))
    for choices in (listed, near):
        assert [(c.code, c.name, c.city, c.free_capacity) for c in choices] == [
            (branch.code, "7-Eleven Ayala", "Makati", 25)
        ]
