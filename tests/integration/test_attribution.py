"""Attribution on both databases (issue #11, point 3), with the app's clock set (never a sleep):
clicks recorded for approved apps only, as keyed hashes, once per visitor and app per
CLICK_DEDUP_MINUTES; a flood from one address flagged; the last click inside 30 days wins; an
order placed inside an app's iframe is that app's; the publisher's own purchase and a flooded
click are flagged and earn nothing."""

from datetime import timedelta

import pytest

from shop.partners import service as partners
from shop.partners.attribution import Referral
from shop.partners.models import AppStatus, Attribution, Click, CommissionLine, LedgerEntry
from tests import partners as p
from tests.integration import test_ecms_lifecycle

world = test_ecms_lifecycle.world
MOMENT = p.MOMENT


@pytest.fixture
def publisher(make):
    return make.user(email="Pia.Publisher@example.com", name="Pia Publisher")


@pytest.fixture
def item(make):
    return make.item(price=10000, stock=50)


# --- clicks ----------------------------------------------------------------------------------


def test_a_click_is_kept_as_keyed_hashes_for_an_approved_app_only(app, publisher, clock):
    clock.set(MOMENT)
    live = p.make_app(app, publisher)
    waiting = p.make_app(app, publisher, status=AppStatus.PENDING)
    stopped = p.make_app(app, publisher, status=AppStatus.SUSPENDED)
    made = p.click(app, live.key, "visitor-1")
    assert made is not None and made.app_id == live.id and made.at == MOMENT
    assert len(made.visitor) == 32 and int(made.visitor, 16) >= 0
    assert made.visitor != "visitor-1" and p.CLIENT not in made.client_hash
    assert made.flag is None
    for key in (waiting.key, stopped.key, "no-such-key", "", None, "x" * 500, 42):
        assert p.click(app, key, "visitor-1") is None
    assert p.click(app, live.key, None) is None and p.click(app, live.key, "  ") is None
    assert p.count(app, Click) == 1


def test_a_click_keeps_its_item_only_when_the_catalog_has_it(app, publisher, item, clock):
    clock.set(MOMENT)
    live = p.make_app(app, publisher)
    with app.app_context():
        kept = partners.record_click(live.key, "link", "v1", p.CLIENT, item_id=item.id)
        unknown = partners.record_click(live.key, "link", "v2", p.CLIENT, item_id=10**9)
        odd = partners.record_click(live.key, "link", "v3", p.CLIENT, item_id="7")
        assert (kept.item_id, unknown.item_id, odd.item_id) == (item.id, None, None)
        assert kept.kind.value == "link"


def test_a_click_counts_once_per_visitor_and_app_per_dedup_period(app, publisher, clock):
    clock.set(MOMENT)
    one, two = p.make_app(app, publisher), p.make_app(app, publisher)
    first = p.click(app, one.key, "v")
    clock.set(MOMENT + timedelta(minutes=29, seconds=59))
    assert p.click(app, one.key, "v").id == first.id  # the same click
    other_app = p.click(app, two.key, "v")
    other_visitor = p.click(app, one.key, "w")
    assert len({first.id, other_app.id, other_visitor.id}) == 3
    clock.set(MOMENT + timedelta(minutes=30))
    again = p.click(app, one.key, "v")
    assert again.id not in (first.id, other_app.id, other_visitor.id)
    assert p.count(app, Click) == 4


def test_a_flood_from_one_address_is_flagged(app, publisher, clock, monkeypatch):
    monkeypatch.setitem(app.config, "CLICK_FLOOD_PER_HOUR", 3)
    clock.set(MOMENT)
    one, two = p.make_app(app, publisher), p.make_app(app, publisher)
    made = [p.click(app, (one, two)[n % 2].key, f"v{n}") for n in range(5)]
    assert [c.flag for c in made] == [None, None, None, "flood", "flood"]
    elsewhere = p.click(app, one.key, "v-other", client="198.51.100.1")
    assert elsewhere.flag is None
    clock.set(MOMENT + timedelta(hours=1, seconds=1))
    assert p.click(app, one.key, "v-later").flag is None  # the hour has passed


# --- which app an order is credited to -------------------------------------------------------


def test_the_last_click_wins_across_two_apps(app, world, publisher, item, clock):
    clock.set(MOMENT)
    one, two = p.make_app(app, publisher), p.make_app(app, publisher)
    p.click(app, one.key, "v")
    clock.set(MOMENT + timedelta(days=2))
    second = p.click(app, two.key, "v")
    clock.set(MOMENT + timedelta(days=3))
    order = p.place(app, {item: 1}, referral=Referral(visitor="v"), branch=world.a)
    credited = p.attribution(app, order.id)
    assert (credited.app_id, credited.via, credited.click_id) == (two.id, "click", second.id)
    assert credited.flag is None and credited.sales == 10000


