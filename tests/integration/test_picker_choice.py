"""Issue #9, point 3: the branch picker keeps what the shopper chose. The chosen branch is pinned
first while they search (and said in "Picking up at ..."), the picker opens near their last
pickup branch or with a prompt (never a list from all over Luzon), and branches this order
can't use go last, folded. Runs on SQLite and PostgreSQL (the `app` fixture)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from shop.branches import service
from shop.branches.models import Branch, BranchKind
from shop.extensions import db
from tests.conftest import log_in, text
from tests.integration.test_checkout import _add, _checkout

HTMX = {"HX-Request": "true"}
AYALA = (14.5547, 121.0244)
RADIO = re.compile(r'<input class="branch__radio"[^>]*value="([^"]+)"[^>]*>')
PROMPT = (
    "Search by name, city or branch code"
    "<span data-branch-geo-hint hidden>, or use Nearest to me</span>."
)


def _radios(html: str) -> list[str]:
    """The codes of the radios, in page order."""
    return RADIO.findall(html)


def _radio(html: str, code: str) -> str:
    match = re.search(rf'<input class="branch__radio"[^>]*value="{code}"[^>]*>', html)
    assert match, f"no radio for {code}"
    return match.group()


def _chosen(html: str) -> str:
    """The "Picking up at" line's text ('' when it says nothing)."""
    match = re.search(r'<p class="picker__chosen"[^>]*>(.*?)</p>', html, re.S)
    assert match, "no chosen line"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _picker(html: str) -> str:
    """The picker's fieldset of a checkout page (the payment radios are outside it)."""
    start = html.index('<fieldset class="picker"')
    return html[start : html.index("</fieldset>", start)]


def _branch_statements(statements: list[str]) -> list[str]:
    return [s for s in statements if re.search(r"\bbranches\b", s)]


@pytest.fixture
def makati(make):
    """Three stores around Ayala, one in Pasig (about 7 km off), one in Baguio (200 km)."""
    return {
        "ayala": make.branch(name="7-Eleven Ayala", city="Makati", lat=14.5547, lng=121.0244),
        "legaspi": make.branch(name="7-Eleven Legaspi", city="Makati", lat=14.5560, lng=121.0170),
        "salcedo": make.branch(name="7-Eleven Salcedo", city="Makati", lat=14.5600, lng=121.0220),
        "kapitolyo": make.branch(
            name="7-Eleven Kapitolyo", city="Pasig", lat=14.5710, lng=121.0610
        ),
        "baguio": make.branch(name="7-Eleven Session", city="Baguio", lat=16.4120, lng=120.5960),
    }


# --- the results fragment: the choice first --------------------------------------------------


def test_a_search_pins_the_chosen_branch_first_and_lists_it_once(client, makati):
    kapitolyo = makati["kapitolyo"]
    html = text(
        client.get(f"/branches/search?branch_q=makati&branch_code={kapitolyo.code}", headers=HTMX)
    )
    codes = _radios(html)
    assert codes[0] == kapitolyo.code and codes.count(kapitolyo.code) == 1
    assert set(codes[1:]) == {makati[k].code for k in ("ayala", "legaspi", "salcedo")}
    assert "checked" in _radio(html, kapitolyo.code)
    assert all("checked" not in _radio(html, code) for code in codes[1:])
    assert html.index("Your choice") < html.index("7-Eleven Kapitolyo")
    assert "3 branches matching “makati”" in html


def test_a_chosen_branch_the_search_found_is_still_first_and_counted(client, makati):
    salcedo = makati["salcedo"]
    html = text(client.get(f"/branches/search?q=makati&selected={salcedo.code}", headers=HTMX))
    codes = _radios(html)
    assert codes[0] == salcedo.code and codes.count(salcedo.code) == 1 and len(codes) == 3
    assert "3 branches matching “makati”" in html


def test_nearest_to_me_keeps_the_choice_with_its_distance(client, makati):
    baguio = makati["baguio"]
    html = text(
        client.get(f"/branches/search?near=14.5547,121.0244&selected={baguio.code}", headers=HTMX)
    )
    codes = _radios(html)
    assert codes[0] == baguio.code
    assert codes[1] == makati["ayala"].code  # then the nearest
    assert re.search(
        r"7-Eleven Session</span>\s*<span class=\"branch__distance\">2\d\d km away", html
    )


def test_a_search_that_finds_nothing_keeps_the_choice_and_says_so(client, makati):
    ayala = makati["ayala"]
    html = text(client.get(f"/branches/search?q=zzzz&selected={ayala.code}", headers=HTMX))
    assert _radios(html) == [ayala.code] and "checked" in _radio(html, ayala.code)
    assert "No branches match “zzzz”." in html
    assert "Check the spelling" in html


