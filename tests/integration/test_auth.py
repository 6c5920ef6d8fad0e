import pytest

from shop.auth.models import Role, User
from tests.conftest import csrf_token, log_in, text
from tests.factories import PASSWORD


def _signup(client, **overrides):
    data = {"name": "Maria Clara", "email": "maria@example.com", "password": "a long passphrase"}
    data |= overrides
    data["csrf_token"] = csrf_token(client, "/signup")
    return client.post("/signup", data=data)


def test_signup_creates_a_shopper_and_logs_in(client, app):
    response = _signup(client, email="  Maria@Example.com ")
    assert response.status_code == 302
    html = client.get("/account").get_data(as_text=True)
    assert "maria@example.com" in html
    assert "Shopper" in html
    with app.app_context():
        from shop.extensions import db

        user = db.session.query(User).filter_by(email="maria@example.com").one()
        assert user.role is Role.SHOPPER
        assert user.password_hash.startswith("$argon2id$")
        assert "a long passphrase" not in user.password_hash


def test_signup_refuses_a_taken_email(client, make):
    make.user(email="taken@example.com")
    response = _signup(client, email="TAKEN@example.com")
    assert response.status_code == 409
    assert "already exists" in text(response)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("password", "short", "Use 10 to 128 characters"),
        ("email", "not-an-email", "Enter an email address"),
        ("name", "", "This field is required"),
        ("password", "x" * 200, "Use 10 to 128 characters"),
    ],
)
def test_signup_validation(client, app, field, value, message):
    response = _signup(client, **{field: value})
    assert response.status_code == 422
    assert message in text(response)
    with app.app_context():
        from shop.extensions import db

        assert db.session.query(User).count() == 0


def test_login_and_logout(client, make):
    user = make.user(name="Jose Rizal")
    response = log_in(client, user.email)
    assert response.status_code == 302
    assert "Jose" in client.get("/").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert client.get("/account").status_code == 302


def test_login_with_a_wrong_password_says_so_without_telling_which(client, make):
    user = make.user()
    wrong = log_in(client, user.email, "not the password")
    unknown = log_in(client, "nobody@example.com", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "don't match an account" in text(response)


def test_login_redirects_only_to_this_site(client, make):
    user = make.user()
    token = csrf_token(client, "/login")
    for target, expected in [("/cart", "/cart"), ("https://evil.example/", "/"), ("//evil", "/")]:
        response = client.post(
            f"/login?next={target}",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        )
        assert response.headers["Location"] == expected


def test_login_is_rate_limited_per_address(client, make, app):
    """Every log-in attempt from one address counts, whatever email it names (account limits:
    test_login_limits.py)."""
    user = make.user()
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    token = csrf_token(client, "/login")
    statuses = [
        client.post(
            "/login",
            data={"email": f"guess{n}@example.com", "password": "wrong", "csrf_token": token},
        ).status_code
        for n in range(limit)
    ]
    assert statuses == [401] * limit
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "Too many tries" in text(response)
    assert client.get("/account").status_code == 302


def test_change_password_logs_out_other_sessions(app, make):
    user = make.user()
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, user.email)
    log_in(elsewhere, user.email)
    data = {
        "current": PASSWORD,
        "new": "a brand new passphrase",
        "confirm": "a brand new passphrase",
        "csrf_token": csrf_token(here, "/account/password"),
    }
    response = here.post("/account/password", data=data)
    assert response.status_code == 302
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302  # logged out
    assert log_in(app.test_client(), user.email, "a brand new passphrase").status_code == 302
    assert log_in(app.test_client(), user.email, PASSWORD).status_code == 401


def test_change_password_needs_the_current_one(client, make):
    user = make.user()
    log_in(client, user.email)
    data = {
        "current": "wrong wrong wrong",
        "new": "a brand new passphrase",
        "confirm": "a brand new passphrase",
        "csrf_token": csrf_token(client, "/account/password"),
    }
    response = client.post("/account/password", data=data)
    assert response.status_code == 401
    assert "current password" in text(response)
    assert log_in(client, user.email).status_code == 302


def test_change_password_confirmation_must_match(client, make):
    user = make.user()
    log_in(client, user.email)
    data = {
        "current": PASSWORD,
        "new": "a brand new passphrase",
        "confirm": "another passphrase!",
        "csrf_token": csrf_token(client, "/account/password"),
    }
    response = client.post("/account/password", data=data)
    assert response.status_code == 422
    assert "differ" in text(response)


def test_admin_page_is_only_for_admins(client, make):
    assert client.get("/admin/").status_code == 302  # visitors: to the login page
    for role in Role:
        user = make.user(role=role)
        client = client.application.test_client()
        log_in(client, user.email)
        response = client.get("/admin/")
        if role is Role.ADMIN:
            assert response.status_code == 200
            assert "Operator overview" in text(response)
        else:
            assert response.status_code == 403, role
            assert "isn't for your account" in text(response)


def test_login_needs_csrf(client, make):
    user = make.user()
    client.get("/login")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/account").status_code == 302


def test_logging_out_ends_the_session_for_a_copy_of_its_cookie(app, make):
    user = make.user()
    owner, thief = app.test_client(), app.test_client()
    log_in(owner, user.email)
    thief.set_cookie("session", owner.get_cookie("session").value)
    assert thief.get("/account").status_code == 200  # the copy works while the owner is in
    response = owner.post("/logout", data={"csrf_token": csrf_token(owner)})
    assert response.status_code == 302
    assert owner.get("/account").status_code == 302
    assert thief.get("/account").status_code == 302  # and no longer after the log-out
    assert "Log in" in text(thief.get("/"))
    assert log_in(owner, user.email).status_code == 302  # logging in again works
    assert owner.get("/account").status_code == 200
    assert thief.get("/account").status_code == 302


def test_logging_out_without_a_session_is_harmless(client):
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302


def test_account_services_commit_only_as_the_outermost_unit_of_work(app, make):
    """create_user, change_password and log_out join a caller's transaction: when it rolls
    back, nothing of theirs was saved."""
    from shop.auth import service
    from shop.auth.throttle import Client
    from shop.extensions import db
    from shop.transaction import transaction

    user = make.user()
    with app.test_request_context():
        with pytest.raises(RuntimeError), transaction():
            service.create_user("late@example.com", "Late", "a long passphrase")
            service.change_password(
                user.id, PASSWORD, "a brand new passphrase", client=Client("203.0.113.7")
            )
            service.log_out(user.id)
            raise RuntimeError("the caller fails after them")
        db.session.remove()
        assert db.session.query(User).filter_by(email="late@example.com").count() == 0
        again = db.session.get(User, user.id)
        assert (again.session_version, again.password_hash) == (
            user.session_version,
            user.password_hash,
        )
