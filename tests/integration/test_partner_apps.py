"""Apps: a publisher registers and edits them, an operator approves them and sets rates
(shop.partners.apps), on both databases."""

import pytest

from shop.auth.models import Role
from shop.errors import Conflict
from shop.partners import apps
from shop.partners.apps import AppDetails, AppNotFound, BadApp
from shop.partners.models import AppStatus


def details(**overrides) -> AppDetails:
    fields = {
        "name": "Lutong Bahay Recipes",
        "origins": ("https://recipes.example/path", "http://localhost:5001"),
        "default_rate_bp": 700,
    }
    return AppDetails(**(fields | overrides))


def test_a_registered_app_waits_for_approval_with_a_key_and_clean_origins(app, make):
    publisher = make.user(Role.PUBLISHER)
    with app.app_context():
        registered = apps.register_app(publisher.id, details())
        assert registered.status is AppStatus.PENDING
        assert registered.key.startswith("app_") and len(registered.key) == 24
        assert registered.origins == ["https://recipes.example", "http://localhost:5001"]
        assert apps.live_app(registered.key) is None  # not before approval
        operator = make.user(Role.ADMIN)
        apps.approve_app(registered.id, operator.id)
        assert apps.live_app(registered.key).id == registered.id
        apps.suspend_app(registered.id)
        assert apps.live_app(registered.key) is None


@pytest.mark.parametrize(
    "origin",
    [
        "ftp://recipes.example",
        "recipes.example",
        "http://recipes.example",  # http only for localhost
        "https://user:pw@recipes.example",
        "https://bad_host.example",
        "https://",
        "javascript:alert(1)",
        "https://recipes.example:99999",
    ],
)
def test_an_origin_that_is_not_a_web_origin_is_refused(app, make, origin):
    publisher = make.user(Role.PUBLISHER)
    with app.app_context(), pytest.raises(BadApp) as refused:
        apps.register_app(publisher.id, details(origins=(origin,)))
    assert refused.value.field == "origins"


def test_the_publishers_rate_is_bounded_and_a_new_rate_needs_approval_again(app, make):
    publisher = make.user(Role.PUBLISHER)
    with app.app_context():
        with pytest.raises(BadApp):
            apps.register_app(publisher.id, details(default_rate_bp=1501))
        registered = apps.register_app(publisher.id, details())
        apps.approve_app(registered.id, make.user(Role.ADMIN).id)
        edited = apps.update_app(registered.id, publisher.id, details(name="Renamed"))
        assert edited.status is AppStatus.APPROVED
        edited = apps.update_app(registered.id, publisher.id, details(default_rate_bp=900))
        assert edited.status is AppStatus.PENDING


def test_another_publishers_app_reads_as_unknown(app, make):
    owner, other = make.user(Role.PUBLISHER), make.user(Role.PUBLISHER)
    with app.app_context():
        registered = apps.register_app(owner.id, details())
        with pytest.raises(AppNotFound):
            apps.app_of(other.id, registered.id)
        with pytest.raises(AppNotFound):
            apps.update_app(registered.id, other.id, details())
        assert apps.app_of(owner.id, registered.id).id == registered.id


def test_rate_overrides_replace_and_refuse_unknown_items(app, make):
    item = make.item()
    partner = make.partner_app()
    with app.app_context():
        first = apps.set_rate(partner.id, 1000, item_id=item.id)
        again = apps.set_rate(partner.id, 1200, item_id=item.id)
        assert again.id == first.id and again.rate_bp == 1200
        apps.set_rate(partner.id, 300, category_id=item.category_id)
        assert len(apps.get_app(partner.id).rates) == 2
        with pytest.raises(BadApp):
            apps.set_rate(partner.id, 300, item_id=10**6)
        with pytest.raises(BadApp):
            apps.set_rate(partner.id, 300, item_id=item.id, category_id=item.category_id)
        apps.remove_rate(partner.id, first.id)
        assert len(apps.get_app(partner.id).rates) == 1


def test_a_catalog_choice_must_name_real_categories_and_items(app, make):
    publisher = make.user(Role.PUBLISHER)
    item = make.item()
    with app.app_context():
        chosen = apps.register_app(
            publisher.id, details(category_ids=(item.category_id,), item_ids=(item.id,))
        )
        assert chosen.category_ids == [item.category_id] and chosen.item_ids == [item.id]
        with pytest.raises(BadApp):
            apps.register_app(publisher.id, details(item_ids=(10**6,)))


def test_a_publisher_has_at_most_twenty_apps(app, make):
    publisher = make.user(Role.PUBLISHER)
    with app.app_context():
        for _ in range(apps.MAX_APPS_PER_PUBLISHER):
            apps.register_app(publisher.id, details())
        with pytest.raises(Conflict):
            apps.register_app(publisher.id, details())


@pytest.mark.parametrize(
    ("background", "text"), [("#00704a", "#ffffff"), ("#ffeb3b", "#000000"), ("#000000", "#ffffff")]
)
def test_theme_text_reads_on_its_background(background, text):
    assert apps.theme_text_colour(background) == text
