"""Fragment or page: an htmx request gets the fragment it swaps in, a plain request and an htmx
history restore (htmx reloading a page it has no copy of) get the whole page. flask-htmx reads
the headers; shop.web.is_htmx() decides. Every answer says `Vary: HX-Request`, so that a cache
keeps the two apart."""

import pytest

from tests.conftest import text

HTMX = {"HX-Request": "true"}
RESTORE = HTMX | {"HX-History-Restore-Request": "true"}

# Real fragment routes: the path, what the answer lists, and what only the fragment holds.
ROUTES = [
    pytest.param("/?q=barako", "Kape Barako", '<section id="results"', id="catalog"),
    pytest.param(
        "/branches/search?q=ayala", "7-Eleven Ayala", 'type="radio" id="branch-', id="branch-search"
    ),
]


@pytest.fixture
def shop(make):
    make.item(name="Kape Barako")
    make.branch(name="7-Eleven Ayala")


@pytest.mark.parametrize(("path", "listed", "in_fragment"), ROUTES)
@pytest.mark.parametrize(
    ("headers", "full_page"),
    [
        pytest.param({}, True, id="plain"),
        pytest.param(HTMX, False, id="htmx"),
        pytest.param(RESTORE, True, id="htmx-history-restore"),
    ],
)
def test_fragment_or_page(client, shop, path, listed, in_fragment, headers, full_page):
    response = client.get(path, headers=headers)
    html = text(response)
    assert response.status_code == 200
    assert ("<html" in html) is full_page
    assert listed in html
    if not full_page:
        assert in_fragment in html
    assert "HX-Request" in response.headers["Vary"]


def test_an_error_is_a_fragment_for_htmx_and_a_page_otherwise(client):
    for headers, full_page in ((HTMX, False), ({}, True), (RESTORE, True)):
        response = client.get("/?page=99", headers=headers)
        assert response.status_code == 404
        assert ("<html" in text(response)) is full_page
        assert "HX-Request" in response.headers["Vary"]