def test_unavailable_branches_go_last_folded(client, make):
    near = make.branch(
        name="Near Full", lat=14.5550, lng=121.0245, frozen=True, shelf_capacity=3, reserved=3
    )
    mid = make.branch(name="Mid Warm", lat=14.5560, lng=121.0250, frozen=False)
    far = make.branch(name="Far Cold", lat=14.5700, lng=121.0300, frozen=True)
    html = text(client.get("/branches/search?near=14.5547,121.0244&frozen=1", headers=HTMX))
    assert _radios(html) == [far.code, near.code, mid.code]  # available, then nearest first
    details = html[html.index('<details class="picker__more">') :]
    assert html.index("Far Cold") < html.index('<details class="picker__more">')
    assert "Near Full" in details and "Mid Warm" in details
    assert re.search(r"<span class=\"picker__more-show\">Show</span>.*2 unavailable branches", html)
    assert "None of these" not in html  # one is available: nothing to say plainly
    assert "Full right now" in details and "t keep frozen items" in details


def test_one_unavailable_branch_is_said_in_the_singular(client, make):
    make.branch(name="Only Full", shelf_capacity=1, reserved=1)
    make.branch(name="Only Free")
    html = text(client.get("/branches/search?q=only", headers=HTMX))
    assert "1 unavailable branch<" in html and '<details class="picker__more">' in html


def test_a_chosen_branch_that_filled_up_is_shown_with_its_reason_and_not_checked(client, make):
    full = make.branch(name="7-Eleven Full Now", shelf_capacity=2, reserved=2)
    make.branch(name="7-Eleven Roomy")
    html = text(client.get(f"/branches/search?q=7-eleven&selected={full.code}", headers=HTMX))
    assert _radios(html)[0] == full.code
    assert "checked" not in html and "disabled" in _radio(html, full.code)
    assert re.search(rf'id="branch-{full.code}-reason">Full right now<', html)
    # Shown once, pinned: not again among the unavailable ones.
    assert html.count(f'value="{full.code}"') == 1 and "picker__more" not in html


def test_the_choice_is_never_pinned_on_the_finder_page(client, makati):
    ayala = makati["ayala"]
    html = text(client.get(f"/branches?q=pasig&selected={ayala.code}"))
    assert "7-Eleven Ayala" not in html and "7-Eleven Kapitolyo" in html
    assert "Picking up at" not in html and "Your choice" not in html


@pytest.mark.parametrize(
    "selected",
    [
        "%3Cscript%3E",
        "x" * 300,
        "DC-PASIG",  # the distribution center is never a pickup branch
        "9999",
        "%00",
        "0412%0A",
        "%EF%BC%90%EF%BC%94",  # full-width digits
    ],
)
def test_bad_selected_values_are_ignored_or_refused_never_a_500(client, make, selected):
    make.branch(name="7-Eleven Ayala", city="Makati")
    make.branch(code="DC-PASIG", name="Distribution Center", kind=BranchKind.DC)
    for path in ("/branches/search?q=makati&selected=", "/branches/search?selected="):
        for headers in (HTMX, {}):
            response = client.get(path + selected, headers=headers)
            assert response.status_code in (200, 400), (path, selected, response.status_code)
            html = text(response)
            if response.status_code == 200:
                assert "Your choice" not in html and "checked" not in html
                assert "Distribution Center" not in html and "<script>" not in html


def test_repeated_and_field_named_selections(client, makati):
    ayala, salcedo = makati["ayala"], makati["salcedo"]
    html = text(
        client.get(
            f"/branches/search?q=pasig&selected={ayala.code}&selected={salcedo.code}", headers=HTMX
        )
    )
    assert _radios(html)[0] == ayala.code  # the first of a repeated parameter
    html = text(
        client.get(f"/branches/search?q=pasig&field=pickup&pickup={salcedo.code}", headers=HTMX)
    )
    assert f'name="pickup" value="{salcedo.code}" required checked' in html


# --- before any search --------------------------------------------------------------------------


def test_the_finder_page_opens_with_a_prompt_and_reads_no_branch(client, makati, count_queries):
    with count_queries() as statements:
        html = text(client.get("/branches"))
    assert PROMPT in html and not _branch_statements(statements)
    assert "7-Eleven Ayala" not in html and 'class="branch ' not in html
    with count_queries() as statements:
        fragment = text(client.get("/branches/search?q=", headers=HTMX))
    assert PROMPT in fragment and not statements


def test_clearing_the_search_after_choosing_lists_the_branches_near_the_choice(client, makati):
    ayala = makati["ayala"]
    html = text(client.get(f"/branches/search?q=&branch_code={ayala.code}", headers=HTMX))
    codes = _radios(html)
    assert codes[0] == ayala.code and "checked" in _radio(html, ayala.code)
    assert codes[1:] == [makati[k].code for k in ("salcedo", "legaspi", "kapitolyo")]
    assert "Branches near 7-Eleven Ayala, nearest first." in html
    assert "km away" not in html and " m away" not in html  # from Ayala, not from the shopper


