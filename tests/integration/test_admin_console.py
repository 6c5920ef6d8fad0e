"""The operator console (issue #11 point 8): catalog, branches, merchants, orders and packages,
and the audit log every change writes in its own transaction. On both databases."""

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from shop.admin import audit, console
from shop.admin.models import AuditEntry
from shop.auth.models import Role
from shop.branches.models import Branch
from shop.catalog import operator as catalog_operator
from shop.catalog import service as catalog
from shop.catalog.models import Category, Item
from shop.extensions import db
from shop.merchants.models import Merchant, MerchantStatus
from tests.conftest import csrf_token, log_in, text
from tests.integration.test_checkout import _add, _checkout


@pytest.fixture
def admin(app, make):
    user = make.user(role=Role.ADMIN, email="ops@example.com")
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    client.user = user
    return client


def _audit(app, **where) -> list[AuditEntry]:
    with app.app_context():
        rows = list(
            db.session.scalars(sa.select(AuditEntry).filter_by(**where).order_by(AuditEntry.id))
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def _post(client, path, data, page=None):
    token = csrf_token(client, page or "/account")
    return client.post(path, data={"csrf_token": token, **data})


def _item_form(item, **changes) -> dict:
    data = {
        "item_name": item.name,
        "slug": item.slug,
        "category": str(item.category_id),
        "price_pesos": f"{item.price / 100:.2f}",
        "stock": str(item.stock),
        "stock_was": str(item.stock),
        "length_mm": str(item.length_mm),
        "width_mm": str(item.width_mm),
        "height_mm": str(item.height_mm),
        "weight_g": str(item.weight_g),
        "is_active": "y",
        "description": item.description,
    }
    return {k: v for k, v in (data | changes).items() if v is not None}


# --- Items -------------------------------------------------------------------------------------


def test_the_operator_edits_price_and_stock_and_the_audit_says_so(app, make, admin):
    item = make.item(name="Pork Siomai", price=12500, stock=10)
    page = admin.get(f"/admin/items/{item.id}")
    assert page.status_code == 200 and "Pork Siomai" in text(page)
    answer = _post(
        admin, f"/admin/items/{item.id}", _item_form(item, price_pesos="130.50", stock="25")
    )
    assert answer.status_code == 303
    saved = make.get(Item, item.id)
    assert (saved.price, saved.stock) == (13050, 25)
    [entry] = _audit(app, object_type="item", object_id=str(item.id))
    assert entry.action == "item.update" and entry.actor_email == "ops@example.com"
    assert entry.actor_id == admin.user.id
    assert entry.before == {"price": 12500, "stock": 10}
    assert entry.after == {"price": 13050, "stock": 25, "label": "Pork Siomai"}
    log = text(admin.get("/admin/audit?object_type=item"))
    assert "item.update" in log and "10 → 25" in log and "ops@example.com" in log


def test_a_save_that_changes_nothing_records_nothing(app, make, admin):
    item = make.item()
    assert _post(admin, f"/admin/items/{item.id}", _item_form(item)).status_code == 303
    assert _audit(app) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"price_pesos": "0"}, "price"),
        ({"price_pesos": "-5"}, "price"),
        ({"price_pesos": "1.005"}, "amount in pesos"),
        ({"price_pesos": "abc"}, "amount in pesos"),
        ({"stock": "-1"}, "whole number"),
        ({"stock": "١٢"}, "whole number"),  # Arabic-Indic digits: int() would take them
        ({"stock": "1_000"}, "whole number"),
        ({"length_mm": "0"}, "size in millimetres"),
        ({"weight_g": "0"}, "weight in grams"),
        ({"slug": "Not A Slug"}, "lower-case letters"),
        ({"item_name": ""}, "This field is required"),
        ({"category": "999999"}, "Not a valid choice"),
    ],
)
def test_bad_item_input_is_a_422_and_changes_nothing(app, make, admin, changes, message):
    item = make.item(price=10000, stock=10)
    answer = _post(admin, f"/admin/items/{item.id}", _item_form(item, **changes))
    assert answer.status_code == 422
    assert message in text(answer)
    saved = make.get(Item, item.id)
    assert (saved.price, saved.stock, saved.slug) == (10000, 10, item.slug)
    assert _audit(app) == []


def test_a_slug_another_item_has_is_refused(app, make, admin):
    first, second = make.item(), make.item()
    answer = _post(admin, f"/admin/items/{second.id}", _item_form(second, slug=first.slug))
    assert answer.status_code == 422 and "already has that web address" in text(answer)
    assert _audit(app) == []


