"""Remittance's reconciliation rules (shop.counter.remittance.reconcile): each release of cash
on delivery is matched with its Acknowledgement Receipt, and every mismatch is named."""

from datetime import UTC, date, datetime

import pytest

from shop.branches.models import Branch
from shop.counter.models import Receipt, ReceiptKind
from shop.counter.remittance import MAX_DAYS, Release, Report, as_csv, period_of, reconcile
from shop.errors import InvalidInput

BRANCHES = {
    1: Branch(id=1, code="0412", name="Ayala Triangle"),
    2: Branch(id=2, code="0388", name="BGC High Street"),
}
# 10:00 Manila on 1 December 2026.
MORNING = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DAY = date(2026, 12, 1)


def release(shipment_id=1, amount=150_00, *, branch_id=1, at=MORNING, voided=False, source="shop"):
    return Release(
        shipment_id=shipment_id,
        reference=f"CS-{shipment_id:04d}",
        source=source,
        branch_id=branch_id,
        at=at,
        amount_due=amount,
        cash_received=amount + 50_00,
        change=50_00,
        voided=voided,
    )


def ar(shipment_id=1, amount=150_00, *, branch_id=1, day=DAY, voided=False, cash=None, change=None):
    cash = amount + 50_00 if cash is None else cash
    return Receipt(
        number=f"AR-{BRANCHES[branch_id].code}-{day:%Y%m%d}-{shipment_id:04d}",
        kind=ReceiptKind.AR,
        branch_id=branch_id,
        business_date=day,
        shipment_id=shipment_id,
        reference=f"CS-{shipment_id:04d}",
        amount_due=amount,
        cash_received=cash,
        change=50_00 if change is None else change,
        voided_at=MORNING if voided else None,
    )


def only(lines):
    assert len(lines) == 1, lines
    return lines[0]


def test_a_release_and_its_ar_reconcile():
    line = only(reconcile([release()], [ar()], BRANCHES))
    assert (line.releases, line.collected, line.receipts, line.receipted) == (1, 150_00, 1, 150_00)
    assert line.reconciled and line.merchant == "CLiQQ Shop" and line.branch_code == "0412"


def test_a_release_without_its_ar_is_named():
    line = only(reconcile([release(), release(2, 99_00)], [ar()], BRANCHES))
    assert line.collected == 249_00
    assert line.problems == ["Order CS-0002: 1 release(s) without an AR."]


def test_an_ar_whose_release_was_voided_is_named():
    line = only(reconcile([release(voided=True)], [ar()], BRANCHES))
    assert (line.releases, line.collected, line.voided) == (0, 0, 1)
    assert line.problems == [
        "AR AR-0412-20261201-0001 for order CS-0001 stands (its release was voided)."
    ]


def test_a_void_on_both_sides_is_no_problem_and_owes_nothing():
    line = only(reconcile([release(voided=True)], [ar(voided=True)], BRANCHES))
    assert line.reconciled and line.collected == 0 and line.voided == 1 and line.receipts == 0


def test_a_release_released_again_after_its_void():
    voided = release(voided=True)
    again = release(at=MORNING.replace(hour=3))
    line = only(reconcile([voided, again], [ar(voided=True), ar()], BRANCHES))
    assert line.reconciled and (line.releases, line.collected, line.voided) == (1, 150_00, 1)


def test_amounts_that_differ_are_named():
    line = only(reconcile([release(amount=150_00)], [ar(amount=140_00, cash=190_00)], BRANCHES))
    assert line.problems == [
        "AR AR-0412-20261201-0001 says ₱140.00, the release of order CS-0001 ₱150.00."
    ]


def test_an_ar_whose_cash_and_change_dont_make_the_amount_is_named():
    line = only(reconcile([release()], [ar(cash=200_00, change=40_00)], BRANCHES))
    assert line.problems == [
        "AR AR-0412-20261201-0001: cash ₱200.00 less change ₱40.00 is not the ₱150.00 due."
    ]


def test_lines_split_by_branch_and_manila_day():
    # 23:59 and 00:00 Manila fall on two business days (UTC+8).
    late = datetime(2026, 12, 1, 15, 59, tzinfo=UTC)
    next_day = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    found = [release(1, at=late), release(2, at=next_day), release(3, branch_id=2)]
    receipts = [ar(1), ar(2, day=date(2026, 12, 2)), ar(3, branch_id=2)]
    lines = reconcile(found, receipts, BRANCHES)
    assert [(line.business_date.day, line.branch_code) for line in lines] == [
        (1, "0388"),
        (1, "0412"),
        (2, "0412"),
    ]
    assert all(line.reconciled for line in lines)
    report = Report(DAY, date(2026, 12, 2), None, tuple(lines))
    assert report.collected == 450_00
    assert [(t.merchant, t.releases, t.collected) for t in report.by_merchant] == [
        ("CLiQQ Shop", 3, 450_00)
    ]


def test_an_ar_dated_another_day_than_its_release_is_named_on_both_days():
    next_day = date(2026, 12, 2)
    lines = reconcile([release()], [ar(day=next_day)], BRANCHES)
    assert [bool(line.problems) for line in lines] == [True, True]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, (DAY, DAY)),
        ("", "", (DAY, DAY)),
        ("2026-11-01", None, (date(2026, 11, 1), date(2026, 11, 1))),
        ("2026-11-01", "2026-11-30", (date(2026, 11, 1), date(2026, 11, 30))),
    ],
)
def test_period_as_typed(start, end, expected):
    assert period_of(start, end, today=DAY) == expected


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-13-01", None, "from"),
        ("1/12/2026", None, "from"),
        ("2026-12-01\x00", None, "from"),
        (["2026-12-01"], None, "from"),
        ("2026-12-02", "2026-12-01", "to"),
        ("2026-01-01", "2026-12-31", "to"),
    ],
)
def test_bad_periods_are_refused(start, end, field):
    with pytest.raises(InvalidInput) as refused:
        period_of(start, end, today=DAY)
    assert refused.value.field == field


def test_the_longest_period():
    assert period_of("2026-01-01", "2026-04-02", today=DAY)[1] == date(2026, 4, 2)
    assert MAX_DAYS == 92


def test_csv_cells_never_start_a_formula():
    lines = reconcile([release()], [ar()], {1: Branch(id=1, code="0412", name="=HYPERLINK(1)")})
    text = as_csv(Report(DAY, DAY, None, tuple(lines)))
    header, row = text.splitlines()
    assert header.startswith("business_date,branch_code,branch_name,merchant,releases")
    assert "'=HYPERLINK(1)" in row and ",15000,150.00,1,15000,0,yes," in row