def test_a_guest_checkout_without_a_last_choice_opens_with_a_prompt_and_reads_no_branch(
    client, make, makati, count_queries
):
    _add(client, make.item())
    with count_queries() as statements:
        html = text(client.get("/checkout"))
    assert "Pickup branch" in html and PROMPT in html
    assert _radios(html) == [] and _chosen(html) == ""
    assert _branch_statements(statements) == []


def test_a_guest_checkout_opens_near_the_branch_of_their_last_order(
    app, client, make, makati, count_queries
):
    legaspi = makati["legaspi"]
    _add(client, make.item())
    assert _checkout(client, legaspi).status_code == 303
    _add(client, make.item())
    with count_queries() as statements:
        html = text(client.get("/checkout"))
    codes = _radios(html)
    assert codes[0] == legaspi.code and "checked" in _radio(html, legaspi.code)
    assert makati["baguio"].code not in codes  # nothing from all over Luzon
    assert set(codes[1:]) == {makati[k].code for k in ("ayala", "salcedo", "kapitolyo")}
    assert "Your last pickup branch" in html and "Branches near 7-Eleven Legaspi" in html
    assert _chosen(html) == "Picking up at 7-Eleven Legaspi, Makati"
    assert len(_branch_statements(statements)) == 2, _branch_statements(statements)


def test_a_last_branch_that_cannot_take_this_order_is_shown_but_not_chosen(
    app, client, make, makati
):
    ayala = makati["ayala"]
    _add(client, make.item())
    assert _checkout(client, ayala).status_code == 303
    with app.app_context():
        branch = db.session.get(Branch, ayala.id)
        branch.reserved = branch.shelf_capacity
        db.session.commit()
    _add(client, make.item())
    html = text(client.get("/checkout"))
    assert _radios(html)[0] == ayala.code and "disabled" in _radio(html, ayala.code)
    assert "Full right now" in html and "checked" not in _picker(html) and _chosen(html) == ""
    assert "Branches near 7-Eleven Ayala" in html  # still where to look for another


def test_a_frozen_order_does_not_preselect_a_last_branch_without_a_freezer(client, make, makati):
    ayala = makati["ayala"]
    _add(client, make.item())
    assert _checkout(client, ayala).status_code == 303
    _add(client, make.item(frozen=True))
    html = text(client.get("/checkout"))
    assert "disabled" in _radio(html, ayala.code) and "checked" not in _picker(html)
    assert "t keep frozen items" in html
    assert "None of these branches can take this order right now" in html  # none near is cold


def test_a_signed_in_checkout_opens_near_the_branch_of_their_latest_order_with_one(
    app, client, make, makati, clock, count_queries
):
    user = make.user()
    log_in(client, user.email)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for minutes, branch in ((0, makati["baguio"]), (5, makati["kapitolyo"])):
        clock.set(start + timedelta(minutes=minutes))
        _add(client, make.item())
        assert _checkout(client, branch).status_code == 303
    clock.set(start + timedelta(minutes=10))
    with client.session_transaction() as session:
        assert "last_branch" not in session  # a signed-in shopper's comes from their orders
    _add(client, make.item())
    with count_queries() as statements:
        html = text(client.get("/checkout"))
    codes = _radios(html)
    assert codes[0] == makati["kapitolyo"].code and "checked" in _radio(html, codes[0])
    assert makati["baguio"].code not in codes
    assert _chosen(html) == "Picking up at 7-Eleven Kapitolyo, Pasig"
    # Which branch was last is read in the same query as the branch itself.
    assert len(_branch_statements(statements)) == 2, _branch_statements(statements)


def test_a_signed_in_shopper_without_orders_gets_the_prompt(client, make, makati, count_queries):
    log_in(client, make.user().email)
    _add(client, make.item())
    with count_queries() as statements:
        html = text(client.get("/checkout"))
    assert PROMPT in html and _radios(html) == []
    # One query asks whether they have a last pickup branch (they don't): never a list.
    assert len(_branch_statements(statements)) == 1


def test_the_checkout_page_costs_what_it_did_plus_the_pinned_branch(
    client, make, makati, count_queries
):
    """The first list of 8 was one query: without a last choice the page now sends one fewer,
    with one at most one more."""
    _add(client, make.item())
    with count_queries() as none:
        client.get("/checkout")
    with client.session_transaction() as session:
        session["last_branch"] = makati["ayala"].code
    with count_queries() as last:
        client.get("/checkout")
    assert len(last) - len(none) == 2, (none, last)


