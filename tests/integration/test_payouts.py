"""Payouts (issue #11, point 6) on both databases: a batch pays every publisher owed at least
the minimum who has an account, nets clawbacks so every line's approved balance ends at zero,
pays nothing twice; its bank CSV; `flask shop payout`; the operator's and the publisher's pages.
Ledger rows are written directly with the models (the ledger's own events are another
helper's)."""

import csv
import io
import itertools
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.checkout.models import Order
from shop.extensions import db
from shop.partners import payouts
from shop.partners.models import App, Bucket, LedgerEntry, Payout, PayoutAccount, PayoutLine
from tests.conftest import csrf_token, log_in, text
from tests.integration.test_checkout import _add, _checkout

# 17:30 UTC on 1 December is 01:30 on 2 December in Manila: the batch is numbered by Manila.
MOMENT = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
_keys = itertools.count(1)


# --- Factories -------------------------------------------------------------------------------


def publisher(make, account=True, **overrides):
    user = make.user(role=Role.PUBLISHER, **overrides)
    if account:
        with make.app.app_context():
            db.session.add(
                PayoutAccount(
                    publisher_id=user.id,
                    account_name=f"{user.name} Ventures",
                    bank="BDO Unibank",
                    account_number="001234567890",
                )
            )
            db.session.commit()
    return user


def partner_app(app, publisher_id, name=None) -> int:
    n = next(_keys)
    with app.app_context():
        row = App(publisher_id=publisher_id, name=name or f"App {n}", key=f"key{n:08d}")
        db.session.add(row)
        db.session.commit()
        return row.id


def move(app, app_id, amount, bucket, from_bucket, reason, order_id=None, units=1):
    with app.app_context():
        db.session.add(
            LedgerEntry(
                app_id=app_id,
                order_id=order_id,
                bucket=bucket,
                from_bucket=from_bucket,
                amount=amount,
                units=units,
                reason=reason,
            )
        )
        db.session.commit()


def approved(app, app_id, amount, order_id=None):
    """A line's commission placed (pending) and, after the return window, approved."""
    move(app, app_id, amount, Bucket.PENDING, None, "order", order_id)
    move(app, app_id, amount, Bucket.APPROVED, Bucket.PENDING, "approved", order_id)


def clawback(app, app_id, amount, order_id=None):
    """A return after a payout: out of approved (which may go below zero)."""
    move(app, app_id, amount, Bucket.REVERSED, Bucket.APPROVED, "clawback", order_id)


def balance(app, bucket, *where) -> int:
    with app.app_context():
        into = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.bucket == bucket, *where
            )
        )
        out = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.from_bucket == bucket, *where
            )
        )
        return into - out


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def run(app, actor="test"):
    with app.app_context():
        return payouts.make_payout(actor)


def a_real_order(client, make) -> tuple[int, str]:
    item = make.item()
    branch = make.branch()
    _add(client, item)
    number = _checkout(client, branch).headers["Location"].split("/orders/")[1].split("?")[0]
    with make.app.app_context():
        return db.session.scalar(sa.select(Order.id).where(Order.number == number)), number


# --- The batch -------------------------------------------------------------------------------


def test_approved_balances_sum_every_app_of_a_publisher_in_sql(app, make, count_queries):
    one, two = publisher(make), publisher(make)
    a, b, c = partner_app(app, one.id), partner_app(app, one.id), partner_app(app, two.id)
    approved(app, a, 30_000)
    approved(app, b, 25_000)
    clawback(app, b, 5_000)
    approved(app, c, 10_000)
    move(app, c, 4_000, Bucket.PENDING, None, "order")  # pending: not owed yet
    with app.app_context():
        with count_queries() as queries:
            found = payouts.approved_balances()
        assert len(queries) == 1
        assert found == {one.id: 50_000, two.id: 10_000}
        assert payouts.approved_balances([two.id]) == {two.id: 10_000}


