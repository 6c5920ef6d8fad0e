"""The package limits of the seeds, as pure functions on millimetres and grams, and the split of
an order's units into branch packages.

The limits are the constants below and nothing else: every check reads them when it runs (no
default argument freezes a copy), and every page and message that states a limit formats them
with `limits_text` (see shop/rules.py for what templates show)."""

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

BRANCH_BOX_MM = (300, 300, 300)  # 30 × 30 × 30 cm = 27,000 cm³
BRANCH_MAX_WEIGHT_G = 10_000
RETURN_BOX_MM = (450, 300, 300)
RETURN_MAX_WEIGHT_G = 10_000


def _branch_box() -> tuple[int, int, int]:
    return BRANCH_BOX_MM


def _branch_max_weight() -> int:
    return BRANCH_MAX_WEIGHT_G


def limits_text(box_mm: tuple[int, int, int], max_weight_g: int) -> str:
    """A box's limits as a shopper reads them: "30 × 30 × 30 cm, 10 kg"."""
    sides = " × ".join(f"{side / 10:g}" for side in box_mm)
    return f"{sides} cm, {max_weight_g / 1000:g} kg"


def branch_limits_text() -> str:
    """The limits of a package going to a branch: "30 × 30 × 30 cm, 10 kg"."""
    return limits_text(BRANCH_BOX_MM, BRANCH_MAX_WEIGHT_G)


def fits(
    dimensions_mm: tuple[int, int, int],
    weight_g: int,
    box_mm: tuple[int, int, int] | None = None,
    max_weight_g: int | None = None,
) -> bool:
    """True if an item fits the box (the branch box unless given): its sorted dimensions fit
    the box's sorted dimensions, and it is no heavier than the limit."""
    box_mm = BRANCH_BOX_MM if box_mm is None else box_mm
    max_weight_g = BRANCH_MAX_WEIGHT_G if max_weight_g is None else max_weight_g
    item, box = sorted(dimensions_mm, reverse=True), sorted(box_mm, reverse=True)
    return weight_g <= max_weight_g and all(a <= b for a, b in zip(item, box, strict=True))


def box_volume_mm3(box_mm: tuple[int, int, int]) -> int:
    """The inner volume of a box in mm³ (the branch box: 27,000,000)."""
    return math.prod(box_mm)


@dataclass(frozen=True)
class Unit:
    """One physical unit to ship: an order line of quantity 3 is three Units with the same key.

    Raises ValueError for anything but three non-negative dimensions and a non-negative weight
    (zero is allowed: the catalog's default for an item not yet measured)."""

    key: Hashable
    name: str
    dimensions_mm: tuple[int, int, int]
    weight_g: int
    frozen: bool = False

    def __post_init__(self):
        if len(self.dimensions_mm) != 3 or any(d < 0 for d in self.dimensions_mm):
            raise ValueError(f"{self.name}: dimensions must be three lengths >= 0 mm")
        if self.weight_g < 0:
            raise ValueError(f"{self.name}: weight must be >= 0 g")

    @property
    def volume_mm3(self) -> int:
        return math.prod(self.dimensions_mm)


@dataclass
class Package:
    """One package for a branch: units of one temperature class (frozen or not) whose total
    volume and weight stay within the box's, each of which fits the box on its own. `add` keeps
    that true; appending to `units` directly does not check."""

    frozen: bool
    units: list[Unit] = field(default_factory=list)
    box_mm: tuple[int, int, int] = field(default_factory=_branch_box)
    max_weight_g: int = field(default_factory=_branch_max_weight)

    @property
    def volume_mm3(self) -> int:
        return sum(u.volume_mm3 for u in self.units)

    @property
    def weight_g(self) -> int:
        return sum(u.weight_g for u in self.units)

    def can_take(self, unit: Unit) -> bool:
        """True if `unit` is of this package's class, fits the box alone, and the package's
        total volume and weight stay within the box's with it."""
        return (
            unit.frozen == self.frozen
            and fits(unit.dimensions_mm, unit.weight_g, self.box_mm, self.max_weight_g)
            and self.volume_mm3 + unit.volume_mm3 <= box_volume_mm3(self.box_mm)
            and self.weight_g + unit.weight_g <= self.max_weight_g
        )

    def add(self, unit: Unit) -> None:
        """Put `unit` in. Raises ValueError if the package can't take it (see `can_take`)."""
        if not self.can_take(unit):
            raise ValueError(f"{unit.name} does not fit in this package")
        self.units.append(unit)


