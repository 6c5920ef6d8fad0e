"""Invariants of the demo catalog, branches and item images (plain data, no database)."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from shop.catalog.models import AsksFor
from shop.demo.branches_data import BRANCHES, DISTRIBUTION_CENTER
from shop.demo.catalog_data import CATEGORIES, ITEMS

STATIC = Path(__file__).parents[2] / "static"
SVG_NS = "{http://www.w3.org/2000/svg}"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
BOX_MM = (300, 300, 300)
MAX_WEIGHT_G = 10_000

ITEM_KEYS = {
    "slug",
    "name",
    "category",
    "description",
    "price",
    "stock",
    "length_mm",
    "width_mm",
    "height_mm",
    "weight_g",
    "frozen",
    "virtual",
    "image",
}
BRANCH_KEYS = {
    "code",
    "name",
    "address",
    "city",
    "province",
    "lat",
    "lng",
    "opens_at",
    "closes_at",
    "frozen",
    "shelf_capacity",
}
NCR_CITIES = {
    "Makati",
    "Taguig",
    "Pasig",
    "Mandaluyong",
    "Quezon City",
    "Manila",
    "San Juan",
    "Pasay",
    "Parañaque",
    "Las Piñas",
    "Muntinlupa",
    "Marikina",
    "Caloocan",
    "Valenzuela",
    "Malabon",
    "Navotas",
    "Pateros",
}


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def dims(item) -> tuple[int, int, int]:
    return (item["length_mm"], item["width_mm"], item["height_mm"])


def fits_box(item) -> bool:
    return all(d <= b for d, b in zip(sorted(dims(item)), sorted(BOX_MM), strict=True))


def too_large(item) -> bool:
    return not item["virtual"] and (not fits_box(item) or item["weight_g"] > MAX_WEIGHT_G)


def in_luzon_box(lat, lng) -> bool:
    return 13.5 <= lat <= 15.5 and 120.3 <= lng <= 121.7


# --- categories and items -----------------------------------------------------------------


def test_categories():
    assert 6 <= len(CATEGORIES) <= 8
    assert len({c["slug"] for c in CATEGORIES}) == len(CATEGORIES)
    assert len({c["position"] for c in CATEGORIES}) == len(CATEGORIES)
    for c in CATEGORIES:
        assert set(c) == {"slug", "name", "position"}
        assert SLUG_RE.match(c["slug"])
        assert c["name"].strip()
        assert is_int(c["position"])


def test_item_count_and_keys():
    assert len(ITEMS) >= 40
    for item in ITEMS:
        assert ITEM_KEYS <= set(item) <= ITEM_KEYS | {"asks_for"}, item["slug"]


def test_only_digital_items_ask_for_where_they_go():
    """A load asks for the number to load, a gift voucher for the address it goes to; nothing
    with a package asks for anything (issue #9, point 5)."""
    asking = {item["slug"]: AsksFor(item["asks_for"]) for item in ITEMS if "asks_for" in item}
    assert all(item["virtual"] for item in ITEMS if item["slug"] in asking)
    assert asking["mobile-load-100"] is AsksFor.MOBILE
    assert asking["mobile-data-pass-7-days"] is AsksFor.MOBILE
    assert asking["pasalubong-gift-voucher-1000"] is AsksFor.EMAIL


def test_item_slugs_unique_and_well_formed():
    slugs = [i["slug"] for i in ITEMS]
    assert len(set(slugs)) == len(slugs)
    for slug in slugs:
        assert SLUG_RE.match(slug), slug
        assert len(slug) <= 120


def test_item_text_fields():
    names = [i["name"] for i in ITEMS]
    assert len(set(names)) == len(names)
    for item in ITEMS:
        assert 0 < len(item["name"]) <= 120
        assert item["description"].strip()


def test_every_item_category_exists():
    category_slugs = {c["slug"] for c in CATEGORIES}
    for item in ITEMS:
        assert item["category"] in category_slugs, item["slug"]
    # every category shows something
    assert {i["category"] for i in ITEMS} == category_slugs


def test_prices_are_positive_integer_centavos():
    for item in ITEMS:
        assert is_int(item["price"]) and item["price"] > 0, item["slug"]


def test_stock_levels():
    stocks = [i["stock"] for i in ITEMS]
    assert all(is_int(s) and s >= 0 for s in stocks)
    assert sum(s == 0 for s in stocks) >= 2  # some sold out
    assert sum(1 <= s <= 5 for s in stocks) >= 2  # some "only N left"


def test_dimensions_are_non_negative_integers():
    for item in ITEMS:
        for key in ("length_mm", "width_mm", "height_mm", "weight_g"):
            assert is_int(item[key]) and item[key] >= 0, (item["slug"], key)
        assert isinstance(item["frozen"], bool)
        assert isinstance(item["virtual"], bool)


def test_physical_items_have_a_size_and_weight():
    for item in ITEMS:
        if not item["virtual"]:
            assert min(dims(item)) > 0 and item["weight_g"] > 0, item["slug"]


def test_frozen_items_fit_one_box():
    frozen = [i for i in ITEMS if i["frozen"]]
    assert len(frozen) >= 5
    for item in frozen:
        assert not item["virtual"], item["slug"]
        assert fits_box(item), item["slug"]
        assert item["weight_g"] < MAX_WEIGHT_G, item["slug"]


def test_virtual_items_have_no_package():
    virtual = [i for i in ITEMS if i["virtual"]]
    assert len(virtual) >= 4
    for item in virtual:
        assert dims(item) == (0, 0, 0), item["slug"]
        assert item["weight_g"] == 0, item["slug"]
        assert not item["frozen"], item["slug"]
        assert item["category"] == "load-vouchers", item["slug"]
        assert item["stock"] >= 1000, item["slug"]


def test_some_items_are_too_large_for_a_package():
    big = [i for i in ITEMS if too_large(i)]
    assert len(big) >= 4
    # exactly the Big & Bulky category is too large; everything else ships in one package
    assert {i["slug"] for i in big} == {i["slug"] for i in ITEMS if i["category"] == "big-bulky"}


def test_too_large_rule():
    base = {"virtual": False, "weight_g": 1000}
    assert fits_box({**base, "length_mm": 300, "width_mm": 300, "height_mm": 300})
    assert fits_box({**base, "length_mm": 50, "width_mm": 290, "height_mm": 120})
    assert too_large({**base, "length_mm": 301, "width_mm": 10, "height_mm": 10})
    assert too_large({**base, "length_mm": 10, "width_mm": 10, "height_mm": 10, "weight_g": 10001})


# --- images ---------------------------------------------------------------------------------


def test_every_image_exists():
    for item in ITEMS:
        assert item["image"] == f"img/items/{item['slug']}.svg"
        assert (STATIC / item["image"]).is_file(), item["image"]


def test_no_orphan_images():
    on_disk = {p.name for p in (STATIC / "img" / "items").glob("*.svg")}
    assert on_disk == {f"{i['slug']}.svg" for i in ITEMS}


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i["slug"])
def test_image_is_a_small_self_contained_svg(item):
    path = STATIC / item["image"]
    raw = path.read_bytes()
    assert len(raw) < 2500
    text = raw.decode("utf-8")
    root = ET.fromstring(text)  # noqa: S314 (our own static file)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == "0 0 320 240"
    assert root.get("role") == "img"
    title = root.find(f"{SVG_NS}title")
    assert title is not None and title.text == item["name"]
    lowered = text.lower()
    for forbidden in ("<script", "href", "url(", "@import", "@font-face", "<foreignobject"):
        assert forbidden not in lowered, forbidden
    assert not re.search(r"\son[a-z]+\s*=", lowered)  # no event handlers


