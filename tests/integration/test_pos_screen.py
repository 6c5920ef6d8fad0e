"""The counter (POS) screen (issue #10, point 4), through HTTP on both databases: arrivals,
the one code box, the prepaid claim in 2 inputs, the COD claim in 3 with its AR, several
packages, the refusals (wrong branch reads as unknown, already claimed, expired, not arrived,
a typo refused before any lookup), the void, the signature, drop-off; every step's query
count."""

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from shop.auth.models import Role
from shop.branches.models import Branch, BranchKind
from shop.codes import damm_check_digit
from shop.counter.models import ClaimSignature, Receipt
from shop.extensions import db, limiter
from shop.fulfillment import service as ecms
from shop.fulfillment.models import PackageEvent
from shop.fulfillment.models import PackageState as S
from shop.transaction import transaction
from tests.conftest import csrf_token, log_in, text
from tests.integration.test_ecms_lifecycle import FITS, call, events, package, reserved, ship

MOMENT = datetime(2026, 7, 14, 1, 0, tzinfo=UTC)  # Tue 14 Jul, 9:00 AM in Manila
HX = {"HX-Request": "true"}


def _login(app, user, terminal="POS-1", shift="2"):
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    token = csrf_token(client, "/counter/pos")
    chosen = client.post(
        "/counter/pos/counter", data={"csrf_token": token, "terminal": terminal, "shift": shift}
    )
    assert chosen.status_code == 303
    return client, token


@pytest.fixture
def pos(app, make, monkeypatch, clock):
    monkeypatch.setattr(limiter, "enabled", False)
    clock.set(MOMENT)
    dc = make.branch(code="DC-PASIG", name="DC Pasig", kind=BranchKind.DC, shelf_capacity=5000)
    a = make.branch(code="0412", name="7-Eleven Ayala Triangle", shelf_capacity=50)
    b = make.branch(code="0103", name="7-Eleven Cubao Aurora", shelf_capacity=50)
    dc_user = ecms.Actor.of(make.user(role=Role.DC, name="Rosa DC", branch_id=dc.id))
    ana = make.user(role=Role.CLERK, name="Ana Santos", branch_id=a.id)
    client, token = _login(app, ana)
    return dict(client=client, token=token, dc=dc, a=a, b=b, dc_user=dc_user, ana=ana)


def _in_transit(app, w, shipped):
    for number in shipped.numbers:
        call(app, ecms.drop_off, number, w["dc_user"])
        call(app, ecms.accept, number, w["dc_user"], inspection=FITS)
        call(app, ecms.dispatch, number, w["dc_user"])


def _at_branch(app, w, branch=None, **kwargs):
    shipped = ship(app, branch or w["a"], **kwargs)
    _in_transit(app, w, shipped)
    clerk = ecms.Actor.of(w["ana"]) if branch is None else ecms.Actor("admin", "Operator")
    for number in shipped.numbers:
        call(app, ecms.arrive, number, clerk)
    return shipped


def _post(w, path, client=None, htmx=True, **data):
    return (client or w["client"]).post(
        path, data={"csrf_token": w["token"], **data}, headers=HX if htmx else {}
    )


def _code(w, code, **kwargs):
    return _post(w, "/counter/pos/code", code=code, **kwargs)


def _step(w, code, labels=(), label="", **data):
    return _post(
        w, f"/counter/pos/claim/{code}", labels=list(labels), label=label,
        id_type=data.pop("id_type", "Driver's license"), **data,
    )  # fmt: skip


def _open(w, code):
    """The code box: a 303 to the claim panel, which htmx follows."""
    answer = _code(w, code)
    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"].endswith(f"/counter/pos/claim/{code}")
    return w["client"].get(answer.headers["Location"], headers=HX)


def test_a_prepaid_claim_takes_two_inputs(app, pos):
    shipped = _at_branch(app, pos)
    panel = _open(pos, shipped.code)  # input 1: the code
    assert panel.status_code == 200
    assert 'class="pos__name" id="claim-name">Juan dela Cruz<' in panel.text
    assert 'id="claim-label"' in panel.text and "autofocus" in panel.text
    assert "package 1 of 1" in panel.text
    released = _step(pos, shipped.code, label=shipped.numbers[0])  # input 2: the label
    assert released.status_code == 200, released.text
    assert "Released to Juan dela Cruz" in released.text
    assert "Acknowledgement Receipt" not in released.text  # prepaid: no AR
    assert package(app, shipped.numbers[0]).state is S.CLAIMED
    claim = [e for e in events(app, shipped.numbers[0]) if e.action == "claim"][0]
    assert (claim.terminal, claim.shift, claim.actor, claim.branch_id) == (
        "POS-1", "2", "Ana Santos", pos["a"].id,
    )  # fmt: skip
    assert claim.detail["id_type"] == "Driver's license"


