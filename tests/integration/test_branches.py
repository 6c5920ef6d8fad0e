"""The branch picker: search by text and nearest first, capacity reservations, and the
/branches pages. Runs on SQLite and PostgreSQL (the `app` fixture)."""

import math
import random
import re
import threading

import pytest
import sqlalchemy as sa
from flask import render_template

from shop.branches import service
from shop.branches.models import Branch, BranchKind
from shop.branches.service import BranchNotFound, BranchUnavailable, haversine_km, picker_context
from shop.errors import InvalidInput
from shop.extensions import db
from shop.web import status_of
from tests.conftest import text

MANILA = (14.5995, 120.9842)
HTMX = {"HX-Request": "true"}


def _codes(choices) -> list[str]:
    return [choice.code for choice in choices]


def _search(app, **kwargs):
    with app.app_context():
        return service.search(**kwargs)


def _many(app, rows: list[dict]) -> None:
    """Insert many branches in one statement (the factory commits one at a time)."""
    with app.app_context():
        db.session.execute(sa.insert(Branch), rows)
        db.session.commit()


def _random_branches(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append(
            {
                "code": f"R{i:04d}",
                "name": f"7-Eleven Random {i}",
                "address": f"{i} Random Road",
                "city": rng.choice(["Makati", "Pasig", "Quezon City", "Manila", "Taguig"]),
                "province": "Metro Manila",
                # Metro Manila and a little beyond: about 60 x 45 km.
                "lat": rng.uniform(14.35, 14.90),
                "lng": rng.uniform(120.90, 121.30),
                "frozen": rng.random() < 0.3,
                "shelf_capacity": rng.randint(0, 40),
            }
        )
    return rows


# --- search by text -----------------------------------------------------------------------------


def test_search_matches_name_city_code_and_address_words(app, make):
    ayala = make.branch(name="7-Eleven Ayala Triangle", address="6791 Ayala Ave.", city="Makati")
    kapitolyo = make.branch(name="7-Eleven Kapitolyo", address="16 East Capitol Dr.", city="Pasig")
    make.branch(name="7-Eleven Session Road", address="1 Session Rd.", city="Baguio")
    assert _codes(_search(app, q="ayala")) == [ayala.code]
    assert _codes(_search(app, q="PASIG")) == [kapitolyo.code]
    assert _codes(_search(app, q=kapitolyo.code)) == [kapitolyo.code]
    assert _codes(_search(app, q="capitol")) == [kapitolyo.code]
    assert _codes(_search(app, q="makati triangle 6791")) == [ayala.code]  # every word
    assert _codes(_search(app, q="ayala pasig")) == []
    assert len(_search(app)) == 3


def test_search_without_near_is_by_city_then_name(app, make):
    make.branch(name="B Store", city="Pasig")
    make.branch(name="A Store", city="Pasig")
    make.branch(name="Z Store", city="Makati")
    choices = _search(app)
    assert [(c.city, c.name) for c in choices] == [
        ("Makati", "Z Store"),
        ("Pasig", "A Store"),
        ("Pasig", "B Store"),
    ]
    assert all(c.distance_km is None for c in choices)


def test_search_treats_like_wildcards_and_backslashes_as_text(app, make):
    percent = make.branch(name="7-Eleven 100% Fresh")
    underscore = make.branch(name="7-Eleven Under_score")
    make.branch(name="7-Eleven Plain 1000")
    assert _codes(_search(app, q="%")) == [percent.code]
    assert _codes(_search(app, q="0%")) == [percent.code]
    assert _codes(_search(app, q="_")) == [underscore.code]
    assert _codes(_search(app, q="\\")) == []
    assert _codes(_search(app, q="%%%_\\%")) == []


def test_search_drops_control_characters_and_long_queries_are_cut(app, make):
    ayala = make.branch(name="7-Eleven Ayala")
    assert _codes(_search(app, q="Aya\u200bla\x07")) == [ayala.code]
    assert _codes(_search(app, q="ayala " + "x" * 200)) == []  # searched for the first 100


def test_search_never_shows_the_dc_nor_inactive_stores(app, make):
    store = make.branch(name="7-Eleven Open One")
    make.branch(name="7-Eleven Closed One", active=False)
    make.branch(name="Distribution Center", kind=BranchKind.DC, code="DC-PASIG")
    assert _codes(_search(app)) == [store.code]
    assert _codes(_search(app, near=(14.55, 121.02))) == [store.code]
    assert _codes(_search(app, q="one")) == [store.code]


def test_search_limit_and_bad_arguments(app, make):
    for _ in range(5):
        make.branch()
    assert len(_search(app, limit=3)) == 3
    assert len(_search(app, near=MANILA, limit=3)) == 3
    with app.app_context():
        for kwargs in ({"packages": 0}, {"packages": 51}, {"limit": 0}, {"limit": 1000}):
            with pytest.raises(InvalidInput):
                service.search(**kwargs)


# --- nearest first ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "point",
    [
        MANILA,
        (14.5547, 121.0244),
        (14.35, 120.9),
        (14.9, 121.3),
        (10.3157, 123.8854),
        (7.19, 125.45),
    ],
)
def test_nearest_matches_brute_force_haversine(app, make, point):
    rows = _random_branches(seed=7, n=300)
    _many(app, rows)
    # Never offered, even when nearest: the DC and an inactive store right on the spot.
    make.branch(code="DC-X", kind=BranchKind.DC, lat=point[0], lng=point[1])
    make.branch(code="GONE", active=False, lat=point[0], lng=point[1])
    expected = sorted(rows, key=lambda r: (haversine_km(*point, r["lat"], r["lng"]), r["code"]))
    for limit in (1, 20, 100):
        choices = _search(app, near=point, limit=limit)
        assert _codes(choices) == [r["code"] for r in expected[:limit]]
        for choice, row in zip(choices, expected, strict=False):
            assert choice.distance_km == pytest.approx(haversine_km(*point, row["lat"], row["lng"]))


