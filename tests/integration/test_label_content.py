"""What a label says (issue #10, point 2), as plain values: prepaid, COD, frozen, the package's
place in its shipment, and the routing through the DC from a store drop-off."""

from shop.extensions import db
from shop.fulfillment import labels
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PaymentMode
from shop.transaction import transaction
from tests.integration.test_ecms_lifecycle import call, ship, world  # noqa: F401
from tests.integration.test_labels import pages


def content(app, number):
    with app.app_context():
        return labels.label_content(ecms.get_package(number))


def test_a_prepaid_label(app, world):  # noqa: F811
    shipped = ship(app, world.a)
    label = content(app, shipped.numbers[0])
    assert label.tracking_number == shipped.numbers[0]
    assert label.tracking_grouped == " ".join(
        shipped.numbers[0][i : i + 4] for i in range(0, 12, 4)
    )
    assert (label.branch_code, label.branch_name) == (world.a.code, world.a.name)
    assert label.branch_city == world.a.city
    assert label.recipient_name == "Juan dela Cruz"
    assert label.recipient_phone == "0917 *** 4567"
    assert label.payment_line == "PREPAID" and not label.cod
    assert not label.frozen
    assert label.routing == f"via DC Pasig → {world.a.code}"
    assert (label.package_no, label.package_count) == (1, 1)
    assert label.reference.startswith("CQ-TEST-")
    assert label.weight == "1.80 kg"


def test_a_cod_label_says_what_to_collect(app, world):  # noqa: F811
    shipped = ship(app, world.a, cod=123450)
    label = content(app, shipped.numbers[0])
    assert label.cod
    assert label.payment_line == "COD ₱1,234.50 — collect at counter"


def test_each_package_knows_its_place_in_the_shipment(app, world):  # noqa: F811
    shipped = ship(app, world.b, packages=3)
    places = [content(app, n) for n in shipped.numbers]
    assert [(x.package_no, x.package_count) for x in places] == [(1, 3), (2, 3), (3, 3)]
    with app.app_context():
        pdf = labels.label_pdf(ecms.get_shipment(shipped.id))
    assert len(pages(pdf)) == 3


def test_a_frozen_package_is_marked(app, world):  # noqa: F811
    with app.app_context(), transaction():
        made = ecms.create_shipment(
            reference="CQ-FROZ-0001",
            payment=PaymentMode.PREPAID,
            amount_due=0,
            branch_id=world.a.id,
            recipient=ecms.Recipient("Juan dela Cruz", "+639171234567", "j@example.com"),
            parcels=[ecms.Parcel(True, 900, 3000, "1 × Siomai")],
        )
        shipment_id = made.id
    with app.app_context():
        package = db.session.query(Package).filter_by(shipment_id=shipment_id).one()
        assert labels.label_content(package).frozen


def test_a_store_drop_off_routes_from_its_origin(app, world):  # noqa: F811
    shipped = ship(app, world.b)
    call(app, ecms.drop_off, shipped.numbers[0], world.clerk_a)
    label = content(app, shipped.numbers[0])
    assert label.routing == f"origin {world.a.code} → DC Pasig → {world.b.code}"
