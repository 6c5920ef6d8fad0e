"""The publisher's console (sign-up, the app form) and the operator's /admin/apps, through the
test client on both databases."""

import pytest
import sqlalchemy as sa

from shop.auth.models import Role, User
from shop.extensions import db, limiter
from shop.partners.models import App, AppStatus, RateOverride
from tests.conftest import csrf_token, log_in


def _signup(client, **fields):
    data = {"name": "Ana Publisher", "email": "ana@example.com", "password": "long enough pw"}
    data |= fields
    data["csrf_token"] = csrf_token(client, "/partners/signup")
    return client.post("/partners/signup", data=data)


def test_a_visitor_signs_up_as_a_publisher_and_lands_on_the_console(app):
    client = app.test_client()
    assert client.get("/partners/signup").status_code == 200
    response = _signup(client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/partners/")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "ana@example.com"))
        assert user.role is Role.PUBLISHER
    home = client.get("/partners/")
    page = home.get_data(as_text=True)
    assert home.status_code == 200
    assert "Register an app" in page and "You have no app yet" in page
    # Logged in as a publisher, the sign-up page sends them home.
    assert client.get("/partners/signup").status_code == 302


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email"}, "Enter an email address"),
        ({"password": "short"}, "Use 10 to"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_signup_shows_what_is_wrong(app, fields, message):
    response = _signup(app.test_client(), **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_signup_with_a_taken_email_is_refused(app, make):
    make.user(email="taken@example.com")
    response = _signup(app.test_client(), email="taken@example.com")
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True)


def test_signup_is_rate_limited_per_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    limiter.reset()
    statuses = [  # a new browser each time, from the same address
        _signup(app.test_client(), email=f"p{n}@example.com").status_code for n in range(4)
    ]
    assert statuses[-1] == 429
    assert 429 not in statuses[:3]


@pytest.fixture
def publisher(app, make):
    user = make.user(Role.PUBLISHER)
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return user, client


def _app_form(client, path="/partners/apps/new", **fields):
    data = {
        "name": "Tindahan Ko",
        "origins": "https://tindahan.example\nhttps://m.tindahan.example/shop",
        "rate": "5.25",
        "theme_colour": "#123456",
        "catalog": "all",
    } | fields
    data["csrf_token"] = csrf_token(client, "/partners/apps/new")
    return client.post(path, data=data)


def test_a_publisher_registers_an_app_and_sees_its_key_and_snippet(app, publisher):
    user, client = publisher
    response = _app_form(client)
    assert response.status_code == 303
    with app.app_context():
        registered = db.session.scalar(sa.select(App).where(App.publisher_id == user.id))
        assert registered.default_rate_bp == 525
        assert registered.origins == ["https://tindahan.example", "https://m.tindahan.example"]
        assert registered.status is AppStatus.PENDING
        assert registered.category_ids is None and registered.item_ids is None
        key, app_id = registered.key, registered.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Waiting for approval" in page and key in page
    assert f"data-cliqq-app=&#34;{key}&#34;" in page or f'data-cliqq-app="{key}"' in page
    assert "<textarea" in page and "readonly" in page
    assert f"/embed/{key}/" not in page  # no preview before approval
    assert "Tindahan Ko" in client.get("/partners/").get_data(as_text=True)
    assert client.get(f"/partners/apps/{app_id}").status_code == 200


def test_the_catalog_choice_is_saved_and_shown(app, make, publisher):
    user, client = publisher
    category = make.category(name="Snacks")
    item = make.item(name="Chichirya")
    response = _app_form(
        client, catalog="chosen", categories=[str(category.id)], items=[str(item.id)]
    )
    assert response.status_code == 303
    with app.app_context():
        saved = db.session.scalar(sa.select(App).where(App.publisher_id == user.id))
        assert saved.category_ids == [category.id] and saved.item_ids == [item.id]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "checked" in page and "Chichirya" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "x"}, "name of 2 to 80"),
        ({"origins": "ftp://nope.example"}, "isn&#39;t an origin"),
        ({"origins": "http://tindahan.example"}, "must use https"),
        ({"rate": "5.255"}, "at most two decimals"),
        ({"rate": "abc"}, "at most two decimals"),
        ({"rate": "40"}, "between 0 % and 15 %"),
        ({"theme_colour": "green"}, "#rrggbb"),
        ({"catalog": "chosen"}, "at least one category or item"),
        ({"catalog": "chosen", "categories": ["999999"]}, "categories doesn"),
        ({"catalog": "chosen", "items": ["abc"]}, "choice of catalog"),
        ({"origins": ""}, "at least one origin"),
    ],
)
def test_the_app_form_shows_what_is_wrong(app, publisher, fields, message):
    _, client = publisher
    response = _app_form(client, **fields)
    assert response.status_code == 422, response.status_code
    page = response.get_data(as_text=True)
    assert message in page, page[page.find("field__error") - 200 : page.find("field__error") + 300]
    assert 'aria-invalid="true"' in page or 'role="alert"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(App)) == 0


def test_editing_the_rate_of_an_approved_app_asks_for_approval_again(app, make, publisher):
    user, client = publisher
    partner = make.partner_app(publisher_id=user.id)
    response = _app_form(client, f"/partners/apps/{partner.id}", rate="6")
    assert response.status_code == 303
    assert make.get(App, partner.id).status is AppStatus.PENDING
    assert make.get(App, partner.id).default_rate_bp == 600