@pytest.mark.parametrize(
    ("age", "credited"),
    [
        (timedelta(days=29, hours=23), True),
        (timedelta(days=30), True),
        (timedelta(days=30, seconds=1), False),
    ],
)
def test_a_click_wins_an_order_for_thirty_days(app, world, publisher, item, clock, age, credited):
    clock.set(MOMENT)
    one = p.make_app(app, publisher)
    p.click(app, one.key, "v")
    clock.set(MOMENT + age)
    order = p.place(app, {item: 1}, referral=Referral(visitor="v"), branch=world.a)
    assert (p.attribution(app, order.id) is not None) is credited


def test_no_click_and_no_frame_credits_nobody(app, world, publisher, item, clock):
    clock.set(MOMENT)
    one = p.make_app(app, publisher)
    p.click(app, one.key, "someone-else")
    for referral in (None, Referral(), Referral(visitor="v"), Referral(frame_app_key="nope")):
        order = p.place(app, {item: 1}, referral=referral, branch=world.a)
        assert p.attribution(app, order.id) is None
    assert p.count(app, CommissionLine) == 0


def test_an_order_in_an_apps_iframe_is_that_apps(app, world, publisher, item, clock):
    clock.set(MOMENT)
    framing, clicked = p.make_app(app, publisher), p.make_app(app, publisher)
    p.click(app, clicked.key, "v")  # a later click of another app doesn't take it
    clock.set(MOMENT + timedelta(hours=1))
    referral = Referral(frame_app_key=framing.key, visitor="v", client=p.CLIENT)
    order = p.place(app, {item: 1}, referral=referral, branch=world.a)
    credited = p.attribution(app, order.id)
    assert (credited.app_id, credited.via, credited.click_id) == (framing.id, "iframe", None)
    # With the visitor's click of the framing app, the attribution names it.
    own = p.click(app, framing.key, "v")
    order = p.place(app, {item: 1}, referral=referral, branch=world.a)
    assert p.attribution(app, order.id).click_id == own.id


def test_a_suspended_apps_frame_falls_back_to_the_last_click(app, world, publisher, item, clock):
    clock.set(MOMENT)
    stopped = p.make_app(app, publisher, status=AppStatus.SUSPENDED)
    clicked = p.make_app(app, publisher)
    p.click(app, clicked.key, "v")
    referral = Referral(frame_app_key=stopped.key, visitor="v")
    order = p.place(app, {item: 1}, referral=referral, branch=world.a)
    assert (p.attribution(app, order.id).app_id, p.attribution(app, order.id).via) == (
        clicked.id,
        "click",
    )


@pytest.mark.parametrize("how", ["account", "email"])
def test_the_publishers_own_purchase_is_flagged_and_earns_nothing(
    app, world, publisher, item, clock, how
):
    clock.set(MOMENT)
    own = p.make_app(app, publisher)
    referral = Referral(frame_app_key=own.key, visitor="v")
    if how == "account":
        order = p.place(app, {item: 2}, referral=referral, branch=world.a, user_id=publisher.id)
    else:
        email = "pia.publisher@EXAMPLE.com"
        order = p.place(app, {item: 2}, referral=referral, branch=world.a, email=email)
    credited = p.attribution(app, order.id)
    assert (credited.app_id, credited.flag, credited.sales) == (own.id, "self_purchase", 20000)
    assert credited.settle_at is None
    assert p.count(app, CommissionLine) == 0 and p.count(app, LedgerEntry) == 0
    # A shopper's order through the same app earns.
    order = p.place(app, {item: 2}, referral=referral, branch=world.a)
    assert p.attribution(app, order.id).flag is None
    assert p.balances(app, [own.id])["pending"] == 2 * 500


def test_an_order_from_a_flooded_click_is_flagged_and_earns_nothing(
    app, world, publisher, item, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "CLICK_FLOOD_PER_HOUR", 1)
    clock.set(MOMENT)
    one = p.make_app(app, publisher)
    p.click(app, one.key, "bot-1")
    flooded = p.click(app, one.key, "bot-2")
    assert flooded.flag == "flood"
    order = p.place(app, {item: 1}, referral=Referral(visitor="bot-2"), branch=world.a)
    credited = p.attribution(app, order.id)
    assert (credited.flag, credited.click_id) == ("flood", flooded.id)
    assert p.count(app, LedgerEntry) == 0
    assert p.count(app, Attribution) == 1