def test_nearest_from_the_far_side_of_the_world_is_approximate_but_sane(app):
    # Equirectangular ordering in SQL is meant for distances within the Philippines; from
    # 13,000 km away the order is only about right, but still sorted and near the truth.
    rows = _random_branches(seed=7, n=300)
    _many(app, rows)
    point = (0.0, 0.0)
    best = min(haversine_km(*point, r["lat"], r["lng"]) for r in rows)
    choices = _search(app, near=point)
    distances = [c.distance_km for c in choices]
    assert len(choices) == 20 and distances == sorted(distances)
    assert distances[0] == pytest.approx(best, rel=0.001)


def test_nearest_with_words_keeps_both_rules(app):
    rows = _random_branches(seed=11, n=300)
    _many(app, rows)
    wanted = [r for r in rows if r["city"] == "Pasig"]
    expected = sorted(wanted, key=lambda r: haversine_km(*MANILA, r["lat"], r["lng"]))[:20]
    assert _codes(_search(app, q="pasig", near=MANILA)) == [r["code"] for r in expected]


def test_nearest_finds_a_store_just_outside_a_box_full_of_farther_ones(app, make):
    # Two stores in the corners of the first search box, and a nearer one just outside it
    # along an edge: the nearest must still come first (the box is grown by √2).
    lat, lng = MANILA
    c = math.cos(math.radians(lat))
    corner_a = make.branch(lat=lat + 0.0195, lng=lng + 0.0195 / c)
    corner_b = make.branch(lat=lat - 0.0195, lng=lng - 0.0195 / c)
    edge = make.branch(lat=lat + 0.021, lng=lng)
    assert _codes(_search(app, near=MANILA, limit=1)) == [edge.code]
    assert _codes(_search(app, near=MANILA, limit=3))[0] == edge.code
    assert set(_codes(_search(app, near=MANILA, limit=3))) == {
        edge.code,
        corner_a.code,
        corner_b.code,
    }


def test_nearest_with_few_and_far_branches_returns_them_all(app, make):
    manila = make.branch(lat=14.5995, lng=120.9842)
    cebu = make.branch(lat=10.3157, lng=123.8854)
    davao = make.branch(lat=7.1907, lng=125.4553)
    choices = _search(app, near=(14.6, 121.0))
    assert _codes(choices) == [manila.code, cebu.code, davao.code]
    assert choices[0].distance_km < 3 and 500 < choices[1].distance_km < 700


# --- what can be chosen -------------------------------------------------------------------------


def test_frozen_orders_mark_branches_without_freezers_unselectable(app, make):
    cold = make.branch(frozen=True)
    warm = make.branch(frozen=False)
    choices = {c.code: c for c in _search(app, frozen_required=True)}
    assert choices[cold.code].selectable and choices[cold.code].reason is None
    assert not choices[warm.code].selectable
    assert choices[warm.code].reason == "Doesn't keep frozen items"
    assert all(c.selectable for c in _search(app))


