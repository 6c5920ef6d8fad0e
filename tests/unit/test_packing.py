"""Packing an order's units into branch packages: first-fit-decreasing on plain objects."""

import math
from collections import Counter
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shop.fulfillment.packing import (
    BRANCH_BOX_MM,
    BRANCH_MAX_WEIGHT_G,
    RETURN_BOX_MM,
    RETURN_MAX_WEIGHT_G,
    Package,
    Packing,
    Unit,
    fits,
    pack,
    units_for,
)

BOX_VOLUME = 300 * 300 * 300


def unit(key="u", dims=(100, 100, 100), weight=500, frozen=False, name=None):
    return Unit(key=key, name=name or str(key), dimensions_mm=dims, weight_g=weight, frozen=frozen)


# --- the existing limits, unchanged -------------------------------------------------------


def test_constants():
    assert BRANCH_BOX_MM == (300, 300, 300)
    assert math.prod(BRANCH_BOX_MM) == 27_000_000
    assert BRANCH_MAX_WEIGHT_G == 10_000
    assert RETURN_BOX_MM == (450, 300, 300)
    assert RETURN_MAX_WEIGHT_G == 10_000


@pytest.mark.parametrize(
    ("dims", "weight", "ok"),
    [
        ((290, 290, 290), 1000, True),
        ((300, 300, 300), 1000, True),  # exactly the box
        ((310, 100, 100), 1000, False),  # one side 31 cm
        ((100, 400, 100), 1000, False),  # 40 cm is too long in any orientation
        ((100, 300, 50), 10_000, True),  # exactly the weight limit
        ((100, 100, 100), 10_001, False),
        ((0, 0, 0), 0, True),
    ],
)
def test_fits(dims, weight, ok):
    assert fits(dims, weight) is ok


def test_fits_return_box():
    assert fits((440, 290, 300), 5000, RETURN_BOX_MM, RETURN_MAX_WEIGHT_G)
    assert fits((300, 440, 290), 5000, RETURN_BOX_MM, RETURN_MAX_WEIGHT_G)  # rotated
    assert not fits((460, 100, 100), 5000, RETURN_BOX_MM, RETURN_MAX_WEIGHT_G)


# --- Unit, Package, Packing ---------------------------------------------------------------


def test_unit():
    u = unit(dims=(100, 200, 300), weight=700)
    assert u.volume_mm3 == 6_000_000
    with pytest.raises(AttributeError):
        u.weight_g = 1  # frozen
    with pytest.raises(ValueError):
        unit(dims=(100, -1, 100))
    with pytest.raises(ValueError):
        unit(dims=(100, 100))
    with pytest.raises(ValueError):
        unit(weight=-1)


def test_package_can_take_and_add():
    package = Package(frozen=False)
    assert package.volume_mm3 == 0
    assert package.weight_g == 0
    package.add(unit(dims=(300, 300, 150), weight=4000))
    assert package.can_take(unit(dims=(300, 300, 150), weight=6000))  # exactly full
    assert not package.can_take(unit(dims=(300, 300, 151), weight=100))  # volume
    assert not package.can_take(unit(dims=(10, 10, 10), weight=6001))  # weight
    assert not package.can_take(unit(dims=(10, 10, 10), frozen=True))  # class
    assert not Package(frozen=False).can_take(unit(dims=(310, 10, 10)))  # too long alone
    with pytest.raises(ValueError):
        package.add(unit(dims=(10, 10, 10), weight=6001))
    assert package.weight_g == 4000
    assert package.volume_mm3 == 13_500_000


def test_packing_properties():
    assert Packing(packages=[], too_large=[]).eligible
    assert Packing(packages=[], too_large=[]).count == 0
    done = Packing(packages=[Package(frozen=False)], too_large=[unit()])
    assert not done.eligible
    assert done.count == 1


# --- pack: examples -----------------------------------------------------------------------


def test_nothing_to_pack():
    packing = pack([])
    assert packing.count == 0
    assert packing.eligible


def test_one_small_item():
    packing = pack([unit()])
    assert packing.count == 1
    assert packing.eligible
    assert packing.packages[0].units == [unit()]


