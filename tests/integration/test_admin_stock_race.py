"""The operator's stock edit against an order taking stock at the same moment, on PostgreSQL
(SQLite serializes writers). The order holds the item's row lock; the operator's save, sent
from a page that showed the stock before the order, waits behind it. With the conditional
update (shop.catalog.operator.set_stock) the save is refused and the order's units stay taken;
the control, an unconditional write of the same number, shows the race is real: it overwrites
the order."""

import threading
import time

import pytest
import sqlalchemy as sa

from shop.catalog import operator as catalog_operator
from shop.catalog import service as catalog
from shop.catalog.models import Item
from shop.extensions import db
from shop.transaction import transaction


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite serializes every writer")


def _order_then_operator(app, item_id: int, operator_write) -> tuple[object, int]:
    """An order takes 3 and holds its row lock for a moment; meanwhile the operator writes
    20 from a page that showed 10. Returns what the operator's write got and the stock after."""
    order_locked = threading.Event()
    outcome: dict = {}

    def order():
        with app.app_context(), transaction():
            catalog.take_stock(item_id, 3)  # the row is locked from here to the commit
            order_locked.set()
            time.sleep(0.5)  # the operator's statement is waiting on the lock meanwhile

    def operator():
        order_locked.wait(10)
        with app.app_context():
            try:
                with transaction():
                    operator_write(item_id)
                outcome["result"] = "saved"
            except Exception as exc:  # noqa: BLE001  (the test reads what it got)
                outcome["result"] = exc

    threads = [threading.Thread(target=order), threading.Thread(target=operator)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with app.app_context():
        stock = db.session.scalar(sa.select(Item.stock).where(Item.id == item_id))
    return outcome["result"], stock


def test_an_order_taking_stock_is_never_overwritten(app, make, postgres_only):
    item = make.item(stock=10)
    result, stock = _order_then_operator(
        app, item.id, lambda item_id: catalog_operator.set_stock(item_id, 20, was=10)
    )
    assert isinstance(result, catalog_operator.StockChanged)
    assert stock == 7  # the order's 3 stay taken


def test_control_an_unconditional_write_overwrites_the_order(app, make, postgres_only):
    item = make.item(stock=10)

    def blind_write(item_id):
        db.session.execute(sa.update(Item).where(Item.id == item_id).values(stock=20))

    result, stock = _order_then_operator(app, item.id, blind_write)
    assert result == "saved"
    assert stock == 20  # the order's 3 units are lost: the race the conditional update prevents