def test_a_full_branch_is_shown_full_and_cannot_be_chosen(app, make):
    full = make.branch(shelf_capacity=5, reserved=5)
    nearly = make.branch(shelf_capacity=5, reserved=4)
    choices = {c.code: c for c in _search(app)}
    assert choices[full.code].free_capacity == 0 and not choices[full.code].selectable
    assert choices[full.code].reason == "Full right now"
    assert choices[nearly.code].selectable
    two = {c.code: c for c in _search(app, packages=2)}
    assert not two[nearly.code].selectable
    assert "Room for only 1" in two[nearly.code].reason


# --- get_branch, reserve, release ---------------------------------------------------------------


def test_get_branch(app, make):
    store = make.branch()
    make.branch(code="DC-PASIG", kind=BranchKind.DC)
    make.branch(code="OLD1", active=False)
    with app.app_context():
        assert service.get_branch(store.code).id == store.id
        for code in ("9999", "DC-PASIG", "OLD1", "", "x" * 500, "04%", "0412\x00", None):
            with pytest.raises(BranchNotFound):
                service.get_branch(code)


def _reserved(make, branch) -> int:
    return make.get(Branch, branch.id).reserved


def test_reserve_takes_slots_up_to_capacity_and_never_beyond(app, make):
    store = make.branch(shelf_capacity=5)
    with app.app_context():
        assert service.reserve(store.code, 2).reserved == 2
        assert service.reserve(store.code, 3).reserved == 5
        db.session.commit()
    for packages in (1, 3):
        with app.app_context(), pytest.raises(BranchUnavailable) as caught:
            service.reserve(store.code, packages)
        assert caught.value.code == "branch_unavailable" and status_of(caught.value) == 409
        assert "full right now" in caught.value.message
    assert _reserved(make, store) == 5


def test_reserve_says_how_much_room_is_left(app, make):
    store = make.branch(shelf_capacity=5, reserved=3)
    with app.app_context(), pytest.raises(BranchUnavailable, match="room for only 2"):
        service.reserve(store.code, 3)
    assert _reserved(make, store) == 3


def test_reserve_for_a_frozen_order_needs_a_frozen_ready_branch(app, make):
    warm = make.branch(frozen=False)
    cold = make.branch(frozen=True)
    with app.app_context():
        with pytest.raises(BranchUnavailable, match="doesn't keep frozen items"):
            service.reserve(warm.code, 1, frozen_required=True)
        assert service.reserve(cold.code, 1, frozen_required=True).reserved == 1
        assert service.reserve(warm.code, 1).reserved == 1
        db.session.commit()
    assert _reserved(make, warm) == 1 and _reserved(make, cold) == 1


def test_reserve_unknown_dc_inactive_and_bad_packages(app, make):
    make.branch(code="DC-PASIG", kind=BranchKind.DC)
    closed = make.branch(active=False)
    with app.app_context():
        for code in ("9999", "DC-PASIG", "", "not a code!"):
            with pytest.raises(BranchNotFound):
                service.reserve(code, 1)
        with pytest.raises(BranchUnavailable, match="isn't taking pickups"):
            service.reserve(closed.code, 1)
        for packages in (0, -1, 51, 1.5):
            with pytest.raises(InvalidInput):
                service.reserve(closed.code, packages)
    assert _reserved(make, closed) == 0


def test_reserve_and_release_never_commit(app, make):
    store = make.branch(shelf_capacity=5, reserved=2)
    with app.app_context():
        service.reserve(store.code, 2)
        service.release(store.id, 1)
        db.session.rollback()
    assert _reserved(make, store) == 2


def test_release_gives_slots_back_and_never_goes_below_zero(app, make):
    store = make.branch(shelf_capacity=5, reserved=3)
    with app.app_context():
        service.release(store.id, 2)
        db.session.commit()
    assert _reserved(make, store) == 1
    with app.app_context():
        service.release(store.id, 5)
        db.session.commit()
    assert _reserved(make, store) == 0
    with app.app_context():
        with pytest.raises(BranchNotFound):
            service.release(987654, 1)
        with pytest.raises(InvalidInput):
            service.release(store.id, 0)


def _race(app, branch_id: int, code: str, workers: int, naive: bool) -> list[str]:
    barrier = threading.Barrier(workers)
    results: list[str] = []

    def work():
        with app.app_context():
            try:
                if naive:  # the control: read, wait for everyone, then write
                    branch = db.session.get(Branch, branch_id)
                    barrier.wait(timeout=10)
                    if branch.reserved + 1 > branch.shelf_capacity:
                        raise BranchUnavailable()
                    branch.reserved += 1
                else:
                    barrier.wait(timeout=10)
                    service.reserve(code, 1)
                db.session.commit()
                results.append("ok")
            except BranchUnavailable:
                db.session.rollback()
                results.append("full")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.parametrize("naive", [False, True], ids=["reserve", "control-read-then-write"])