def test_an_approved_app_links_its_preview(app, make, publisher):
    user, client = publisher
    partner = make.partner_app(publisher_id=user.id)
    page = client.get(f"/partners/apps/{partner.id}").get_data(as_text=True)
    assert f"/embed/{partner.key}/" in page and "Approved" in page


# --- the operator ---------------------------------------------------------------------------


@pytest.fixture
def operator(app, make):
    user = make.user(Role.ADMIN)
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return user, client


def _post(client, path, **data):
    data["csrf_token"] = csrf_token(client, "/".join(path.split("/")[:4]))  # the app's page
    return client.post(path, data=data)


def test_the_operator_lists_apps_by_status(app, make, operator):
    _, client = operator
    make.partner_app(name="Live One")
    make.partner_app(name="New One", status=AppStatus.PENDING)
    everything = client.get("/admin/apps/").get_data(as_text=True)
    assert "Live One" in everything and "New One" in everything
    pending = client.get("/admin/apps/?status=pending").get_data(as_text=True)
    assert "New One" in pending and "Live One" not in pending
    assert client.get("/admin/apps/?status=junk").status_code == 200


def test_the_operator_approves_at_another_rate_and_suspends(app, make, operator):
    admin, client = operator
    partner = make.partner_app(status=AppStatus.PENDING, default_rate_bp=800)
    assert "Approve" in client.get(f"/admin/apps/{partner.id}").get_data(as_text=True)
    response = _post(client, f"/admin/apps/{partner.id}/approve", rate="4.5")
    assert response.status_code == 303
    approved = make.get(App, partner.id)
    assert approved.status is AppStatus.APPROVED and approved.default_rate_bp == 450
    assert approved.approved_by == admin.id
    assert _post(client, f"/admin/apps/{partner.id}/suspend").status_code == 303
    assert make.get(App, partner.id).status is AppStatus.SUSPENDED
    # Approving at the publisher's rate: the field left blank.
    assert _post(client, f"/admin/apps/{partner.id}/approve", rate="").status_code == 303
    assert make.get(App, partner.id).default_rate_bp == 450


def test_a_bad_approval_rate_is_shown(app, make, operator):
    _, client = operator
    partner = make.partner_app(status=AppStatus.PENDING)
    response = _post(client, f"/admin/apps/{partner.id}/approve", rate="120")
    assert response.status_code == 422
    assert "percentage" in response.get_data(as_text=True)
    assert make.get(App, partner.id).status is AppStatus.PENDING


def test_the_operator_sets_replaces_and_removes_rates(app, make, operator):
    _, client = operator
    partner = make.partner_app()
    item = make.item(name="Special Thing")
    path = f"/admin/apps/{partner.id}/rates"
    assert _post(client, path, target=f"item:{item.id}", rate="10").status_code == 303
    assert _post(client, path, target=f"item:{item.id}", rate="12.5").status_code == 303
    assert _post(client, path, target=f"category:{item.category_id}", rate="7").status_code == 303
    with app.app_context():
        rates = db.session.scalars(sa.select(RateOverride).order_by(RateOverride.id)).all()
        assert [(r.item_id, r.category_id, r.rate_bp) for r in rates] == [
            (item.id, None, 1250),
            (None, item.category_id, 700),
        ]
        first = rates[0].id
    page = client.get(f"/admin/apps/{partner.id}").get_data(as_text=True)
    assert "Item: Special Thing" in page and "12.5 %" in page
    search = client.get(f"/admin/apps/{partner.id}?item_q=Special").get_data(as_text=True)
    assert f'value="item:{item.id}"' in search
    assert _post(client, f"{path}/{first}/remove").status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RateOverride)) == 1
    assert _post(client, f"{path}/{first}/remove").status_code == 404


@pytest.mark.parametrize(
    ("target", "rate", "message"),
    [
        ("item:999999", "5", "item doesn"),
        ("thing:1", "5", "Choose an item or a category"),
        ("", "5", "Choose an item or a category"),
        ("category:1", "abc", "percentage"),
    ],
)
def test_bad_rates_are_shown(app, make, operator, target, rate, message):
    _, client = operator
    partner = make.partner_app()
    response = _post(client, f"/admin/apps/{partner.id}/rates", target=target, rate=rate)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_only_an_operator_reaches_the_apps_screens(app, make):
    partner = make.partner_app(status=AppStatus.PENDING)
    publisher = app.test_client()
    log_in(publisher, make.user(Role.PUBLISHER).email)
    for path in ("/admin/apps/", f"/admin/apps/{partner.id}"):
        assert publisher.get(path).status_code == 403
    token = csrf_token(publisher, "/partners/apps/new")
    for action in ("approve", "suspend", "rates"):
        response = publisher.post(f"/admin/apps/{partner.id}/{action}", data={"csrf_token": token})
        assert response.status_code == 403
    assert make.get(App, partner.id).status is AppStatus.PENDING
    # Without the CSRF token even the operator is refused.
    operator = app.test_client()
    log_in(operator, make.user(Role.ADMIN).email)
    assert operator.post(f"/admin/apps/{partner.id}/approve").status_code == 400
    assert make.get(App, partner.id).status is AppStatus.PENDING
    assert operator.get("/admin/apps/999999").status_code == 404
