"""The counter's PAY CODE and RETURN CODE panels (issue #10, point 4), through HTTP on both
databases: the code box opens each; a PAY CODE is paid with its change and one charge receipt
even when submitted twice; a return is measured, its label scanned, taken in at any branch
with its receipt; over the limit or the wrong label is refused and changes nothing."""

import sqlalchemy as sa

from shop import codes
from shop.auth.models import Role
from shop.checkout.models import Order, OrderStatus
from shop.counter.models import Receipt
from shop.extensions import db
from shop.fulfillment import returns
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Code
from shop.fulfillment.models import PackageState as S
from tests.integration.test_ecms_lifecycle import package
from tests.integration.test_pay_codes import load, placed  # noqa: F401  (fixtures)
from tests.integration.test_pos_screen import _at_branch, _code, _login, _post, pos  # noqa: F401
from tests.integration.test_returns import PHONE, call

HX = {"HX-Request": "true"}


def _claimed(app, w):
    """An order picked up at branch A (its clerk Ana), and its RETURN CODE asked at the kiosk."""
    shipped = _at_branch(app, w)
    call(app, ecms.claim, shipped.code, shipped.numbers, ecms.Actor.of(w["ana"]))
    with app.app_context():
        reference = db.session.get(ecms.Shipment, shipped.id).reference
    issued = call(app, returns.request_return, shipped.numbers[0], PHONE)
    return shipped, reference, issued


def _open(w, code, kind):
    answer = _code(w, code)
    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"].endswith(f"/counter/pos/{kind}/{code}")
    return w["client"].get(answer.headers["Location"], headers=HX)