def test_stock_an_order_took_meanwhile_is_not_overwritten(app, make, admin):
    """The page showed 10; an order takes 3; the operator saves 20 from the stale page: the
    save is refused (409) and says the stock now, the order's 7 stands, no audit row."""
    item = make.item(stock=10)
    form = _item_form(item, stock="20")  # stock_was=10, as the page showed
    with app.app_context():
        catalog.take_stock(item.id, 3)
        db.session.commit()
    answer = _post(admin, f"/admin/items/{item.id}", form)
    assert answer.status_code == 409
    assert "stock changed while you were editing" in text(answer) and "It is 7 now" in text(answer)
    assert make.get(Item, item.id).stock == 7
    assert _audit(app) == []
    # The page now carries stock_was=7: saving again from it works.
    assert 'name="stock_was" type="hidden" value="7"' in answer.get_data(as_text=True)
    assert (
        _post(
            admin, f"/admin/items/{item.id}", _item_form(item, stock="20", stock_was="7")
        ).status_code
        == 303
    )
    assert make.get(Item, item.id).stock == 20


def test_a_change_whose_audit_row_fails_is_rolled_back(app, make, admin, monkeypatch):
    """The audit row is in the change's transaction: when writing it fails, the change is
    not saved either."""
    item = make.item(price=10000)

    def broken(*args, **kwargs):
        db.session.execute(sa.text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(audit, "record", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_UNEXPECTED", False)
    answer = _post(admin, f"/admin/items/{item.id}", _item_form(item, price_pesos="99"))
    assert answer.status_code == 500
    assert make.get(Item, item.id).price == 10000


def test_the_operator_creates_an_item(app, make, admin):
    category = make.category(name="Frozen")
    data = {
        "item_name": "Beef Tapa 500 g",
        "slug": "beef-tapa-500g",
        "category": str(category.id),
        "price_pesos": "1,299.50",
        "stock": "12",
        "length_mm": "200",
        "width_mm": "150",
        "height_mm": "40",
        "weight_g": "520",
        "is_frozen": "y",
        "is_active": "y",
    }
    assert admin.get("/admin/items/new").status_code == 200
    answer = _post(admin, "/admin/items/new", data)
    assert answer.status_code == 303
    with app.app_context():
        item = db.session.scalar(sa.select(Item).where(Item.slug == "beef-tapa-500g"))
        assert (item.price, item.stock, item.frozen, item.active) == (129950, 12, True, True)
        item_id = item.id
    [entry] = _audit(app, object_type="item")
    assert entry.action == "item.create" and entry.object_id == str(item_id)
    assert entry.before is None and entry.after["price"] == 129950
    assert _post(admin, "/admin/items/new", data).status_code == 422  # the slug is taken now


def test_hiding_an_item_takes_it_off_the_shop(app, make, admin, client):
    item = make.item(name="Hidden Thing")
    assert client.get(f"/items/{item.slug}").status_code == 200
    form = _item_form(item)
    del form["is_active"]
    assert _post(admin, f"/admin/items/{item.id}", form).status_code == 303
    assert client.get(f"/items/{item.slug}").status_code == 404
    assert "Hidden" in text(admin.get("/admin/items?q=hidden"))
    [entry] = _audit(app)
    assert entry.before == {"active": True} and entry.after["active"] is False


def test_the_items_list_is_one_query(app, make, count_queries):
    for _ in range(3):
        make.item()
    with app.test_request_context(), count_queries() as queries:
        found = catalog_operator.operator_items("", 1)
    assert found.total == 3 and len(found.rows) == 3
    assert len(queries) == 1


# --- Images ------------------------------------------------------------------------------------


def _png(size=(8, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _upload(client, item, data: bytes, filename="picture.png", mimetype="image/png"):
    token = csrf_token(client, f"/admin/items/{item.id}")
    return client.post(
        f"/admin/items/{item.id}/image",
        data={"csrf_token": token, "image": (io.BytesIO(data), filename, mimetype)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def image_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMAGE_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


def test_an_uploaded_picture_is_stored_served_and_shown(app, make, admin, client, image_dir):
    item = make.item()
    answer = _upload(admin, item, _png())
    assert answer.status_code == 303
    saved = make.get(Item, item.id)
    assert re.fullmatch(r"uploads/[0-9a-f]{32}\.png", saved.image)
    assert (image_dir / saved.image.removeprefix("uploads/")).is_file()
    served = client.get(f"/static/{saved.image}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.data == _png()
    assert f'src="/static/{saved.image}"' in client.get(f"/items/{item.slug}").get_data(
        as_text=True
    )
    [entry] = _audit(app, action="item.image")
    assert entry.before == {"image": "img/icon.svg"} and entry.after["image"] == saved.image


@pytest.mark.parametrize(
    ("data", "filename", "mimetype"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "a.png",
            "image/png",
        ),
        (b"\x89PNG\r\n\x1a\n" + b"not really", "a.png", "image/png"),  # a signature, no image
        (b"GIF89a" + b"\x00" * 20, "a.gif", "image/gif"),
        (b"", "a.png", "image/png"),
        (b"MZ\x90\x00", "a.exe", "application/octet-stream"),
    ],
)
def test_a_file_that_is_not_a_picture_is_refused(
    app, make, admin, image_dir, data, filename, mimetype
):
    item = make.item()
    answer = _upload(admin, item, data, filename, mimetype)
    assert answer.status_code == 422
    assert make.get(Item, item.id).image == "img/icon.svg"
    assert _audit(app) == []
    assert not image_dir.exists() or not any(image_dir.iterdir())


def test_a_picture_over_the_size_limit_is_refused(app, make, admin, image_dir, monkeypatch):
    monkeypatch.setitem(app.config, "IMAGE_MAX_BYTES", 100)
    item = make.item()
    answer = _upload(admin, item, _png((200, 200)))
    assert answer.status_code == 422 and "make it smaller" in text(answer)
    assert make.get(Item, item.id).image == "img/icon.svg"


@pytest.mark.parametrize("name", ["../secret_key", "x.png", "0" * 32 + ".svg", "0" * 32 + ".png"])
def test_only_stored_pictures_are_served(client, image_dir, name):
    assert client.get(f"/static/uploads/{name}").status_code == 404


# --- Categories --------------------------------------------------------------------------------


def test_categories_are_created_renamed_and_reordered(app, make, admin):
    snacks = make.category(name="Snacks", slug="snacks", position=1)
    drinks = make.category(name="Drinks", slug="drinks", position=2)
    answer = _post(admin, "/admin/categories", {"category_name": "Frozen food", "slug": "frozen"})
    assert answer.status_code == 303
    assert (
        _post(admin, f"/admin/categories/{drinks.id}", {"category_name": "Cold drinks"}).status_code
        == 303
    )
    assert make.get(Category, drinks.id).name == "Cold drinks"
    assert (
        _post(admin, f"/admin/categories/{drinks.id}/move", {"direction": "up"}).status_code == 303
    )
    with app.app_context():
        order = [
            c.slug for c in db.session.scalars(sa.select(Category).order_by(Category.position))
        ]
    assert order == ["drinks", "snacks", "frozen"]
    # The shop's category list shows the new order and name at once (this process's cache).
    assert [c.name for c in _categories(app)] == ["Cold drinks", "Snacks", "Frozen food"]
    actions = [e.action for e in _audit(app, object_type="category")]
    assert actions == ["category.create", "category.rename", "category.move_up"]
    first = _post(admin, f"/admin/categories/{drinks.id}/move", {"direction": "up"})
    assert first.status_code == 409 and "already first" in text(first)
    assert len(_audit(app, object_type="category")) == 3
    assert make.get(Category, snacks.id).position == 2


def _categories(app):
    with app.test_request_context():
        return catalog.list_categories()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/categories", {"category_name": "X", "slug": "Bad Slug"}),
        ("/admin/categories", {"category_name": "", "slug": "ok"}),
        ("/admin/categories/{id}", {"category_name": ""}),
        ("/admin/categories/{id}/move", {"direction": "sideways"}),
    ],
)
def test_bad_category_input_is_refused(app, make, admin, path, data):
    category = make.category()
    answer = _post(admin, path.format(id=category.id), data)
    assert 400 <= answer.status_code < 500
    assert _audit(app) == []


def test_an_unknown_category_is_a_404(admin):
    assert _post(admin, "/admin/categories/2147483647", {"category_name": "X"}).status_code == 404


# --- Branches ----------------------------------------------------------------------------------


def test_the_operator_edits_capacity_hours_and_frozen(app, make, admin):
    branch = make.branch(code="0412", shelf_capacity=40, opens_at=0, closes_at=0)
    page = text(admin.get("/admin/branches/0412"))
    assert "Capacity, hours and frozen pickup" in page
    data = {"shelf_capacity": "60", "opens_at": "07:00", "closes_at": "23:30", "takes_frozen": "y"}
    assert _post(admin, "/admin/branches/0412/details", data).status_code == 303
    saved = make.get(Branch, branch.id)
    assert (saved.shelf_capacity, saved.opens_at, saved.closes_at, saved.frozen) == (
        60,
        420,
        1410,
        True,
    )
    [entry] = _audit(app, object_type="branch")
    assert entry.action == "branch.update" and entry.object_id == "0412"
    assert entry.before == {
        "shelf_capacity": 40,
        "opens_at": "00:00",
        "closes_at": "00:00",
        "frozen": False,
    }
    assert entry.after == {
        "shelf_capacity": 60,
        "opens_at": "07:00",
        "closes_at": "23:30",
        "frozen": True,
    }


def test_capacity_below_what_is_reserved_is_refused(app, make, admin):
    branch = make.branch(code="0413", shelf_capacity=40, reserved=12)
    data = {"shelf_capacity": "11", "opens_at": "00:00", "closes_at": "00:00"}
    answer = _post(admin, "/admin/branches/0413/details", data)
    assert answer.status_code == 409 and "can't go below" in text(answer)
    assert make.get(Branch, branch.id).shelf_capacity == 40
    data["shelf_capacity"] = "12"
    assert _post(admin, "/admin/branches/0413/details", data).status_code == 303
    assert make.get(Branch, branch.id).shelf_capacity == 12


@pytest.mark.parametrize(
    "data",
    [
        {"shelf_capacity": "-1", "opens_at": "07:00", "closes_at": "22:00"},
        {"shelf_capacity": "99999", "opens_at": "07:00", "closes_at": "22:00"},
        {"shelf_capacity": "40", "opens_at": "25:00", "closes_at": "22:00"},
        {"shelf_capacity": "40", "opens_at": "7am", "closes_at": "22:00"},
        {"shelf_capacity": "40", "opens_at": "07:00"},
    ],
)
def test_bad_branch_input_is_a_422(app, make, admin, data):
    branch = make.branch(code="0414", shelf_capacity=40)
    assert _post(admin, "/admin/branches/0414/details", data).status_code == 422
    assert make.get(Branch, branch.id).shelf_capacity == 40
    assert _audit(app) == []


def test_close_reopen_and_signature_are_audited(app, make, admin):
    make.branch(code="0415", name="7-Eleven Ayala")
    answer = _post(admin, "/admin/branches/0415/close", {"how": "for_good"})
    assert answer.status_code == 303
    assert _post(admin, "/admin/branches/0415/reopen", {}).status_code == 303
    assert (
        _post(admin, "/admin/branches/0415/signature", {"signature": "required"}).status_code == 303
    )
    entries = _audit(app, object_type="branch", object_id="0415")
    assert [e.action for e in entries] == ["branch.close", "branch.reopen", "branch.signature"]
    close, reopen, signature = entries
    assert close.before == {"closed_from": None, "closed_until": None}
    assert close.after["closed_from"] and close.after["closed_until"] is None
    assert close.after["rerouted"] == 0
    assert reopen.after == {"closed_from": None, "closed_until": None}
    assert signature.before == {"signature_required": False}
    assert signature.after == {"signature_required": True}
    # A refused close (a bad choice) writes no row.
    assert 400 <= _post(admin, "/admin/branches/0415/close", {"how": "never"}).status_code < 500
    assert len(_audit(app, object_type="branch")) == 3


# --- Merchants ---------------------------------------------------------------------------------


def test_merchants_are_created_edited_suspended_and_reactivated(app, make, admin):
    data = {
        "merchant_name": "Lazada Express",
        "slug": "lazada",
        "contact_email": "ops@lazada.example",
    }
    answer = _post(admin, "/admin/merchants", data)
    assert answer.status_code == 303
    with app.app_context():
        merchant = db.session.scalar(sa.select(Merchant))
        merchant_id = merchant.id
        assert merchant.status is MerchantStatus.ACTIVE
    assert "Lazada Express" in text(admin.get("/admin/merchants"))
    edit = {"merchant_name": "Lazada", "contact_email": "hub@lazada.example"}
    assert _post(admin, f"/admin/merchants/{merchant_id}", edit).status_code == 303
    assert (
        _post(admin, f"/admin/merchants/{merchant_id}/status", {"status": "suspended"}).status_code
        == 303
    )
    assert make.get(Merchant, merchant_id).status is MerchantStatus.SUSPENDED
    again = _post(admin, f"/admin/merchants/{merchant_id}/status", {"status": "suspended"})
    assert again.status_code == 409
    assert (
        _post(admin, f"/admin/merchants/{merchant_id}/status", {"status": "active"}).status_code
        == 303
    )
    entries = _audit(app, object_type="merchant", object_id=str(merchant_id))
    assert [e.action for e in entries] == [
        "merchant.create", "merchant.update", "merchant.suspend", "merchant.activate"
    ]  # fmt: skip
    assert entries[1].before == {"name": "Lazada Express", "contact_email": "ops@lazada.example"}
    assert entries[2].after == {"status": "suspended"}
    assert _post(admin, "/admin/merchants", data).status_code == 422  # the slug is taken


@pytest.mark.parametrize(
    "data",
    [
        {"merchant_name": "Shop", "slug": "shop", "contact_email": "a@b.example"},
        {"merchant_name": "X", "slug": "Has Spaces", "contact_email": "a@b.example"},
        {"merchant_name": "X", "slug": "x" * 41, "contact_email": "a@b.example"},
        {"merchant_name": "X", "slug": "ok", "contact_email": "not-an-email"},
        {"merchant_name": "", "slug": "ok", "contact_email": "a@b.example"},
    ],
)
def test_bad_merchant_input_is_a_422(app, admin, data):
    assert _post(admin, "/admin/merchants", data).status_code == 422
    assert _audit(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Merchant)) == 0


def test_an_unknown_merchant_is_a_404(admin):
    assert admin.get("/admin/merchants/2147483647").status_code == 404
    assert (
        _post(admin, "/admin/merchants/2147483647/status", {"status": "active"}).status_code == 404
    )


# --- Orders and packages -----------------------------------------------------------------------


@pytest.fixture
def placed(app, make):
    item = make.item(name="Ube Halaya", stock=20)
    branch = make.branch(code="0420", name="7-Eleven Katipunan")
    shopper = app.test_client()
    _add(shopper, item, 2)
    location = _checkout(shopper, branch).headers["Location"]  # COD: confirmed, a package
    number = location.split("/")[2].split("?")[0]
    from shop.fulfillment.models import Package

    with app.app_context():
        tracking = db.session.scalar(sa.select(Package.tracking_number))
    return number, tracking


def test_orders_are_found_by_number_email_phone_status_and_date(admin, placed):
    number, _ = placed
    for query in (
        f"number={number}",
        f"number={number.replace('-', '').lower()}",
        "email=JUAN@example",
        "phone=0917 123",
        "status=confirmed",
        "from=2000-01-01&to=2999-12-31",
    ):
        page = admin.get(f"/admin/orders?{query}")
        assert page.status_code == 200 and number in text(page), query
    assert number not in text(admin.get("/admin/orders?status=cancelled"))
    assert number not in text(admin.get("/admin/orders?to=2000-01-01"))


@pytest.mark.parametrize(
    "query",
    ["number=nonsense", "status=lost", "from=yesterday", "to=2026-13-01", "page=0", "page=abc"],
)
def test_bad_order_filters_are_a_4xx(admin, query):
    answer = admin.get(f"/admin/orders?{query}")
    assert 400 <= answer.status_code < 500


def test_an_order_shows_its_lines_payment_and_packages(admin, placed):
    number, tracking = placed
    page = admin.get(f"/admin/orders/{number}")
    assert page.status_code == 200
    body = text(page)
    assert "Ube Halaya" in body and "Pay at the store" in body and "7-Eleven Katipunan" in body
    assert f"/admin/packages/{tracking}" in body and f"/admin/packages/{tracking}/label.pdf" in body
    assert admin.get("/admin/orders/CQ-2345-6789").status_code == 404
    assert admin.get("/admin/orders/junk").status_code == 404


def test_packages_are_found_and_show_their_timeline(admin, placed):
    number, tracking = placed
    for query in (f"tracking_number={tracking}", "state=label_issued", "branch=0420"):
        page = admin.get(f"/admin/packages?{query}")
        assert page.status_code == 200 and number in text(page), query
    assert number not in text(admin.get("/admin/packages?state=claimed"))
    assert admin.get("/admin/packages?tracking_number=12345").status_code == 422
    assert admin.get("/admin/packages?state=lost").status_code == 422
    detail = admin.get(f"/admin/packages/{tracking}")
    assert detail.status_code == 200
    assert "Timeline" in text(detail) and "Label issued" in text(detail)
    assert f"/admin/orders/{number}" in text(detail)
    assert admin.get("/admin/packages/700000000000").status_code == 404


# --- The audit page ----------------------------------------------------------------------------


def test_the_audit_page_filters_by_object_and_actor_and_pages(app, make, admin, monkeypatch):
    other = make.user(role=Role.ADMIN, email="night@example.com")
    with app.app_context():
        for n in range(audit.PER_PAGE + 3):
            audit.record(admin.user, "item.update", "item", n % 2, {"stock": n}, {"stock": n + 1})
        audit.record(other, "branch.update", "branch", "0412", {}, {"frozen": True})
        db.session.commit()
    first = text(admin.get("/admin/audit"))
    assert "branch.update" in first and "Older" in first
    assert "night@example.com" in text(admin.get("/admin/audit?actor=night"))
    assert "ops@example.com" not in text(admin.get("/admin/audit?actor=night"))
    only_branch = text(admin.get("/admin/audit?object_type=branch&object_id=0412"))
    assert "branch.update" in only_branch and "item.update" not in only_branch
    second = text(admin.get("/admin/audit?page=2"))
    assert "Newer" in second and "Older" not in second
    assert admin.get("/admin/audit?page=0").status_code == 400
    assert admin.get("/admin/audit?object_id=" + "x" * 65).status_code == 422


def test_record_only_flushes(app, make):
    """The caller's transaction decides: a rollback after record leaves no row."""
    user = make.user(role=Role.ADMIN)
    with app.app_context():
        audit.record(user, "item.update", "item", 1, {"a": 1}, {"a": 2})
        db.session.rollback()
    assert _audit(app) == []


def test_a_console_change_and_its_row_commit_together(app, make):
    user = make.user(role=Role.ADMIN)
    item = make.item(stock=5)
    with app.app_context():
        change = console.update_item(user, item.id, 5, stock=9)
        db.session.rollback()  # too late: the change committed, with its row
    assert change.after == {"stock": 9, "label": item.name} or change.after["stock"] == 9
    assert make.get(Item, item.id).stock == 9
    [entry] = _audit(app)
    assert entry.after["stock"] == 9


# --- Who may ----------------------------------------------------------------------------------

PAGES = [
    "/admin/items", "/admin/items/new", "/admin/items/{item}", "/admin/categories",
    "/admin/merchants", "/admin/orders", "/admin/packages", "/admin/audit",
]  # fmt: skip
POSTS = [
    ("/admin/items/new", {"item_name": "X"}),
    ("/admin/items/{item}", {"item_name": "X"}),
    ("/admin/items/{item}/image", {}),
    ("/admin/categories", {"category_name": "X", "slug": "x"}),
    ("/admin/categories/{category}", {"category_name": "X"}),
    ("/admin/categories/{category}/move", {"direction": "up"}),
    (
        "/admin/branches/0430/details",
        {"shelf_capacity": "1", "opens_at": "00:00", "closes_at": "00:00"},
    ),
    ("/admin/merchants", {"merchant_name": "X", "slug": "x", "contact_email": "a@b.example"}),
]


@pytest.mark.parametrize("role", [Role.SHOPPER, Role.CLERK, Role.DC, Role.MERCHANT, Role.PUBLISHER])
def test_only_an_operator_gets_in(app, make, role):
    item = make.item()
    branch = make.branch(code="0430")
    client = app.test_client()
    assert log_in(client, make.user(role=role, branch_id=branch.id).email).status_code == 302
    for path in PAGES:
        assert client.get(path.format(item=item.id)).status_code == 403, path
    token = csrf_token(client, "/account")
    for path, data in POSTS:
        path = path.format(item=item.id, category=item.category_id)
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert _audit(app) == []
    anonymous = app.test_client()
    assert "/login" in anonymous.get("/admin/items").headers["Location"]


def test_a_post_without_its_csrf_token_is_refused(app, make, admin):
    item = make.item(price=10000)
    answer = admin.post(f"/admin/items/{item.id}", data=_item_form(item, price_pesos="1"))
    assert answer.status_code == 400
    assert make.get(Item, item.id).price == 10000
