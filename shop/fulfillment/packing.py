"""The package limits of the seeds, as pure functions on millimetres and grams."""

BRANCH_BOX_MM = (300, 300, 300)  # 30 × 30 × 30 cm = 27,000 cm³
BRANCH_MAX_WEIGHT_G = 10_000
RETURN_BOX_MM = (450, 300, 300)
RETURN_MAX_WEIGHT_G = 10_000


def fits(
    dimensions_mm: tuple[int, int, int],
    weight_g: int,
    box_mm: tuple[int, int, int] = BRANCH_BOX_MM,
    max_weight_g: int = BRANCH_MAX_WEIGHT_G,
) -> bool:
    """True if an item fits the box: its sorted dimensions fit the box's sorted dimensions, and
    it is no heavier than the limit."""
    item, box = sorted(dimensions_mm, reverse=True), sorted(box_mm, reverse=True)
    return weight_g <= max_weight_g and all(a <= b for a, b in zip(item, box, strict=True))