def test_concurrent_reservations_never_overfill_a_shelf(app, make, backend, naive):
    if backend != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the race needs PostgreSQL")
    store = make.branch(shelf_capacity=3)
    results = _race(app, store.id, store.code, workers=8, naive=naive)
    assert len(results) == 8
    if naive:
        # The control shows the race is real: everyone read 0 and "succeeded".
        assert results.count("ok") > 3
    else:
        assert results.count("ok") == 3 and results.count("full") == 5
        assert _reserved(make, store) == 3


# --- the pages ----------------------------------------------------------------------------------


def test_finder_page_works_without_javascript(client, make):
    ayala = make.branch(name="7-Eleven Ayala Triangle", city="Makati", frozen=True)
    make.branch(name="7-Eleven Kapitolyo", city="Pasig")
    response = client.get("/branches?q=makati")
    html = text(response)
    assert response.status_code == 200
    assert "<h1>Find a 7-Eleven branch</h1>" in html
    assert re.search(r'<form class="finder__form" action="/branches" method="get">', html)
    assert 'name="q" value="makati"' in html
    assert "7-Eleven Ayala Triangle" in html and "Kapitolyo" not in html
    assert "Frozen-ready" in html and f"Branch {ayala.code}" in html
    assert 'type="radio"' not in html  # the finder lists; only checkout chooses
    assert re.search(r'href="/static/css/shop\.css\?v=\w+"', html)
    assert re.search(r'<script src="/static/js/branches\.js\?v=\w+" defer>', html)
    assert "<script>" not in html and "style=" not in html  # the CSP allows neither
    assert "HX-Request" in response.headers["Vary"]


def test_search_answers_htmx_with_the_fragment_and_others_with_the_page(client, make):
    make.branch(name="7-Eleven Ayala")
    fragment = client.get("/branches/search?q=ayala", headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in text(fragment) and "7-Eleven Ayala" in text(fragment)
    assert 'type="radio" id="branch-' in text(fragment)
    page = client.get("/branches/search?q=ayala")
    assert page.status_code == 200
    assert "<html" in text(page) and "7-Eleven Ayala" in text(page)
    restore = client.get(
        "/branches/search?q=ayala", headers=HTMX | {"HX-History-Restore-Request": "true"}
    )
    assert "<html" in text(restore)


def test_search_fragment_renders_the_choices_for_checkout(client, make):
    cold = make.branch(name="Cold Store", frozen=True, lat=14.56, lng=121.02, city="Makati")
    warm = make.branch(name="Warm Store", frozen=False, lat=14.55, lng=121.02)
    full = make.branch(name="Full Store", frozen=True, shelf_capacity=2, reserved=1)
    html = text(
        client.get(
            f"/branches/search?branch_q=store&branch_near=14.55,121.02&branch_frozen=1"
            f"&branch_packages=2&branch_code={cold.code}",
            headers=HTMX,
        )
    )
    assert re.search(
        rf'<input class="branch__radio" type="radio" id="branch-{cold.code}" '
        rf'name="branch_code" value="{cold.code}" required checked '
        rf'data-branch-name="Cold Store" data-branch-city="Makati">',
        html,
    )
    assert f'<label class="branch__body" for="branch-{cold.code}">' in html
    for store, reason in ((warm, "Doesn't keep frozen items"), (full, "Room for only 1")):
        assert re.search(
            rf'id="branch-{store.code}" name="branch_code" value="{store.code}" required '
            rf'disabled aria-describedby="branch-{store.code}-reason"',
            html,
        )
        assert re.search(rf'id="branch-{store.code}-reason">{reason}', html)
    assert "0 m away" in html or "10 m away" in html  # the warm store is right there
    assert "1.1 km away" in html
    assert "3 branches matching “store”, nearest first" in html
    # The choice first, though farther; then nothing else can take this order: said plainly,
    # and the two that can't are shown (an open <details>), nearest first.
    assert html.index("Cold Store") < html.index("Warm Store") < html.index("Full Store")
    assert "None of these branches can take this order right now" in html
    assert re.search(r'<details class="picker__more" open>', html)
    assert "2 unavailable branches" in html


def test_search_plain_names_field_and_selected(client, make):
    store = make.branch()
    html = text(client.get(f"/branches/search?field=pickup&selected={store.code}", headers=HTMX))
    assert f'name="pickup" value="{store.code}" required checked' in html
    junk = text(client.get("/branches/search?selected=%3Cscript%3E", headers=HTMX))
    assert "checked" not in junk and "<script>" not in junk


def test_search_empty_state(client, make):
    make.branch(name="7-Eleven Ayala")
    html = text(client.get("/branches/search?q=zzzz", headers=HTMX))
    assert "No branches match “zzzz”" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("near=abc", "latitude,longitude"),
        ("near=nan,nan", "latitude,longitude"),
        ("near=91,0", "latitude,longitude"),
        ("near=14.5,121e1", "latitude,longitude"),
        ("near=" + "1" * 500, "latitude,longitude"),
        ("packages=0", "from 1 to 50"),
        ("packages=51", "from 1 to 50"),
        ("packages=two", "from 1 to 50"),
        ("packages=%EF%BC%93", "from 1 to 50"),  # a full-width digit three
        ("frozen=maybe", "must be 1 or 0"),
        ("field=bad%20name", "field name"),
        ("view=grid", "view=pick"),
    ],
)
def test_bad_parameters_are_a_clear_422(client, query, message):
    for headers in ({}, HTMX):
        response = client.get(f"/branches/search?{query}", headers=headers)
        assert response.status_code == 422, query
        assert message in text(response)
        assert ("<html" in text(response)) is not bool(headers)
    assert client.get(f"/branches?{query}").status_code == 422