def test_a_batch_pays_who_is_owed_the_minimum_and_has_an_account(app, make, clock):
    clock.set(MOMENT)
    paid, small, unpaid = publisher(make), publisher(make), publisher(make, account=False)
    a, b = partner_app(app, paid.id), partner_app(app, paid.id)
    approved(app, a, 40_000)
    approved(app, a, 5_000)
    approved(app, b, 5_000)  # 50,000 over two apps: exactly the minimum
    approved(app, partner_app(app, small.id), 49_999)
    approved(app, partner_app(app, unpaid.id), 80_000)
    result = run(app, "operator@example.com")
    with app.app_context():
        payout = db.session.get(Payout, result.payout.id)
        assert payout.number == "PO-20261202-0001"  # the Manila day
        assert (payout.total, payout.publishers, payout.created_by) == (
            50_000,
            1,
            "operator@example.com",
        )
        (line,) = payout.lines
        assert (line.publisher_id, line.amount, line.bank) == (paid.id, 50_000, "BDO Unibank")
    assert [s.publisher_id for s in result.no_account] == [unpaid.id]
    assert result.no_account[0].amount == 80_000
    assert balance(app, Bucket.APPROVED, LedgerEntry.app_id.in_([a, b])) == 0
    assert balance(app, Bucket.PAID, LedgerEntry.payout_id == payout.id) == 50_000
    assert count(app, LedgerEntry, LedgerEntry.payout_id == payout.id) == 2  # one per app here
    with app.app_context():
        assert payouts.approved_balances() == {small.id: 49_999, unpaid.id: 80_000}


def test_a_clawback_is_netted_every_line_ends_at_zero_and_the_sums_are_exact(app, make):
    one = publisher(make)
    a, b = partner_app(app, one.id), partner_app(app, one.id)
    approved(app, a, 70_000, None)
    approved(app, b, 10_000, None)
    clawback(app, b, 25_000)  # B's approved is -15,000: a return after an earlier payout
    payout = run(app).payout
    assert payout.total == 55_000  # 70,000 - 15,000
    with app.app_context():
        assert db.session.scalar(sa.select(PayoutLine.amount)) == 55_000
    for app_id in (a, b):
        assert balance(app, Bucket.APPROVED, LedgerEntry.app_id == app_id) == 0
    assert balance(app, Bucket.PAID, LedgerEntry.payout_id == payout.id) == 55_000
    assert balance(app, Bucket.PAID, LedgerEntry.app_id == b) == -15_000  # recovered from B
    with app.app_context():
        rows = db.session.execute(
            sa.select(LedgerEntry.app_id, LedgerEntry.bucket, LedgerEntry.from_bucket,
                      LedgerEntry.amount, LedgerEntry.reason)
            .where(LedgerEntry.payout_id == payout.id).order_by(LedgerEntry.app_id)
        ).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [
        (a, Bucket.PAID, Bucket.APPROVED, 70_000, "payout"),
        (b, Bucket.APPROVED, Bucket.PAID, 15_000, "netted"),
    ]


def test_a_clawback_bigger_than_the_new_earnings_is_carried_to_a_later_batch(app, make):
    one = publisher(make)
    a = partner_app(app, one.id)
    approved(app, a, 60_000)
    clawback(app, partner_app(app, one.id), 20_000)
    assert run(app).payout is None  # net 40,000: under the minimum, nothing written
    assert count(app, Payout) == 0
    assert count(app, LedgerEntry, LedgerEntry.bucket == Bucket.PAID) == 0
    approved(app, a, 15_000)
    assert run(app).payout.total == 55_000


def test_running_twice_pays_nothing_twice_and_numbers_the_days_batches(app, make, clock):
    clock.set(MOMENT)
    one = publisher(make)
    a = partner_app(app, one.id)
    approved(app, a, 60_000)
    first = run(app).payout
    assert run(app).payout is None  # the second finds 0
    assert count(app, Payout) == 1
    assert count(app, LedgerEntry, LedgerEntry.bucket == Bucket.PAID) == 1
    approved(app, a, 50_000)
    second = run(app).payout
    assert (first.number, second.number) == ("PO-20261202-0001", "PO-20261202-0002")
    assert second.total == 50_000
    assert balance(app, Bucket.PAID, LedgerEntry.app_id == a) == 110_000


