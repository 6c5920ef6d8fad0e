"""Shipping labels through the web (issue #10, point 2), on both databases: the order's owner
or link holder gets one A6 page per package; anyone else the order page's 404; the admin and DC
route answers every shape of tracking number with a 4xx, never a 500."""

import re

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.branches.models import BranchKind
from shop.checkout.models import Order
from shop.extensions import db, limiter
from shop.fulfillment.models import Package
from tests.conftest import log_in
from tests.integration.test_checkout import _add, _checkout

A6_PT = (297.64, 419.53)


def pages(pdf: bytes) -> list[tuple[float, float]]:
    """The MediaBox (width, height) of every page of a PDF fpdf2 wrote, without a PDF library."""
    assert pdf.startswith(b"%PDF-")
    count = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes, "no MediaBox"
    box = (float(boxes[0][0]), float(boxes[0][1]))
    return [box] * count


@pytest.fixture
def order(app, make, monkeypatch):
    """A COD order of two packages placed by `owner` (each item fills a package by weight)."""
    monkeypatch.setattr(limiter, "enabled", False)
    make.branch(code="DC-PASIG", name="DC Pasig", kind=BranchKind.DC, shelf_capacity=5000)
    item = make.item(stock=50, weight_g=6000)
    branch = make.branch()
    owner = app.test_client()
    _add(owner, item, quantity=2)
    location = _checkout(owner, branch).headers["Location"]
    with app.app_context():
        number = location.split("/")[2].split("?")[0]
        found = db.session.scalar(sa.select(Order).where(Order.number == number))
        count = len(
            db.session.scalars(
                sa.select(Package.id).where(Package.shipment_id == found.shipment_id)
            ).all()
        )
        tracking = db.session.scalar(sa.select(Package.tracking_number).limit(1))
    return owner, number, location, count, tracking


def test_the_owner_prints_one_a6_page_per_package(order):
    owner, number, _, count, _ = order
    assert count == 2
    response = owner.get(f"/orders/{number}/labels.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'inline; filename="labels-{number}.pdf"'
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    boxes = pages(response.data)
    assert len(boxes) == count
    assert all(abs(w - A6_PT[0]) < 0.05 and abs(h - A6_PT[1]) < 0.05 for w, h in boxes)


def test_the_order_page_links_to_the_labels(order):
    owner, number, _, _, _ = order
    html = owner.get(f"/orders/{number}").get_data(as_text=True)
    assert "Print labels (PDF)" in html
    assert f"/orders/{number}/labels.pdf" in html


def test_a_signed_link_opens_the_labels_and_a_wrong_key_does_not(app, order):
    _, number, location, _, _ = order
    stranger = app.test_client()
    key = location.split("key=")[1]
    assert stranger.get(f"/orders/{number}/labels.pdf?key={key}").status_code == 200
    assert stranger.get(f"/orders/{number}/labels.pdf?key={key}x").status_code == 404
    assert stranger.get(f"/orders/{number}/labels.pdf?key=junk").status_code == 404


def test_another_session_gets_the_missing_orders_404(app, order):
    _, number, _, _, _ = order
    stranger = app.test_client()
    theirs = stranger.get(f"/orders/{number}/labels.pdf")
    missing = stranger.get("/orders/CQ-2345-6789/labels.pdf")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.data == missing.data


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DC])
def test_admin_and_dc_print_one_packages_label(app, make, order, role):
    *_, tracking = order
    client = app.test_client()
    log_in(client, make.user(role=role).email)
    response = client.get(f"/admin/packages/{tracking}/label.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert len(pages(response.data)) == 1
    spaced = f"{tracking[:4]} {tracking[4:8]} {tracking[8:]}"
    assert client.get(f"/admin/packages/{spaced}/label.pdf").status_code == 200


@pytest.mark.parametrize("role", [Role.SHOPPER, Role.CLERK, Role.MERCHANT])
def test_other_roles_may_not_print_a_package_label(app, make, order, role):
    *_, tracking = order
    client = app.test_client()
    log_in(client, make.user(role=role).email)
    assert client.get(f"/admin/packages/{tracking}/label.pdf").status_code == 403
    assert app.test_client().get(f"/admin/packages/{tracking}/label.pdf").status_code in (
        302,
        401,
    )


@pytest.mark.parametrize(
    "number",
    [
        "700000000000",  # well formed check digit unknown: may be not found or invalid
        "71234567890",
        "7" * 13,
        "junk",
        "7" * 400,
        "2" * 14,
        "%E2%82%B1",
        "7123-4567-890x",
        " ",
        "%00",
        "0",
    ],
)
def test_bad_tracking_numbers_are_a_4xx(app, make, order, number):
    client = app.test_client()
    log_in(client, make.user(role=Role.ADMIN).email)
    status = client.get(f"/admin/packages/{number}/label.pdf").status_code
    assert 400 <= status < 500