def test_eleven_one_kilo_items_need_two_packages_by_weight():
    packing = pack([unit(key=i, dims=(50, 50, 50), weight=1000) for i in range(11)])
    assert packing.count == 2
    assert sorted(p.weight_g for p in packing.packages) == [1000, 10_000]


def test_ten_one_kilo_items_fit_one_package():
    assert pack([unit(key=i, dims=(50, 50, 50), weight=1000) for i in range(10)]).count == 1


def test_volume_splits_packages():
    # Three units of half a box each: two packages, the first full.
    packing = pack([unit(key=i, dims=(300, 300, 150), weight=100) for i in range(3)])
    assert packing.count == 2
    assert [p.volume_mm3 for p in packing.packages] == [BOX_VOLUME, BOX_VOLUME // 2]


def test_frozen_and_non_frozen_travel_apart():
    packing = pack([unit("ice cream", frozen=True), unit("book")])
    assert packing.count == 2
    assert [p.frozen for p in packing.packages] == [False, True]
    assert [[u.key for u in p.units] for p in packing.packages] == [["book"], ["ice cream"]]


def test_too_large_item_is_named():
    chair = unit("chair", dims=(450, 400, 1000), weight=5000, name="Folding chair")
    packing = pack([unit("book"), chair])
    assert not packing.eligible
    assert [u.name for u in packing.too_large] == ["Folding chair"]
    assert packing.count == 1  # the rest is still packed


def test_too_heavy_item():
    packing = pack([unit("rice", dims=(200, 200, 200), weight=25_000, name="Rice, 25 kg")])
    assert [u.name for u in packing.too_large] == ["Rice, 25 kg"]
    assert packing.count == 0


@pytest.mark.parametrize(
    ("dims", "ok"),
    [
        ((290, 290, 290), True),
        ((310, 290, 290), False),
        ((290, 310, 290), False),
        ((290, 290, 310), False),
        ((100, 400, 100), False),  # 10 × 40 × 10 cm: 40 cm doesn't fit any way round
        ((300, 300, 300), True),  # exactly the box
        ((300, 100, 200), True),  # any orientation of a fitting item
    ],
)
def test_sides_and_rotations(dims, ok):
    packing = pack([unit(dims=dims, weight=1000)])
    assert packing.eligible is ok
    assert packing.count == (1 if ok else 0)


def test_first_fit_decreasing_order():
    # Given small first, FFD still places the big units first and fills in around them.
    small = [unit(f"s{i}", dims=(100, 100, 100), weight=100) for i in range(6)]
    big = [unit(f"b{i}", dims=(300, 300, 240), weight=100) for i in range(2)]
    packing = pack(small + big)
    # Each big one leaves 5,400,000 mm³: five 1,000,000 mm³ units each, so one left over.
    assert packing.count == 2
    assert [[u.key for u in p.units] for p in packing.packages] == [
        ["b0", "s0", "s1", "s2", "s3", "s4"],
        ["b1", "s5"],
    ]


def test_ties_keep_the_given_order():
    units = [unit(k, dims=(300, 300, 100), weight=4000) for k in "abcde"]
    packing = pack(units)
    assert [[u.key for u in p.units] for p in packing.packages] == [["a", "b"], ["c", "d"], ["e"]]


def test_other_box():
    units = [unit(i, dims=(400, 300, 300), weight=1000) for i in range(2)]
    assert not pack(units).eligible
    packing = pack(units, box_mm=RETURN_BOX_MM, max_weight_g=RETURN_MAX_WEIGHT_G)
    assert packing.eligible
    assert packing.count == 2  # 36,000,000 mm³ each in a 40,500,000 mm³ box


# --- units_for ----------------------------------------------------------------------------


def item(id, name="Thing", dims=(100, 100, 100), weight=500, frozen=False, virtual=False):
    length, width, height = dims
    return SimpleNamespace(
        id=id,
        name=name,
        length_mm=length,
        width_mm=width,
        height_mm=height,
        weight_g=weight,
        frozen=frozen,
        virtual=virtual,
    )


def test_units_for():
    ice = item(2, "Ice cream", frozen=True)
    units = units_for([(item(1, "Book"), 2), (ice, 1), (item(3, "Load ₱100", virtual=True), 5)])
    assert [(u.key, u.name, u.frozen) for u in units] == [
        (1, "Book", False),
        (1, "Book", False),
        (2, "Ice cream", True),
    ]
    assert units[0].dimensions_mm == (100, 100, 100)
    assert units[0].weight_g == 500
    assert units_for([]) == []
    assert units_for([(item(1), 0)]) == []
    with pytest.raises(ValueError):
        units_for([(item(1), -1)])


def test_units_for_then_pack():
    lines = [(item(1, "Rice 2 kg", weight=2000), 6), (item(2, "Sofa", dims=(2000, 900, 800)), 1)]
    packing = pack(units_for(lines))
    assert packing.count == 2
    assert [u.name for u in packing.too_large] == ["Sofa"]


# --- pack: properties ---------------------------------------------------------------------

units_st = st.lists(
    st.builds(
        Unit,
        key=st.integers(0, 10**6),
        name=st.just("thing"),
        dimensions_mm=st.tuples(*[st.integers(1, 500)] * 3),
        weight_g=st.integers(1, 15_000),
        frozen=st.booleans(),
    ),
    max_size=40,
)
# Many small units, so that packages really fill up and split.
small_units_st = st.lists(
    st.builds(
        Unit,
        key=st.integers(0, 10**6),
        name=st.just("thing"),
        dimensions_mm=st.tuples(*[st.integers(1, 300)] * 3),
        weight_g=st.integers(1, 5_000),
        frozen=st.booleans(),
    ),
    max_size=60,
)
any_units = st.one_of(units_st, small_units_st)


@settings(max_examples=300)
@given(any_units)
def test_pack_invariants(units):
    packing = pack(units)
    packed = [u for p in packing.packages for u in p.units]

    # Every unit exactly once: in a package or too large (Units are values: count them).
    assert Counter(packed) + Counter(packing.too_large) == Counter(units)
    assert len(packed) + len(packing.too_large) == len(units)
    assert packing.eligible == (not packing.too_large)
    assert packing.count == len(packing.packages)

    for package in packing.packages:
        assert package.units  # no empty package
        assert package.volume_mm3 <= BOX_VOLUME
        assert package.weight_g <= BRANCH_MAX_WEIGHT_G
        assert all(u.frozen == package.frozen for u in package.units)
        assert all(fits(u.dimensions_mm, u.weight_g) for u in package.units)

    # too_large is exactly the units that fit no box, in the order given.
    assert packing.too_large == [u for u in units if not fits(u.dimensions_mm, u.weight_g)]


@settings(max_examples=300)
@given(any_units)
def test_pack_is_near_the_lower_bound_and_no_two_packages_could_merge(units):
    packing = pack(units)
    for frozen in (False, True):
        packages = [p for p in packing.packages if p.frozen == frozen]
        packed = [u for p in packages for u in p.units]
        volume = sum(u.volume_mm3 for u in packed)
        weight = sum(u.weight_g for u in packed)
        assert len(packages) >= math.ceil(volume / BOX_VOLUME)
        assert len(packages) >= math.ceil(weight / BRANCH_MAX_WEIGHT_G)
        # First fit never opens a package the earlier ones had room for, so no two packages
        # of a class would fit together in one; hence at most about twice the lower bound.
        for i, a in enumerate(packages):
            for b in packages[i + 1 :]:
                assert (
                    a.volume_mm3 + b.volume_mm3 > BOX_VOLUME
                    or a.weight_g + b.weight_g > BRANCH_MAX_WEIGHT_G
                )


@given(any_units)
def test_pack_takes_units_largest_first(units):
    for package in pack(units).packages:
        keys = [(u.volume_mm3, u.weight_g) for u in package.units]
        assert keys == sorted(keys, reverse=True)


@given(any_units)
def test_pack_is_deterministic(units):
    assert pack(units) == pack(list(units))
    assert pack(iter(units)) == pack(units)  # any iterable, consumed once