@dataclass(frozen=True)
class Packing:
    """The split of an order: its packages, and the units too large or too heavy for any
    package (in the order given), which make the order ineligible for store pickup."""

    packages: list[Package]
    too_large: list[Unit]

    @property
    def eligible(self) -> bool:
        """True if every unit has a package (an order with no units at all is eligible)."""
        return not self.too_large

    @property
    def count(self) -> int:
        return len(self.packages)


def _first_fit_decreasing(
    units: list[Unit], frozen: bool, box_mm: tuple[int, int, int], max_weight_g: int
) -> list[Package]:
    # sorted() is stable, so units equal in volume and weight keep their given order and the
    # same input always gives the same packages.
    ordered = sorted(units, key=lambda u: (u.volume_mm3, u.weight_g), reverse=True)
    packages: list[Package] = []
    for unit in ordered:
        package = next((p for p in packages if p.can_take(unit)), None)
        if package is None:
            package = Package(frozen=frozen, box_mm=box_mm, max_weight_g=max_weight_g)
            packages.append(package)
        package.add(unit)
    return packages


def pack(
    units: Iterable[Unit],
    box_mm: tuple[int, int, int] | None = None,
    max_weight_g: int | None = None,
) -> Packing:
    """Split `units` into packages (branch packages unless another box is given) by
    first-fit-decreasing, the way the seeds do it.

    Guaranteed: every unit is in exactly one package or in `too_large`; `too_large` holds
    exactly the units that fit no box on their own (by sorted dimensions, see `fits`, or by
    weight); frozen and non-frozen units never share a package (non-frozen packages come
    first); no package's total volume or weight exceeds the box's; the same input always gives
    the same result. Units are taken by volume, then weight, largest first, each into the first
    package of its class that can still take it, else into a new package.

    Volume is a proxy for geometric fit: we do not solve 3-D placement, so a package whose
    units' volumes add up within the box is taken to close, even where rigid shapes would not
    nest that well. Each unit on its own does fit the box by its sorted dimensions."""
    box_mm = BRANCH_BOX_MM if box_mm is None else box_mm
    max_weight_g = BRANCH_MAX_WEIGHT_G if max_weight_g is None else max_weight_g
    units = list(units)
    too_large = [u for u in units if not fits(u.dimensions_mm, u.weight_g, box_mm, max_weight_g)]
    packable = [u for u in units if fits(u.dimensions_mm, u.weight_g, box_mm, max_weight_g)]
    packages = [
        package
        for frozen in (False, True)
        for package in _first_fit_decreasing(
            [u for u in packable if u.frozen == frozen], frozen, box_mm, max_weight_g
        )
    ]
    return Packing(packages=packages, too_large=too_large)


def units_for(lines: Iterable[tuple[Any, int]]) -> list[Unit]:
    """The Units of order lines given as (item, quantity) pairs, `quantity` Units per line, in
    line order; an item needs id, name, length_mm, width_mm, height_mm, weight_g, frozen and
    virtual. Virtual items (load, vouchers) ship no package and give no Units.

    Raises ValueError for a negative quantity, or an item with a negative size or weight."""
    units: list[Unit] = []
    for item, quantity in lines:
        if quantity < 0:
            raise ValueError(f"{item.name}: quantity must be >= 0")
        if item.virtual:
            continue
        unit = Unit(
            key=item.id,
            name=item.name,
            dimensions_mm=(item.length_mm, item.width_mm, item.height_mm),
            weight_g=item.weight_g,
            frozen=bool(item.frozen),
        )
        units.extend([unit] * quantity)
    return units
