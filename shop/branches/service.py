"""The 7-Eleven branches: opening hours and counts. (The picker comes with checkout.)"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from shop.branches.models import Branch, BranchKind
from shop.extensions import db
from shop.timeutil import MANILA, utcnow


def is_open(branch: Branch, at: datetime | None = None) -> bool:
    """Is the branch open at `at` (default now), Manila time? Handles round-the-clock stores
    (opens_at == closes_at) and hours past midnight (closes_at < opens_at)."""
    local = (at or utcnow()).astimezone(MANILA)
    minute = local.hour * 60 + local.minute
    if branch.opens_at == branch.closes_at:
        return True
    if branch.opens_at < branch.closes_at:
        return branch.opens_at <= minute < branch.closes_at
    return minute >= branch.opens_at or minute < branch.closes_at


def format_hours(branch: Branch) -> str:
    if branch.opens_at == branch.closes_at:
        return "Open 24 hours"
    return f"{_clock(branch.opens_at)}–{_clock(branch.closes_at)}"


def _clock(minute: int) -> str:
    hour, minute = divmod(minute, 60)
    suffix = "AM" if hour < 12 else "PM"
    return f"{(hour % 12) or 12}:{minute:02d} {suffix}"


@dataclass(frozen=True)
class BranchSummary:
    stores: int
    frozen: int


def summary() -> BranchSummary:
    row = db.session.execute(
        sa.select(sa.func.count(Branch.id), sa.func.count(Branch.id).filter(Branch.frozen)).where(
            Branch.kind == BranchKind.STORE, Branch.active.is_(True)
        )
    ).one()
    return BranchSummary(stores=row[0], frozen=row[1])