def test_junk_parameters_are_never_a_500(client, make):
    make.branch(name="7-Eleven Garlic")
    long = client.get("/branches/search?q=" + "garlic " * 714, headers=HTMX)
    assert long.status_code == 200
    assert "limited to 100 characters" in text(long)
    assert client.get("/branches?q=%25%5F%5C").status_code == 200
    assert client.get("/branches?q=%FF%FE").status_code == 200
    for path in ("/branches?q=a%00b", "/branches/search?near=1%00,2"):
        response = client.get(path)
        assert response.status_code == 400 and "can't read" in text(response)


@pytest.mark.parametrize("how_many", [5, 400])
def test_a_search_costs_at_most_two_queries(app, client, make, count_queries, how_many):
    _many(app, _random_branches(seed=3, n=how_many))
    for query in ("", "?q=makati", "?near=14.55,121.02", "?q=pasig&near=14.55,121.02&frozen=1"):
        for path, headers in (("/branches/search", HTMX), ("/branches", {})):
            with count_queries() as queries:
                response = client.get(path + query, headers=headers)
            assert response.status_code == 200
            assert len(queries) <= 2, (path + query, queries)


def test_the_picker_renders_inside_a_form_from_what_checkout_passes(app, make):
    store = make.branch(name="7-Eleven Ayala", city="Makati")
    with app.test_request_context("/checkout"):
        html = render_template(
            "branches/_picker.html",
            picker=picker_context(
                frozen_required=True,
                packages=2,
                selected=store.code,
                error="Choose a pickup branch.",
                limit=8,
            ),
        )
        built = render_template(
            "branches/_picker.html", picker=picker_context(q="ayala", selected=store.code)
        )
    assert '<legend class="picker__legend">Pickup branch</legend>' in html
    assert '<label class="picker__label" for="branch-q">' in html
    assert 'id="branch-q"' in html and 'name="branch_q"' in html
    assert 'hx-get="/branches/search"' in html and 'hx-target="#branch-results"' in html
    assert 'hx-trigger="input changed delay:250ms, search"' in html
    assert 'name="branch_near" value=""' in html
    assert 'name="branch_frozen" value="1"' in html
    assert 'name="branch_packages" value="2"' in html
    assert "data-branch-nearest hidden" in html and 'type="button"' in html
    assert 'role="status" aria-live="polite"' in html
    assert re.search(
        r'class="button picker__go only-nojs" name="action" value="search-branches" '
        r"data-branch-nojs>Search branches<",
        html,
    )
    assert 'role="alert">Choose a pickup branch.<' in html
    assert 'aria-describedby="branch-error"' in html
    assert "<form" not in html  # it goes inside checkout's form
    # Not frozen-ready: pinned with its reason, not checked, and not "picking up" there.
    assert f'value="{store.code}" required disabled' in html and "t keep frozen items<" in html
    assert re.search(
        r'<p class="picker__chosen" id="branch-chosen" aria-live="polite" '
        r"data-branch-chosen></p>",
        html,
    )
    assert f'value="{store.code}" required checked' in built and 'value="ayala"' in built
    assert "Picking up at <strong>7-Eleven Ayala</strong>, Makati</p>" in built