def test_the_minimum_is_a_setting(app, make, monkeypatch):
    one = publisher(make)
    approved(app, partner_app(app, one.id), 10_000)
    assert run(app).payout is None
    monkeypatch.setitem(app.config, "PAYOUT_MINIMUM", 10_000)
    assert run(app).payout.total == 10_000


def test_the_bank_csv_has_one_transfer_per_publisher_safe_from_formulas(app, make):
    one = publisher(make)
    two = publisher(make, account=False)
    with app.app_context():
        db.session.add(
            PayoutAccount(publisher_id=two.id, account_name="=HYPERLINK(\"http://x\")",
                          bank="+BPI", account_number="1234567890")
        )  # fmt: skip
        db.session.commit()
    approved(app, partner_app(app, one.id), 123_456)
    approved(app, partner_app(app, two.id), 50_000)
    payout = run(app).payout
    with app.app_context():
        body = payouts.payout_csv(payout.id)
    assert body.startswith("account_name,bank,account_number,amount,reference\r\n")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1:] == [
        [f"{one.name} Ventures", "BDO Unibank", "001234567890", "1234.56",
         f"{payout.number}-{one.id}"],
        ["'=HYPERLINK(\"http://x\")", "'+BPI", "1234567890", "500.00",
         f"{payout.number}-{two.id}"],
    ]  # fmt: skip


# --- The command -----------------------------------------------------------------------------


def test_flask_shop_payout_makes_the_batch_and_writes_its_bank_file(
    app, make, runner, tmp_path, monkeypatch, clock
):
    clock.set(MOMENT)
    one = publisher(make, email="lakbay@example.com")
    nobody = publisher(make, account=False, email="noaccount@example.com")
    approved(app, partner_app(app, one.id), 75_050)
    approved(app, partner_app(app, nobody.id), 90_000)
    monkeypatch.setitem(app.config, "PAYOUT_CSV_DIR", str(tmp_path / "payouts"))
    result = runner.invoke(args=["shop", "payout"])
    assert result.exit_code == 0, result.output
    assert "Payout PO-20261202-0001: 1 publisher, ₱750.50." in result.output
    assert "lakbay@example.com" in result.output
    assert "Skipped noaccount@example.com: owed ₱900.00, no payout account." in result.output
    written = tmp_path / "payouts" / "PO-20261202-0001.csv"
    assert f"Bank file: {written}" in result.output
    with app.app_context():
        payout = db.session.scalar(sa.select(Payout))
        assert written.read_bytes().decode() == payouts.payout_csv(payout.id)
    again = runner.invoke(args=["shop", "payout", "--csv", str(tmp_path / "x.csv")])
    assert again.exit_code == 0 and "Nothing to pay." in again.output
    assert not (tmp_path / "x.csv").exists()
    assert count(app, Payout) == 1