def test_a_cod_claim_takes_three_inputs_and_prints_the_ar(app, pos):
    shipped = _at_branch(app, pos, cod=45_000)
    panel = _open(pos, shipped.code)
    assert "Due ₱450.00" in panel.text
    cash_step = _step(pos, shipped.code, label=shipped.numbers[0])
    assert cash_step.status_code == 200
    assert 'id="claim-cash"' in cash_step.text and "autofocus" in cash_step.text
    assert package(app, shipped.numbers[0]).state is S.AT_BRANCH  # not yet
    short = _step(pos, shipped.code, labels=[shipped.numbers[0]], cash_received="400")
    assert short.status_code == 422 and "less than the amount due" in short.text
    released = _step(pos, shipped.code, labels=[shipped.numbers[0]], cash_received="1,000")
    assert released.status_code == 200, released.text
    text = released.text
    assert "Acknowledgement Receipt" in text and "Change" in text and "₱550.00" in text
    number = re.search(r"AR No\. <strong>([^<]+)</strong>", text).group(1)
    assert number == "AR-0412-20260714-0001"
    for shown in ("7-Eleven Ayala Triangle", "POS-1", "Ana Santos", "14 Jul 2026", "₱1,000.00"):
        assert shown in text, shown
    receipt = call(app, lambda: db.session.scalar(sa.select(Receipt)))
    assert (receipt.amount_due, receipt.cash_received, receipt.change) == (45_000, 100_000, 55_000)
    assert (receipt.terminal, receipt.shift, receipt.clerk_name) == ("POS-1", "2", "Ana Santos")
    page = pos["client"].get(f"/counter/pos/receipts/{number}")
    assert page.status_code == 200 and number in page.text and "₱550.00" in page.text

    second = _at_branch(app, pos, cod=10_000)
    _step(pos, second.code, label=second.numbers[0])
    again = _step(pos, second.code, labels=[second.numbers[0]], cash_received="100")
    assert "AR-0412-20260714-0002" in again.text and "Change" in again.text


def test_every_label_of_several_packages_and_the_missing_one_named(app, pos):
    shipped = _at_branch(app, pos, packages=3)
    first, second, third = shipped.numbers
    _open(pos, shipped.code)
    one = _step(pos, shipped.code, label=first)
    assert one.status_code == 200
    grouped = " ".join(second[i : i + 4] for i in range(0, 12, 4))
    assert f"package 2 of 3: {grouped}" in one.text
    assert "Scanned 1 of 3" in one.text
    stranger = _at_branch(app, pos).numbers[0]
    refused = _step(pos, shipped.code, labels=[first], label=stranger)
    assert refused.status_code == 409 and "is not this order" in text(refused)
    assert f"package 2 of 3: {grouped}" in refused.text  # the panel as it was
    two = _step(pos, shipped.code, labels=[first], label=third)
    assert "package 2 of 3" in two.text and "Scanned 2 of 3" in two.text
    done = _step(pos, shipped.code, labels=[first, third], label=second)
    assert "3 packages released" in done.text
    assert {package(app, n).state for n in shipped.numbers} == {S.CLAIMED}


def test_another_branchs_code_reads_as_an_unknown_one(app, pos, count_queries):
    theirs = _at_branch(app, pos, branch=pos["b"])
    body = theirs.code[:-1]
    unknown = body[:-1] + str((int(body[-1]) + 1) % 10)
    unknown += damm_check_digit(unknown)
    answers = [_open_status(pos, code) for code in (theirs.code, unknown)]
    assert answers[0] == answers[1]
    assert answers[0][0] == 404


def _open_status(w, code):
    answer = _open(w, code)
    return answer.status_code, re.sub(r"\s+", " ", answer.text)