@pytest.mark.parametrize("junk", [12345, ["0001"], {"code": "0001"}, "<script>", "", None, True])
def test_junk_in_the_session_is_ignored(client, make, makati, junk):
    _add(client, make.item())
    with client.session_transaction() as session:
        session["last_branch"] = junk
    response = client.get("/checkout")
    assert response.status_code == 200 and PROMPT in text(response)


# --- without JavaScript, and after a refusal ---------------------------------------------------


def test_the_no_javascript_search_keeps_the_choice(client, make, makati):
    ayala = makati["ayala"]
    _add(client, make.item())
    html = text(_checkout(client, ayala, action="search-branches", branch_q="pasig"))
    codes = _radios(html)
    assert codes == [ayala.code, makati["kapitolyo"].code]
    assert "checked" in _radio(html, ayala.code)
    assert _chosen(html) == "Picking up at 7-Eleven Ayala, Makati"
    assert 'name="branch_q" value="pasig"' in html
    # Choosing another and searching again: the new one is pinned.
    kapitolyo = makati["kapitolyo"]
    html = text(_checkout(client, kapitolyo, action="search-branches", branch_q="salcedo"))
    assert _radios(html) == [kapitolyo.code, makati["salcedo"].code]
    assert _chosen(html) == "Picking up at 7-Eleven Kapitolyo, Pasig"


def test_a_branch_full_at_placement_shows_why_by_the_picker_and_is_not_said_chosen(
    app, client, make, makati
):
    ayala = makati["ayala"]
    _add(client, make.item())
    with app.app_context():  # someone took the last slot while the shopper filled the form
        branch = db.session.get(Branch, ayala.id)
        branch.reserved = branch.shelf_capacity
        db.session.commit()
    response = _checkout(client, ayala)
    html = text(response)
    assert response.status_code == 409
    assert re.search(r'id="checkout-error">[^<]*full right now', html)
    picker = _picker(html)
    assert _radios(picker)[0] == ayala.code and "disabled" in _radio(picker, ayala.code)
    assert re.search(rf'id="branch-{ayala.code}-reason">Full right now<', picker)
    assert _chosen(html) == "" and "Picking up at" not in html and "checked" not in picker
    assert "Branches near 7-Eleven Ayala" in picker
    with client.session_transaction() as session:
        assert "last_branch" not in session  # only an order placed there is remembered


def test_the_last_branch_of_a_guest_is_remembered_only_when_an_order_is_placed(
    client, make, makati
):
    _add(client, make.item(stock=5))
    assert _checkout(client, makati["salcedo"], phone="123").status_code == 422
    with client.session_transaction() as session:
        assert "last_branch" not in session
    assert _checkout(client, makati["salcedo"]).status_code == 303
    with client.session_transaction() as session:
        assert session["last_branch"] == makati["salcedo"].code


# --- the nearby list ---------------------------------------------------------------------------


def test_nearby_only_lists_the_stores_within_the_box_nearest_first_in_one_query(
    app, make, count_queries
):
    here = make.branch(lat=14.55, lng=121.02)
    close = make.branch(lat=14.56, lng=121.02)  # 1.1 km
    edge = make.branch(lat=14.64, lng=121.02)  # 10 km
    make.branch(lat=14.70, lng=121.02)  # 16.7 km: outside the box
    make.branch(lat=14.63, lng=121.10)  # 12 km: inside the box, beyond its inner circle
    with app.app_context(), count_queries() as statements:
        found = service.search(near=(14.55, 121.02), nearby_only=True)
    assert [c.code for c in found] == [here.code, close.code, edge.code]
    assert len(statements) == 1


def test_a_pinned_choice_costs_one_query_more_than_the_search_none_when_it_matched(
    client, makati, count_queries
):
    ayala, kapitolyo = makati["ayala"], makati["kapitolyo"]
    counts = {}
    for name, query in (
        ("alone", "q=makati"),
        ("matched", f"q=makati&selected={ayala.code}"),
        ("elsewhere", f"q=makati&selected={kapitolyo.code}"),
        ("near", f"near=14.5547,121.0244&selected={kapitolyo.code}"),
    ):
        with count_queries() as statements:
            assert client.get(f"/branches/search?{query}", headers=HTMX).status_code == 200
        counts[name] = len(statements)
    assert counts["matched"] == counts["alone"] == 1
    assert counts["elsewhere"] == 2
    assert counts["near"] <= 3  # the nearest read may need its second query, plus the pinned


def test_the_nearby_list_honours_the_largest_limit(app, makati):
    with app.test_request_context("/checkout"):
        picker = service.picker_context(selected=makati["ayala"].code, limit=service.MAX_LIMIT)
    assert picker["state"] == "nearby" and picker["pinned"].code == makati["ayala"].code
    assert [c.code for c in picker["choices"]] == [
        makati[k].code for k in ("salcedo", "legaspi", "kapitolyo")
    ]