def _receipts(app, kind):
    with app.app_context():
        rows = db.session.scalars(sa.select(Receipt).where(Receipt.kind == kind)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _ben(app, make, w):
    """A clerk of branch B, signed in at the counter."""
    ben = make.user(role=Role.CLERK, name="Ben Reyes", branch_id=w["b"].id)
    client, token = _login(app, ben, terminal="POS-7", shift="1")
    return {**w, "client": client, "token": token, "ana": ben}


# --- PAY CODE ----------------------------------------------------------------------------------


def test_a_pay_code_opens_its_panel_and_is_paid_with_a_charge_receipt(app, pos, load):  # noqa: F811
    order = placed(app, load)
    panel = _open(pos, order.pay_code, "pay")
    assert panel.status_code == 200
    assert 'data-testid="pay-amount">₱100.00<' in panel.text
    assert "Prepaid Load 100" in panel.text and 'id="pay-cash"' in panel.text
    paid = _post(pos, f"/counter/pos/pay/{order.pay_code}", cash_received="500")
    assert paid.status_code == 200, paid.text
    assert 'data-testid="pay-change">₱400.00<' in paid.text
    assert "Charge Receipt" in paid.text and "data-autoprint" in paid.text
    (receipt,) = _receipts(app, "charge")
    assert receipt.number.startswith("CR-0412-") and receipt.cash_received == 50000
    assert (receipt.change, receipt.terminal, receipt.shift) == (40000, "POS-1", "2")
    assert receipt.reference == order.number and receipt.code == order.pay_code
    with app.app_context():
        assert (
            db.session.scalar(sa.select(Order.status).where(Order.number == order.number))
            is OrderStatus.PAID
        )
    page = pos["client"].get(f"/counter/pos/receipts/{receipt.number}")
    assert page.status_code == 200 and "Charge Receipt" in page.text


def test_a_double_submit_prints_one_charge_receipt(app, pos, load):  # noqa: F811
    order = placed(app, load)
    first = _post(pos, f"/counter/pos/pay/{order.pay_code}", cash_received="100")
    again = _post(pos, f"/counter/pos/pay/{order.pay_code}", cash_received="100")
    assert first.status_code == again.status_code == 200
    assert "already recorded" in again.text and "data-autoprint" not in again.text
    assert len(_receipts(app, "charge")) == 1
    # The code box now says it is paid.
    assert _open(pos, order.pay_code, "pay").status_code == 409


def test_short_cash_is_refused_in_the_panel(app, pos, load):  # noqa: F811
    order = placed(app, load)
    for cash, says in [("50", "less than the amount due"), ("", "Enter the cash"),
                       ("lots", "in pesos")]:  # fmt: skip
        answer = _post(pos, f"/counter/pos/pay/{order.pay_code}", cash_received=cash)
        assert answer.status_code == 422 and says in answer.text
        assert 'id="pay-cash"' in answer.text
    assert _receipts(app, "charge") == []


def test_an_unknown_pay_code_is_said(app, pos):  # noqa: F811
    code = codes.generate(codes.CodeType.PAY)
    assert _open(pos, code, "pay").status_code == 404


# --- RETURN CODE -------------------------------------------------------------------------------


def _measure(w, code, label, **sizes):
    data = {"length": "44", "width": "29.5", "height": "15", "weight": "2.5", "label": label}
    return _post(w, f"/counter/pos/return/{code}", **(data | sizes))


def test_a_return_is_taken_in_at_another_branch_with_its_receipt(app, pos, make):  # noqa: F811
    shipped, reference, issued = _claimed(app, pos)
    ben = _ben(app, make, pos)
    panel = _open(ben, issued.return_code, "return")
    assert panel.status_code == 200
    assert "Juan dela Cruz" in panel.text and "45 × 30 × 30 cm, 10 kg" in panel.text
    assert codes.group(issued.return_tracking_number) in panel.text
    done = _measure(ben, issued.return_code, codes.group(issued.return_tracking_number))
    assert done.status_code == 200, done.text
    assert "Return taken in" in done.text and "Acknowledgement Receipt: return" in done.text
    moved = package(app, shipped.numbers[0])
    assert moved.state is S.RETURN_DROPPED_OFF and moved.location_id == pos["b"].id
    (receipt,) = _receipts(app, "return")
    assert receipt.number.startswith("RR-0103-") and receipt.branch_id == pos["b"].id
    assert receipt.code == issued.return_code and receipt.reference == reference
    assert any("Measured 44 × 29.5 × 15 cm, 2.5 kg" in line["text"] for line in receipt.lines)
    with app.app_context():
        assert not db.session.scalar(sa.select(Code.live).where(Code.code == issued.return_code))
    # Used: the code box now reads it as unknown.
    assert _open(ben, issued.return_code, "return").status_code == 404


def test_over_the_return_limit_is_refused_and_changes_nothing(app, pos):  # noqa: F811
    shipped, _, issued = _claimed(app, pos)
    label = issued.return_tracking_number
    for sizes, says in [({"length": "46"}, "larger than 45 × 30 × 30 cm"),
                        ({"weight": "10.5"}, "weighs more than 10 kg")]:  # fmt: skip
        refused = _measure(pos, issued.return_code, label, **sizes)
        assert refused.status_code == 409 and says in refused.text
        assert 'role="alert"' in refused.text and 'id="return-length"' in refused.text
    damaged = _measure(pos, issued.return_code, label, damaged="yes")
    assert damaged.status_code == 409 and "damaged" in damaged.text
    assert package(app, shipped.numbers[0]).state is S.CLAIMED
    assert _receipts(app, "return") == []


def test_the_wrong_label_or_none_is_refused(app, pos):  # noqa: F811
    shipped, _, issued = _claimed(app, pos)
    wrong = _measure(pos, issued.return_code, shipped.numbers[0])
    assert wrong.status_code == 409 and "is not this return" in wrong.text
    missing = _measure(pos, issued.return_code, "")
    assert missing.status_code == 422 and "Scan the return label" in missing.text
    bad_size = _measure(pos, issued.return_code, issued.return_tracking_number, length="big")
    assert bad_size.status_code == 422 and "Enter the length in cm" in bad_size.text
    assert package(app, shipped.numbers[0]).state is S.CLAIMED
    assert _receipts(app, "return") == []