def test_a_mistyped_code_is_refused_before_any_lookup(app, pos, count_queries):
    shipped = _at_branch(app, pos)
    typo = shipped.code[:-1] + str((int(shipped.code[-1]) + 1) % 10)
    with count_queries() as queries:
        answer = _code(pos, typo)
    assert answer.status_code == 422 and "typo" in answer.text
    assert not [q for q in queries if re.search(r"shipments|packages|codes", q)], queries


def test_a_tracking_number_in_the_code_box_says_where_it_goes(app, pos):
    # PAY and RETURN CODEs open their panels (test_pos_codes.py); a tracking number has none.
    pay = "1" + "0" * 12
    pay += damm_check_digit(pay)
    assert _code(pos, pay).headers["Location"].endswith(f"/counter/pos/pay/{pay}")
    tracking = "7" + "0" * 10
    tracking += damm_check_digit(tracking)
    answer = _code(pos, tracking)
    assert answer.status_code == 422
    assert "That is a package's tracking number: scan it under Arrivals or Drop-off" in text(answer)


def test_already_claimed_expired_and_not_arrived_each_say_so(app, pos, clock):
    claimed = _at_branch(app, pos)
    _step(pos, claimed.code, label=claimed.numbers[0])
    assert "Already picked up" in _open(pos, claimed.code).text

    late = _at_branch(app, pos)
    clock.set(MOMENT + timedelta(days=8))
    expired = _open(pos, late.code)
    assert expired.status_code == 409 and "pickup deadline passed" in expired.text
    clock.set(MOMENT)

    coming = ship(app, pos["a"])
    _in_transit(app, pos, coming)
    answer = _open(pos, coming.code)
    assert answer.status_code == 409 and "hasn't arrived" in text(answer)