# --- branches -------------------------------------------------------------------------------


def test_branch_count_and_keys():
    assert len(BRANCHES) >= 60
    for branch in BRANCHES:
        assert set(branch) == BRANCH_KEYS, branch["code"]


def test_branch_codes_unique_four_digits():
    codes = [b["code"] for b in BRANCHES]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert re.fullmatch(r"\d{4}", code), code
    assert DISTRIBUTION_CENTER["code"] not in codes


def test_branch_names_unique():
    names = [b["name"] for b in BRANCHES]
    assert len(set(names)) == len(names)
    for branch in BRANCHES:
        assert branch["name"].startswith("7-Eleven ")
        assert branch["address"].strip() and branch["city"].strip()


def test_branch_coordinates_in_luzon():
    for branch in BRANCHES:
        assert isinstance(branch["lat"], float) and isinstance(branch["lng"], float)
        assert in_luzon_box(branch["lat"], branch["lng"]), branch["code"]


def test_branch_provinces():
    cities = {b["city"] for b in BRANCHES}
    assert NCR_CITIES.issubset(cities)
    for branch in BRANCHES:
        if branch["city"] in NCR_CITIES:
            assert branch["province"] == "Metro Manila", branch["code"]
        else:
            assert branch["province"] != "Metro Manila", branch["code"]


def test_opening_hours():
    for branch in [*BRANCHES, DISTRIBUTION_CENTER]:
        for key in ("opens_at", "closes_at"):
            assert is_int(branch[key]) and 0 <= branch[key] <= 1439, branch["code"]
    round_the_clock = [b for b in BRANCHES if b["opens_at"] == b["closes_at"]]
    overnight = [b for b in BRANCHES if b["closes_at"] < b["opens_at"]]
    assert len(round_the_clock) > len(BRANCHES) // 2
    assert len(overnight) >= 2
    assert all(b["opens_at"] == 0 for b in round_the_clock)


def test_frozen_branches_are_a_minority():
    frozen = sum(b["frozen"] for b in BRANCHES)
    assert all(isinstance(b["frozen"], bool) for b in BRANCHES)
    assert 0.3 <= frozen / len(BRANCHES) <= 0.5


def test_shelf_capacity():
    capacities = [b["shelf_capacity"] for b in BRANCHES]
    assert all(is_int(c) and 0 <= c <= 80 for c in capacities)
    assert sum(c <= 3 for c in capacities) >= 2


def test_distribution_center_in_pasig():
    dc = DISTRIBUTION_CENTER
    assert set(dc) == BRANCH_KEYS
    assert dc["code"] == "DC-PASIG"
    assert dc["city"] == "Pasig" and dc["province"] == "Metro Manila"
    assert abs(dc["lat"] - 14.5764) < 0.02 and abs(dc["lng"] - 121.0851) < 0.02
    assert dc["opens_at"] == dc["closes_at"] == 0
