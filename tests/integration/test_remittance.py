"""Remittance (issue #10, point 12) on both databases: COD cash released at the counters,
per merchant, branch and day, reconciled against the ARs; the operator's screen and CSV."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.branches.models import BranchKind
from shop.counter import pos as counter_pos
from shop.counter import service as counter
from shop.counter.models import Receipt
from shop.extensions import db
from shop.fulfillment import service as ecms
from tests.conftest import log_in, text
from tests.integration.test_ecms_lifecycle import FITS, call, ship

MOMENT = datetime(2026, 7, 14, 1, 0, tzinfo=UTC)  # Tue 14 Jul 2026, 9:00 AM in Manila


@pytest.fixture
def world(app, make, clock):
    clock.set(MOMENT)
    dc = make.branch(code="DC-PASIG", name="DC Pasig", kind=BranchKind.DC, shelf_capacity=5000)
    a = make.branch(code="0412", name="7-Eleven Ayala Triangle", shelf_capacity=50)
    b = make.branch(code="0103", name="7-Eleven Cubao Aurora", shelf_capacity=50)
    dc_user = ecms.Actor.of(make.user(role=Role.DC, name="Rosa DC", branch_id=dc.id))
    ana = make.user(role=Role.CLERK, name="Ana Santos", branch_id=a.id)
    ben = make.user(role=Role.CLERK, name="Ben Reyes", branch_id=b.id)
    admin = make.user(role=Role.ADMIN, name="Operator")
    return dict(
        a=a,
        b=b,
        dc_user=dc_user,
        ana=ecms.Actor.of(ana, terminal="POS-1", shift="1"),
        ben=ecms.Actor.of(ben, terminal="POS-2", shift="2"),
        admin=admin,
    )


def release(app, w, branch, clerk, cod):
    """A COD shipment to `branch`, carried there, and released at its counter with its AR."""
    shipped = ship(app, branch, cod=cod)
    number = shipped.numbers[0]
    call(app, ecms.drop_off, number, w["dc_user"])
    call(app, ecms.accept, number, w["dc_user"], inspection=FITS)
    call(app, ecms.dispatch, number, w["dc_user"])
    call(app, ecms.arrive, number, clerk)
    done = call(
        app,
        counter_pos.claim_step,
        shipped.code,
        [],
        clerk,
        label=number,
        cash_received=str(cod // 100 + 50),
        id_type="Passport",
    )
    assert done.receipt is not None
    return shipped


def test_collected_per_branch_and_merchant_matches_the_ars(app, world, clock):
    release(app, world, world["a"], world["ana"], 150_00)
    release(app, world, world["a"], world["ana"], 99_00)
    release(app, world, world["b"], world["ben"], 200_00)
    voided = release(app, world, world["a"], world["ana"], 50_00)
    call(app, counter_pos.void_release, voided.code, world["ana"], "wrong shopper")
    found = call(app, counter.remittance_report)
    assert [
        (line.branch_code, line.releases, line.collected, line.voided) for line in found.lines
    ] == [
        ("0103", 1, 200_00, 0),
        ("0412", 2, 249_00, 1),
    ]
    assert all(line.reconciled for line in found.lines)
    assert found.collected == 449_00
    assert [(t.merchant, t.collected) for t in found.by_merchant] == [("CLiQQ Shop", 449_00)]
    only_b = call(app, counter.remittance_report, None, None, "0103")
    assert [line.branch_code for line in only_b.lines] == ["0103"]
    # Nothing on the next day; everything when the period covers it.
    clock.set(MOMENT + timedelta(days=1))
    assert call(app, counter.remittance_report).lines == ()
    assert call(app, counter.remittance_report, "2026-07-14", "2026-07-15").collected == 449_00


def test_an_ar_changed_behind_the_counter_is_named(app, world):
    shipped = release(app, world, world["a"], world["ana"], 150_00)
    with app.app_context():
        receipt = db.session.scalar(sa.select(Receipt))
        receipt.voided_at = MOMENT  # voided without voiding the release
        db.session.commit()
    line = call(app, counter.remittance_report).lines[0]
    assert line.collected == 150_00
    reference = call(app, lambda: ecms.find_shipment(shipped.code, world["ana"]).reference)
    assert line.problems == [f"Order {reference}: 1 release(s) without an AR."]


def test_prepaid_releases_owe_no_cash(app, world):
    shipped = ship(app, world["a"])
    number = shipped.numbers[0]
    for step in (ecms.drop_off, ecms.dispatch):
        if step is ecms.dispatch:
            call(app, ecms.accept, number, world["dc_user"], inspection=FITS)
        call(app, step, number, world["dc_user"])
    call(app, ecms.arrive, number, world["ana"])
    call(
        app,
        counter_pos.claim_step,
        shipped.code,
        [],
        world["ana"],
        label=number,
        id_type="Passport",
    )
    assert call(app, counter.remittance_report).lines == ()


def _admin(app, world):
    client = app.test_client()
    assert log_in(client, world["admin"].email).status_code == 302
    return client


def test_the_operator_screen_and_csv(app, world):
    release(app, world, world["a"], world["ana"], 150_00)
    client = _admin(app, world)
    page = client.get("/admin/remittance")
    assert page.status_code == 200
    words = text(page)
    assert "₱150.00" in words and "CLiQQ Shop" in words and "matches" in words
    answer = client.get("/admin/remittance.csv?from=2026-07-14&to=2026-07-14")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert 'filename="remittance-20260714-20260714.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["branch_code"], r["collected_centavos"], r["reconciled"]) for r in rows] == [
        ("0412", "15000", "yes")
    ]


@pytest.mark.parametrize(
    "query",
    [
        "from=yesterday",
        "from=2026-07-15&to=2026-07-14",
        "from=2026-01-01&to=2026-12-31",
        "branch=9999",
        "branch=%00",
        "branch=" + "9" * 500,
        "from=2026-07-14%0A",
    ],
)
def test_bad_filters_are_a_4xx_that_says_why(app, world, query):
    client = _admin(app, world)
    for path in ("/admin/remittance", "/admin/remittance.csv"):
        answer = client.get(f"{path}?{query}")
        assert answer.status_code in (400, 422), (path, answer.status_code)
        if answer.status_code == 422:  # ours; a 400 is the shared guard refusing a NUL first
            assert 'role="alert"' in answer.text


def test_only_an_operator_sees_it(app, world, make):
    for role in (Role.CLERK, Role.DC, Role.MERCHANT, Role.SHOPPER):
        client = app.test_client()
        assert log_in(client, make.user(role=role).email).status_code == 302
        assert client.get("/admin/remittance").status_code == 403
        assert client.get("/admin/remittance.csv").status_code == 403
    assert app.test_client().get("/admin/remittance").status_code == 302  # to the login


def test_the_report_reads_in_few_queries(app, world, count_queries):
    for n in range(3):
        release(app, world, world["a"], world["ana"], (n + 1) * 100_00)
    with app.app_context(), count_queries() as queries:
        found = counter.remittance_report()
    assert found.collected == 600_00
    assert len(queries) <= 4