def test_flask_shop_payout_writes_to_csv_path(app, make, runner, tmp_path):
    approved(app, partner_app(app, publisher(make).id), 50_000)
    target = tmp_path / "deep" / "bank.csv"
    result = runner.invoke(args=["shop", "payout", "--csv", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes().decode().count("\r\n") == 2


# --- The operator's screen -------------------------------------------------------------------


@pytest.fixture
def admin(client, make):
    user = make.user(role=Role.ADMIN, email="ops@example.com")
    log_in(client, user.email)
    return client


def test_the_operator_sees_what_a_batch_would_pay_and_makes_it(app, admin, make):
    paid = publisher(make, name="Lakbay")
    unpaid = publisher(make, account=False, name="Walang Account")
    approved(app, partner_app(app, paid.id), 62_500)
    approved(app, partner_app(app, unpaid.id), 70_000)
    page = admin.get("/admin/payouts/")
    assert page.status_code == 200
    body = text(page)
    assert "₱500.00" in body  # the minimum
    assert "Lakbay" in body and "₱625.00" in body
    assert "Walang Account" in body and "skipped: no account" in body
    token = csrf_token(admin, "/admin/payouts/")
    unconfirmed = admin.post("/admin/payouts/", data={"csrf_token": token})
    assert unconfirmed.status_code == 422
    assert "Tick the box to confirm" in text(unconfirmed)
    assert admin.post("/admin/payouts/", data={"confirm": "yes"}).status_code == 400  # no CSRF
    assert count(app, Payout) == 0
    made = admin.post("/admin/payouts/", data={"csrf_token": token, "confirm": "yes"})
    assert made.status_code == 303
    with app.app_context():
        number = db.session.scalar(sa.select(Payout.number))
    assert made.headers["Location"].endswith(f"/admin/payouts/{number}")
    batch = admin.get(made.headers["Location"])
    assert batch.status_code == 200
    assert "Lakbay Ventures" in text(batch) and f"{number}-{paid.id}" in text(batch)
    assert "Left out, no payout account" in text(batch)
    download = admin.get(f"/admin/payouts/{number.lower()}/bank.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert f'filename="{number}.csv"' in download.headers["Content-Disposition"]
    assert "Lakbay Ventures,BDO Unibank,001234567890,625.00" in download.get_data(as_text=True)
    listing = text(admin.get("/admin/payouts/"))
    assert number in listing and "ops@example.com" in listing
    again = admin.post("/admin/payouts/", data={"csrf_token": token, "confirm": "yes"})
    assert again.status_code == 303 and again.headers["Location"].endswith("/admin/payouts/")
    assert "Nothing to pay" in text(admin.get("/admin/payouts/"))
    assert count(app, Payout) == 1


@pytest.mark.parametrize(
    "path", ["/admin/payouts/PO-20261201-0001", "/admin/payouts/junk",
             "/admin/payouts/PO-20261201-0001/bank.csv", "/admin/payouts/" + "P" * 300],
)  # fmt: skip
def test_an_unknown_batch_is_404(admin, path):
    assert admin.get(path).status_code == 404


@pytest.mark.parametrize("role", [Role.PUBLISHER, Role.SHOPPER, Role.CLERK])
def test_only_an_operator_opens_the_payout_screen(app, client, make, role):
    user = make.user(role=role)
    log_in(client, user.email)
    assert client.get("/admin/payouts/").status_code == 403
    token = csrf_token(client, "/account")
    response = client.post("/admin/payouts/", data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 403
    assert count(app, Payout) == 0


def test_a_visitor_is_sent_to_log_in(client):
    assert client.get("/admin/payouts/").status_code in (302, 303)
    assert client.get("/partners/payouts").status_code in (302, 303)


# --- The publisher's pages -------------------------------------------------------------------


def test_a_publisher_saves_where_they_are_paid(app, client, make):
    user = publisher(make, account=False)
    log_in(client, user.email)
    page = client.get("/partners/payouts")
    assert page.status_code == 200 and "You have no payout account yet" in text(page)
    token = csrf_token(client, "/partners/payouts")
    for data, message, field in [
        ({"account_name": "Juan", "bank": "BDO", "account_number": "12ab"},
         "6 to 34 digits", "account_number"),
        ({"account_name": "", "bank": "BDO", "account_number": "1234567890"},
         "Enter the account name", "account_name"),
        ({"account_name": "=cmd", "bank": "BDO", "account_number": "1234567890"},
         "starts with a letter or digit", "account_name"),
        ({"account_name": "Juan", "bank": "B" * 81, "account_number": "1234567890"},
         "at most 80", "bank"),
        ({"account_name": "Juan", "bank": "BDO", "account_number": "1" * 35},
         "6 to 34 digits", "account_number"),
        ({"account_name": ["a", "b"], "bank": "BDO", "account_number": "1234567890"},
         "Enter the account name", "account_name"),
    ]:  # fmt: skip
        response = client.post("/partners/payouts", data=data | {"csrf_token": token})
        assert response.status_code == 422, data
        assert message in text(response)
        assert f'id="payout-{field}"' in response.get_data(as_text=True)
        assert re.search(rf'id="payout-{field}"[^>]*aria-invalid="true"', text(response))
    assert count(app, PayoutAccount) == 0
    saved = client.post(
        "/partners/payouts",
        data={"account_name": " Juan  dela Cruz ", "bank": "BPI", "csrf_token": token,
              "account_number": "1234-5678 90"},
    )  # fmt: skip
    assert saved.status_code == 303
    account = make.get(PayoutAccount, user.id)
    assert (account.account_name, account.bank, account.account_number) == (
        "Juan dela Cruz",
        "BPI",
        "1234567890",
    )
    client.post(
        "/partners/payouts",
        data={"account_name": "Juan", "bank": "GCash", "account_number": "09171234567",
              "csrf_token": token},
    )  # fmt: skip
    assert make.get(PayoutAccount, user.id).bank == "GCash"
    assert count(app, PayoutAccount) == 1


def test_a_publisher_reads_their_payouts_and_statements(app, client, make):
    shopper = app.test_client()
    order_id, order_number = a_real_order(shopper, make)
    me, other = publisher(make), publisher(make)
    mine = partner_app(app, me.id, name="Lakbay Travel")
    second = partner_app(app, me.id, name="Lakbay Deals")
    approved(app, mine, 61_000, order_id)
    clawback(app, second, 4_000, order_id)
    approved(app, partner_app(app, other.id), 70_000)
    payout = run(app).payout
    log_in(client, me.email)
    listing = text(client.get("/partners/payouts"))
    assert payout.number in listing and "₱570.00" in listing
    assert "₱700.00" not in listing  # the other publisher's line
    page = client.get(f"/partners/payouts/{payout.number}")
    assert page.status_code == 200
    body = text(page)
    assert "Lakbay Travel" in body and "Lakbay Deals" in body and order_number in body
    assert "clawback netted" in body and "-₱40.00" in body and "₱610.00" in body
    assert "•••• 7890" in body and "001234567890" not in body
    download = client.get(f"/partners/payouts/{payout.number}/statement.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == ["payout", "app", "order", "kind", "amount_centavos", "amount"]
    assert sorted(rows[1:]) == sorted([
        [payout.number, "Lakbay Travel", order_number, "paid", "61000", "610.00"],
        [payout.number, "Lakbay Deals", order_number, "clawback netted", "-4000", "-40.00"],
    ])  # fmt: skip
    assert sum(int(r[4]) for r in rows[1:]) == 57_000


def test_another_publishers_payout_is_404_as_an_unknown_one(app, client, make):
    me, other = publisher(make), publisher(make)
    approved(app, partner_app(app, me.id), 50_000)
    approved(app, partner_app(app, other.id), 50_000)
    payout = run(app).payout  # pays both: the batch exists, and paid me too
    third = publisher(make)
    log_in(client, third.email)
    for path in [f"/partners/payouts/{payout.number}",
                 f"/partners/payouts/{payout.number}/statement.csv",
                 "/partners/payouts/PO-20261201-9999", "/partners/payouts/junk"]:  # fmt: skip
        assert client.get(path).status_code == 404, path
    log_in(client, me.email)
    assert client.get(f"/partners/payouts/{payout.number}").status_code == 200


def test_only_a_publisher_opens_the_publisher_payout_pages(app, client, make):
    log_in(client, make.user(role=Role.ADMIN).email)
    assert client.get("/partners/payouts").status_code == 403
    token = csrf_token(client, "/account")
    response = client.post(
        "/partners/payouts",
        data={"account_name": "Juan", "bank": "BDO", "account_number": "1234567890",
              "csrf_token": token},
    )  # fmt: skip
    assert response.status_code == 403
    assert count(app, PayoutAccount) == 0


def test_a_return_after_a_payout_is_taken_from_the_next_one(app, make):
    one = publisher(make)
    a = partner_app(app, one.id)
    approved(app, a, 60_000, None)
    first = run(app).payout
    clawback(app, a, 10_000)  # a return of an order the first batch paid
    with app.app_context():
        assert payouts.approved_balances() == {one.id: -10_000}
    assert run(app).payout is None  # nothing to pay: the debt is carried
    approved(app, a, 70_000)
    second = run(app).payout
    assert (first.total, second.total) == (60_000, 60_000)
    assert balance(app, Bucket.APPROVED, LedgerEntry.app_id == a) == 0
    assert balance(app, Bucket.PAID, LedgerEntry.app_id == a) == 120_000
    assert balance(app, Bucket.REVERSED, LedgerEntry.app_id == a) == 10_000
    with app.app_context():
        lines = db.session.scalars(sa.select(PayoutLine.amount).order_by(PayoutLine.id)).all()
    assert lines == [60_000, 60_000]