def _release(app, w, client=None, cod=0):
    shipped = _at_branch(app, w, cod=cod)
    data = {"cash_received": str(cod // 100)} if cod else {}
    _post(w, f"/counter/pos/claim/{shipped.code}", client=client, label=shipped.numbers[0],
          id_type="Passport")  # fmt: skip
    if cod:
        _post(w, f"/counter/pos/claim/{shipped.code}", client=client,
              labels=[shipped.numbers[0]], id_type="Passport", **data)  # fmt: skip
    assert package(app, shipped.numbers[0]).state is S.CLAIMED
    return shipped


def test_the_same_clerk_voids_a_release_within_the_window(app, pos, clock):
    shipped = _release(app, pos, cod=20_000)
    before = reserved(app, pos["a"])
    deadline = package(app, shipped.numbers[0]).pickup_deadline
    clock.set(MOMENT + timedelta(minutes=9))
    assert _post(pos, "/counter/pos/void", code=shipped.code, reason="").status_code == 422
    voided = _post(pos, "/counter/pos/void", code=shipped.code, reason="wrong shopper")
    assert voided.status_code == 200, voided.text
    assert "Release voided" in voided.text and "₱200.00" in voided.text and "VOID" in voided.text
    back = package(app, shipped.numbers[0])
    assert back.state is S.AT_BRANCH and back.pickup_deadline == deadline
    assert back.location_id == pos["a"].id
    assert reserved(app, pos["a"]) == before + 1
    event = events(app, shipped.numbers[0])[-1]
    assert (event.action, event.detail["reason"], event.terminal) == (
        "void_claim", "wrong shopper", "POS-1",
    )  # fmt: skip
    receipt = call(app, lambda: db.session.scalar(sa.select(Receipt)))
    assert receipt.voided_at is not None and receipt.void_reason == "wrong shopper"
    ar = pos["client"].get(f"/counter/pos/receipts/{receipt.number}").text
    assert "VOID" in ar and "Cash taken back: ₱200.00" in ar
    # and it can be claimed again
    again = _step(pos, shipped.code, label=shipped.numbers[0])
    assert again.status_code == 200 and 'id="claim-cash"' in again.text


def test_a_void_is_refused_to_another_clerk_and_after_the_window(app, make, pos, clock):
    shipped = _release(app, pos)
    ben = make.user(role=Role.CLERK, name="Ben Reyes", branch_id=pos["a"].id)
    ben_client, ben_token = _login(app, ben, terminal="POS-2")
    other = ben_client.post(
        "/counter/pos/void",
        data={"csrf_token": ben_token, "code": shipped.code, "reason": "my mistake"},
        headers=HX,
    )
    assert other.status_code == 403 and "Only the clerk who released" in text(other)
    clock.set(MOMENT + timedelta(minutes=11))
    late = _post(pos, "/counter/pos/void", code=shipped.code, reason="wrong shopper")
    assert late.status_code == 409 and "within 10 minutes" in late.text
    assert package(app, shipped.numbers[0]).state is S.CLAIMED


def _png() -> str:
    import struct
    import zlib

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\xff" * 3 * 20 for _ in range(10))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 20, 10, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()


def test_a_branch_asking_for_a_signature_refuses_without_it(app, pos):
    with app.app_context(), transaction():
        db.session.get(Branch, pos["a"].id).signature_required = True
    shipped = _at_branch(app, pos)
    panel = _open(pos, shipped.code)
    assert "data-signature-pad" in panel.text and "needs JavaScript" in panel.text
    refused = _step(pos, shipped.code, label=shipped.numbers[0])
    assert refused.status_code == 422 and "signature" in refused.text
    assert package(app, shipped.numbers[0]).state is S.AT_BRANCH
    gif = "data:image/png;base64," + base64.b64encode(b"GIF89a" + b"0" * 80).decode()
    huge = _png()[:30] + "A" * 100_000
    html = "data:text/html;base64,PGI+"
    for bad in ["data:image/png;base64,!!!", html, "x" * 100_000, gif, huge]:
        answer = _step(pos, shipped.code, labels=[shipped.numbers[0]], signature=bad)
        assert answer.status_code == 422, bad[:30]
    signed = _step(pos, shipped.code, labels=[shipped.numbers[0]], signature=_png())
    assert signed.status_code == 200 and "Released" in signed.text
    kept = call(app, lambda: db.session.scalar(sa.select(ClaimSignature)))
    event = call(app, db.session.get, PackageEvent, kept.event_id)
    assert event.action == "claim" and kept.png.startswith(b"\x89PNG")


def test_arrivals_by_label_and_by_whole_trip(app, pos):
    from shop.counter import service as counter

    one = ship(app, pos["a"])
    _in_transit(app, pos, one)
    page = pos["client"].get("/counter/pos").text
    assert "On the way here: 1 package" in page
    arrived = _post(pos, "/counter/pos/arrive", tracking_number=one.numbers[0])
    assert (
        arrived.status_code == 200 and "Taken in" in arrived.text and "pickup until" in arrived.text
    )
    assert package(app, one.numbers[0]).state is S.AT_BRANCH
    again = _post(pos, "/counter/pos/arrive", tracking_number=one.numbers[0])
    assert again.status_code == 409

    trip_packages = ship(app, pos["a"], packages=2)
    for number in trip_packages.numbers:
        call(app, ecms.drop_off, number, pos["dc_user"])
        call(app, ecms.accept, number, pos["dc_user"], inspection=FITS)
    trip = call(app, lambda: counter.dispatch_trip(
        pos["dc_user"], pos["a"].id, False, trip_packages.numbers).number)  # fmt: skip
    assert f"Trip {trip}" in pos["client"].get("/counter/pos").text
    whole = _post(pos, "/counter/pos/arrive-trip", trip=trip)
    assert whole.status_code == 200 and "Taken in" in whole.text
    assert {package(app, n).state for n in trip_packages.numbers} == {S.AT_BRANCH}
    assert _post(pos, "/counter/pos/arrive-trip", trip="T-20260101-000000").status_code == 404

    theirs = ship(app, pos["b"])
    _in_transit(app, pos, theirs)
    other = _post(pos, "/counter/pos/arrive", tracking_number=theirs.numbers[0])
    unknown = _post(
        pos, "/counter/pos/arrive", tracking_number="70000000000" + damm_check_digit("70000000000")
    )
    assert other.status_code == unknown.status_code == 404
    assert other.text == unknown.text


def test_a_drop_off_at_the_counter(app, pos):
    shipped = ship(app, pos["b"])
    answer = _post(pos, "/counter/pos/drop-off", tracking_number=shipped.numbers[0])
    assert answer.status_code == 200 and "Received" in answer.text
    dropped = package(app, shipped.numbers[0])
    assert dropped.state is S.RECEIVED and dropped.location_id == pos["a"].id
    assert (
        _post(pos, "/counter/pos/drop-off", tracking_number=shipped.numbers[0]).status_code == 409
    )


def test_without_js_every_step_is_a_page(app, pos):
    shipped = _at_branch(app, pos, cod=5_000)
    answer = _code(pos, shipped.code, htmx=False)
    assert answer.status_code == 303
    page = pos["client"].get(answer.headers["Location"])
    assert "<html" in page.text and 'id="claim-label"' in page.text
    assert page.text.count("autofocus") == 1
    cash = _post(pos, f"/counter/pos/claim/{shipped.code}", htmx=False,
                 label=shipped.numbers[0], id_type="Passport")  # fmt: skip
    assert "<html" in cash.text and 'id="claim-cash"' in cash.text
    done = _post(pos, f"/counter/pos/claim/{shipped.code}", htmx=False,
                 labels=[shipped.numbers[0]], id_type="Passport", cash_received="50")  # fmt: skip
    assert "<html" in done.text and "Acknowledgement Receipt" in done.text
    assert re.search(r'id="pos-code"[^>]*autofocus', done.text)  # next shopper


@pytest.mark.parametrize(
    "typed", ["", "junk", "2" * 14, "9" * 400, "١٢٣", "\u200b2", "2123 4567 8901 2"]
)
def test_bad_input_of_every_shape_is_a_4xx(app, pos, typed):
    shipped = _at_branch(app, pos)
    for path, data in [
        ("/counter/pos/code", {"code": typed}),
        ("/counter/pos/arrive", {"tracking_number": typed}),
        ("/counter/pos/arrive-trip", {"trip": typed}),
        ("/counter/pos/drop-off", {"tracking_number": typed}),
        ("/counter/pos/void", {"code": typed, "reason": "a reason"}),
        ("/counter/pos/void", {"code": shipped.code, "reason": typed}),
        (f"/counter/pos/claim/{shipped.code}", {"label": typed, "id_type": "Passport"}),
        (f"/counter/pos/claim/{shipped.code}", {"labels": typed, "id_type": "Passport"}),
        (f"/counter/pos/claim/{shipped.code}", {"label": shipped.numbers[0], "id_type": typed}),
        (f"/counter/pos/claim/{shipped.code}",
         {"label": shipped.numbers[0], "id_type": "Passport", "cash_received": typed or "x"}),
    ]:  # fmt: skip
        answer = _post(pos, path, **data)
        assert 400 <= answer.status_code < 500, (path, data, answer.status_code)
        assert 'role="alert"' in answer.text, (path, data)
    for path in (f"/counter/pos/claim/{typed or 'x'}", f"/counter/pos/receipts/{typed or 'x'}"):
        answer = pos["client"].get(path, headers=HX)
        assert 400 <= answer.status_code < 500, path
    assert package(app, shipped.numbers[0]).state is S.AT_BRANCH


def test_only_clerks_and_operators_get_in_and_only_after_the_counter(app, make, pos):
    for role in (Role.SHOPPER, Role.DC):
        client = app.test_client()
        log_in(client, make.user(role=role).email)
        assert client.get("/counter/pos").status_code == 403
    fresh = app.test_client()
    log_in(fresh, make.user(role=Role.CLERK, branch_id=pos["a"].id).email)
    assert "Where are you working?" in fresh.get("/counter/pos").text
    token = csrf_token(fresh, "/counter/pos")
    refused = fresh.post("/counter/pos/code", data={"csrf_token": token, "code": "junk"})
    assert refused.status_code == 409
    # the DC's own counter is still its own
    assert pos["client"].get("/counter/dc").status_code == 403


def test_a_receipt_of_another_branch_reads_as_unknown(app, make, pos):
    _release(app, pos, cod=10_000)
    number = call(app, lambda: db.session.scalar(sa.select(Receipt.number)))
    ben = make.user(role=Role.CLERK, name="Ben", branch_id=pos["b"].id)
    client, _ = _login(app, ben)
    assert client.get(f"/counter/pos/receipts/{number}").status_code == 404
    assert client.get("/counter/pos/receipts/AR-0000-20260101-0001").status_code == 404


def test_the_lookups_are_limited_per_clerk_and_per_address(app, make, pos, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", True)
    monkeypatch.setitem(app.config, "POS_LOOKUPS_PER_CLERK", "3 per minute")
    monkeypatch.setitem(app.config, "POS_LOOKUPS_PER_ADDRESS", "5 per minute")
    limiter.reset()
    statuses = [_code(pos, "junk").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    ben = make.user(role=Role.CLERK, name="Ben", branch_id=pos["a"].id)
    client, token = _login(app, ben)  # another clerk, the same address
    more = [
        client.post("/counter/pos/code", data={"csrf_token": token, "code": "junk"}).status_code
        for _ in range(3)
    ]
    assert 429 in more  # within his own 3: the address's 5 are spent
    limiter.reset()


def test_each_pos_step_costs_few_queries(app, pos, count_queries):
    shipped = _at_branch(app, pos, cod=30_000)
    counts = {}
    with count_queries() as q:
        pos["client"].get("/counter/pos")
    counts["page"] = len(q)
    with count_queries() as q:
        _code(pos, shipped.code)
    counts["code"] = len(q)
    with count_queries() as q:
        pos["client"].get(f"/counter/pos/claim/{shipped.code}", headers=HX)
    counts["panel"] = len(q)
    with count_queries() as q:
        _step(pos, shipped.code, label=shipped.numbers[0])
    counts["label"] = len(q)
    with count_queries() as q:
        done = _step(pos, shipped.code, labels=[shipped.numbers[0]], cash_received="300")
    counts["cash"] = len(q)
    assert "Acknowledgement Receipt" in done.text
    # The login's user row is one of each; the code box looks nothing else up. The release
    # checks the claim, moves, writes the event, gives the shelf back, queues the mail and
    # numbers the AR (its savepoint is two of these statements). The page: the user, the
    # arrivals (packages, their trips) and what goes back (the pull-out list).
    limits = {"page": 4, "code": 1, "panel": 5, "label": 5, "cash": 16}
    assert all(counts[k] <= limits[k] for k in limits), str(counts)


def test_the_void_window_shown_is_the_setting(app, pos, clock, monkeypatch):
    monkeypatch.setitem(app.config, "VOID_MINUTES", 3)
    shipped = _at_branch(app, pos)
    released = _step(pos, shipped.code, label=shipped.numbers[0])
    assert "within 3 minutes" in released.text and "10 minutes" not in released.text
    clock.set(MOMENT + timedelta(minutes=4))
    late = _post(pos, "/counter/pos/void", code=shipped.code, reason="wrong shopper")
    assert late.status_code == 409 and "within 3 minutes" in late.text


def test_four_counters_numbering_receipts_at_once_get_four_numbers(app, pos, backend, monkeypatch):
    """On PostgreSQL, four counters of one branch issuing a receipt at the same moment (a
    kind whose transaction takes no other row lock: a charge) each get their own number,
    0001 to 0004, none refused. The control: all four read the day's last number before any
    was saved, so some collided on the unique index and drew again. (COD releases at one
    branch queue on its shelf row first, so their ARs never collide.)"""
    if backend != "postgresql":
        pytest.skip("race tests need PostgreSQL: SQLite serializes every writer")
    import threading

    from shop.counter import pos as counter_pos
    from shop.counter import service as counter
    from tests.integration.test_payments import _race

    together = threading.Barrier(4, timeout=20)
    real_date, real_nested = counter_pos.business_date, db.session.begin_nested
    attempts = []

    def waiting_date(moment=None):
        together.wait()  # every counter is about to read the day's last number
        return real_date(moment)

    def counted_nested():
        attempts.append(1)
        return real_nested()

    monkeypatch.setattr(counter_pos, "business_date", waiting_date)
    monkeypatch.setattr(counter_pos.db.session, "begin_nested", counted_nested, raising=False)

    def issue(i):
        actor = ecms.Actor.of(pos["ana"], terminal=f"POS-{i + 1}", shift="1")
        with app.app_context(), transaction():
            receipt = counter.issue_receipt(
                "charge", branch_id=pos["a"].id, actor=actor, amount_due=10_000,
                cash_received=10_000, change=0,
            )  # fmt: skip
            return receipt.number

    numbers = _race(4, issue)
    assert sorted(map(str, numbers)) == [f"CR-0412-20260714-000{n}" for n in range(1, 5)], numbers
    assert len(attempts) > 4, "no two counters collided: the race wasn't run"
