import re

import pytest

from tests.conftest import csrf_token, text


def _html(response) -> str:
    return text(response)


def test_home_lists_items_with_links_and_prices(client, make):
    item = make.item(name="Ube Pandesal", price=123450)
    html = _html(client.get("/"))
    assert f'href="/items/{item.slug}"' in html
    assert "Ube Pandesal" in html
    assert "₱1,234.50" in html


def test_inactive_items_are_not_listed_nor_shown(client, make):
    item = make.item(name="Retired Thing", active=False)
    assert "Retired Thing" not in _html(client.get("/"))
    assert client.get(f"/items/{item.slug}").status_code == 404


def test_search_matches_every_word_in_name_or_description(client, make):
    make.item(name="Frozen Siomai", description="Pork dumplings, 20 pieces")
    make.item(name="Siomai Sauce", description="Chili garlic")
    make.item(name="Rice Cooker", description="Cooks rice")
    html = _html(client.get("/?q=siomai+pork"))
    assert "Frozen Siomai" in html
    assert "Siomai Sauce" not in html
    assert "Rice Cooker" not in html
    html = _html(client.get("/?q=SIOMAI"))
    assert "Frozen Siomai" in html and "Siomai Sauce" in html


def test_search_treats_like_wildcards_as_text(client, make):
    make.item(name="Plain Water")
    html = _html(client.get("/?q=%25"))
    assert "Plain Water" not in html
    assert "No items found" in html


def test_category_filter(client, make):
    snacks = make.category(name="Snacks", slug="snacks")
    gadgets = make.category(name="Gadgets", slug="gadgets")
    make.item(name="Banana Chips", category_id=snacks.id)
    make.item(name="Power Bank", category_id=gadgets.id)
    html = _html(client.get("/?category=snacks"))
    assert "Banana Chips" in html and "Power Bank" not in html
    assert 'aria-current="page">Snacks' in html


def test_unknown_category_is_a_clear_400(client):
    response = client.get("/?category=nope")
    assert response.status_code == 400
    assert "no such category" in _html(response)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price-low", ["Cheap", "Middle", "Dear"]),
        ("price-high", ["Dear", "Middle", "Cheap"]),
        ("name", ["Cheap", "Dear", "Middle"]),
    ],
)
def test_sort(client, make, sort, expected):
    category = make.category()
    for name, price in [("Middle", 5000), ("Dear", 9000), ("Cheap", 1000)]:
        make.item(name=name, price=price, category_id=category.id)
    html = _html(client.get(f"/?sort={sort}"))
    positions = [html.index(f'<span class="card__name">{name}</span>') for name in expected]
    assert positions == sorted(positions)


def test_pagination(client, make):
    category = make.category()
    for n in range(5):
        make.item(name=f"Thing {n}", category_id=category.id)
    first = _html(client.get("/?per_page=2&sort=name"))
    assert "Thing 0" in first and "Thing 2" not in first
    assert "Page 1 of 3" in first
    assert 'rel="next" href="/?page=2' in first
    third = _html(client.get("/?per_page=2&sort=name&page=3"))
    assert "Thing 4" in third and "Thing 0" not in third
    assert client.get("/?per_page=2&page=4").status_code == 404


def test_htmx_listing_returns_the_results_fragment(client, make):
    make.item(name="Kape Barako")
    response = client.get("/?sort=name", headers={"HX-Request": "true"})
    html = _html(response)
    assert '<section id="results"' in html
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_item_page_shows_availability(client, make):
    plenty = make.item(stock=50)
    few = make.item(stock=3)
    none = make.item(stock=0)
    huge = make.item(length_mm=450, width_mm=400, height_mm=1000, weight_g=6000)
    heavy = make.item(weight_g=25000)
    frozen = make.item(frozen=True)
    digital = make.item(virtual=True, length_mm=0, width_mm=0, height_mm=0, weight_g=0)
    assert "In stock" in _html(client.get(f"/items/{plenty.slug}"))
    assert "Only 3 left" in _html(client.get(f"/items/{few.slug}"))
    out = _html(client.get(f"/items/{none.slug}"))
    assert "Out of stock" in out and "Add to cart" not in out
    assert "Too large for store pickup" in _html(client.get(f"/items/{huge.slug}"))
    assert "Too large for store pickup" in _html(client.get(f"/items/{heavy.slug}"))
    assert "Frozen: pickup at frozen-ready branches" in _html(client.get(f"/items/{frozen.slug}"))
    assert "no package" in _html(client.get(f"/items/{digital.slug}"))


def test_home_query_count_does_not_grow_with_page_size(client, make, count_queries):
    category = make.category()
    for n in range(30):
        make.item(name=f"Thing {n}", category_id=category.id)
    counts = []
    for per_page in (1, 10, 30):
        with count_queries() as queries:
            assert client.get(f"/?per_page={per_page}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]
    assert counts[0] <= 4


def test_home_query_count_for_a_logged_in_shopper(client, make, count_queries):
    from tests.conftest import log_in

    user = make.user()
    make.item()
    log_in(client, user.email)
    client.get("/?category=" + make.category(slug="snacks").slug)
    with count_queries() as queries:
        assert client.get("/?category=snacks&q=x&sort=name").status_code == 200
    assert len(queries) <= 4


def test_anonymous_home_page_sets_no_cookie(client, make):
    """No session is started just to look: the page stays cacheable and cheap."""
    make.item()
    response = client.get("/")
    assert "Set-Cookie" not in response.headers


def test_every_form_that_posts_carries_a_csrf_token(client, make):
    item = make.item()
    html = text(client.get(f"/items/{item.slug}"))
    assert html.count('method="post"') == html.count('name="csrf_token"') >= 1
    assert csrf_token(client, f"/items/{item.slug}")


def test_static_files_are_versioned_and_cached(client):
    html = text(client.get("/"))
    css = re.search(r'href="(/static/css/shop\.css\?v=[0-9a-f]{10})"', html)
    assert css, "the stylesheet URL carries a content version"
    response = client.get(css.group(1))
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    response.close()
    plain = client.get("/static/css/shop.css")
    assert "max-age=31536000" not in plain.headers.get("Cache-Control", "")
    plain.close()


def test_category_list_is_cached_per_process_when_configured(app, client, make, count_queries):
    make.item()
    app.config["CATEGORY_CACHE_SECONDS"] = 60
    try:
        client.get("/")
        with count_queries() as queries:
            client.get("/")
        make.category(name="Brand New Aisle")
        stale = text(client.get("/"))
    finally:
        app.config["CATEGORY_CACHE_SECONDS"] = 0
    assert len(queries) == 1  # the page with its total: the categories came from the cache
    assert "Brand New Aisle" not in stale
    assert "Brand New Aisle" in text(client.get("/"))
