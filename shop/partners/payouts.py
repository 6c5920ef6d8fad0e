"""Payouts (issue #11, point 6): a batch pays every publisher whose approved commission, over
all their apps, is at least PAYOUT_MINIMUM and who has told us where to be paid.

The ledger is append-only (see partners.models). A payout never edits a row: for each order
line (app, order, commission line) of a paid publisher whose approved balance is not zero it
writes ONE row carrying the batch's id, so that every such line's approved balance ends at
exactly zero:

    balance > 0   ->  paid      from approved, amount = balance          reason "payout"
    balance < 0   ->  approved  from paid,     amount = -balance         reason "netted"
                      (a clawback: a return after an earlier payout took more out of approved
                       than came in; this payout recovers it from the paid money)

So the batch's paid sum (what moved into paid less what moved out, rows of this payout) is the
publisher's whole approved balance, which is the payout line's amount: a clawback is netted
against what the publisher earned since, never paid and never lost. A publisher whose net
balance is under the minimum (a clawback bigger than the new earnings included) is left alone
and carried, rows and all, into a later batch. See docs/decisions.md, "Payouts".

Concurrency: `run_payout` reads the balances, then locks the apps of the publishers it will pay
(`FOR NO KEY UPDATE`, in id order: two payouts queue on the first app they share, while the
ledger's own inserts, which only take a key-share lock through their foreign key, are not held
up) and reads the balances again under the lock. A second payout running at the same moment
waits for the first to commit and then finds nothing left to pay.
"""

import csv
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app

from shop import clock
from shop.admin import audit
from shop.auth.models import User
from shop.checkout.models import Order
from shop.counter.remittance import _cell as csv_cell  # the shop's one guard on CSV text cells
from shop.errors import InvalidInput, NotFound
from shop.extensions import db
from shop.partners import events
from shop.partners.models import App, Bucket, LedgerEntry, Payout, PayoutAccount, PayoutLine
from shop.timeutil import MANILA
from shop.transaction import in_transaction, transaction

ATTEMPTS = 5  # a batch number two payouts drew at the same moment: draw again
NUMBER = re.compile(r"^PO-\d{8}-\d{4}$")
REASON_PAID = "payout"
REASON_NETTED = "netted"
ACCOUNT_NAME_LENGTH = 120
BANK_LENGTH = 80
ACCOUNT_NUMBER_DIGITS = (6, 34)  # Philippine accounts have 10 to 16 digits; an IBAN up to 34
CSV_COLUMNS = ("account_name", "bank", "account_number", "amount", "reference")
STATEMENT_COLUMNS = ("payout", "app", "order", "kind", "amount_centavos", "amount")


class PayoutNotFound(NotFound):
    """There is no payout with that number."""


# --- What is owed: sums in the database ------------------------------------------------------


def _approved_delta():
    """A row's effect on its approved balance: +amount into approved, -amount out of it."""
    return sa.case(
        (LedgerEntry.bucket == Bucket.APPROVED, LedgerEntry.amount),
        (LedgerEntry.from_bucket == Bucket.APPROVED, -LedgerEntry.amount),
        else_=0,
    )


def _approved_units():
    return sa.case(
        (LedgerEntry.bucket == Bucket.APPROVED, LedgerEntry.units),
        (LedgerEntry.from_bucket == Bucket.APPROVED, -LedgerEntry.units),
        else_=0,
    )


def _touches_approved():
    return sa.or_(LedgerEntry.bucket == Bucket.APPROVED, LedgerEntry.from_bucket == Bucket.APPROVED)


def approved_balances(publisher_ids: Iterable[int] | None = None) -> dict[int, int]:
    """{publisher id: approved balance in centavos} over all of each publisher's apps, summed in
    the database (one grouped query). Only publishers whose balance is not zero; a negative one
    is a clawback not yet netted. `publisher_ids` limits it to those publishers."""
    balance = sa.func.sum(_approved_delta())
    query = (
        sa.select(App.publisher_id, balance)
        .join(App, App.id == LedgerEntry.app_id)
        .where(_touches_approved())
        .group_by(App.publisher_id)
        .having(balance != 0)
    )
    if publisher_ids is not None:
        query = query.where(App.publisher_id.in_(list(publisher_ids)))
    return {publisher: int(total) for publisher, total in db.session.execute(query).all()}


@dataclass(frozen=True)
class LineBalance:
    """The approved balance of one order line's commission (or of rows without a line)."""

    publisher_id: int
    app_id: int
    order_id: int | None
    line_id: int | None
    amount: int  # centavos; negative: a clawback
    units: int


def _line_balances(app_ids: Collection[int]) -> list[LineBalance]:
    if not app_ids:
        return []
    balance = sa.func.sum(_approved_delta())
    rows = db.session.execute(
        sa.select(
            App.publisher_id,
            LedgerEntry.app_id,
            LedgerEntry.order_id,
            LedgerEntry.line_id,
            balance,
            sa.func.sum(_approved_units()),
        )
        .join(App, App.id == LedgerEntry.app_id)
        .where(_touches_approved(), LedgerEntry.app_id.in_(list(app_ids)))
        .group_by(App.publisher_id, LedgerEntry.app_id, LedgerEntry.order_id, LedgerEntry.line_id)
        .having(balance != 0)
        .order_by(LedgerEntry.app_id, LedgerEntry.order_id, LedgerEntry.line_id)
    ).all()
    return [
        LineBalance(publisher, app, order, line, int(amount), int(units or 0))
        for publisher, app, order, line, amount, units in rows
    ]


# --- The plan: pure, so the rules are tested without a database ------------------------------


@dataclass(frozen=True)
class PublisherPay:
    publisher_id: int
    amount: int  # the net approved balance: what the line pays
    lines: tuple[LineBalance, ...]  # every non-zero line of the publisher's apps


@dataclass(frozen=True)
class Plan:
    pay: tuple[PublisherPay, ...]  # in publisher id order
    no_account: tuple[tuple[int, int], ...]  # (publisher id, balance): owed, but nowhere to pay
    below_minimum: tuple[tuple[int, int], ...]  # (publisher id, balance), carried

    @property
    def total(self) -> int:
        return sum(p.amount for p in self.pay)


def plan_payout(balances: Iterable[LineBalance], accounts: Collection[int], minimum: int) -> Plan:
    """Who a batch pays: each publisher whose net approved balance (every line of every app,
    clawbacks included) is at least `minimum` and who is in `accounts`; the others are listed,
    carried to a later batch. Pure: the same balances give the same plan."""
    by_publisher: dict[int, list[LineBalance]] = defaultdict(list)
    for line in balances:
        if line.amount:
            by_publisher[line.publisher_id].append(line)
    pay, no_account, below = [], [], []
    for publisher_id in sorted(by_publisher):
        lines = by_publisher[publisher_id]
        amount = sum(line.amount for line in lines)
        if amount < minimum or amount <= 0:
            below.append((publisher_id, amount))
        elif publisher_id not in accounts:
            no_account.append((publisher_id, amount))
        else:
            pay.append(PublisherPay(publisher_id, amount, tuple(lines)))
    return Plan(tuple(pay), tuple(no_account), tuple(below))


def rows_for(line: LineBalance, payout_id: int | None, at: datetime) -> LedgerEntry:
    """The one ledger row that brings `line`'s approved balance to zero in a payout."""
    if line.amount > 0:
        bucket, from_bucket, reason = Bucket.PAID, Bucket.APPROVED, REASON_PAID
    else:
        bucket, from_bucket, reason = Bucket.APPROVED, Bucket.PAID, REASON_NETTED
    return LedgerEntry(
        app_id=line.app_id,
        order_id=line.order_id,
        line_id=line.line_id,
        bucket=bucket,
        from_bucket=from_bucket,
        units=abs(line.units),
        amount=abs(line.amount),
        reason=reason,
        payout_id=payout_id,
        created_at=at,
    )


# --- Running a batch -------------------------------------------------------------------------


def minimum() -> int:
    return int(current_app.config["PAYOUT_MINIMUM"])


def _accounts(publisher_ids: Collection[int]) -> dict[int, PayoutAccount]:
    if not publisher_ids:
        return {}
    found = db.session.scalars(
        sa.select(PayoutAccount).where(PayoutAccount.publisher_id.in_(list(publisher_ids)))
    ).all()
    return {account.publisher_id: account for account in found}


def _candidate_apps() -> list[int]:
    """The apps of every publisher whose approved balance reaches the minimum (read without a
    lock: who to lock)."""
    eligible = [p for p, total in approved_balances().items() if total >= minimum()]
    if not eligible:
        return []
    return list(
        db.session.scalars(
            sa.select(App.id).where(App.publisher_id.in_(eligible)).order_by(App.id)
        ).all()
    )


def _lock_apps(app_ids: list[int]) -> list[int]:
    """Lock these apps' rows in id order (FOR NO KEY UPDATE: payouts wait for each other, the
    ledger's inserts don't wait for a payout). Returns the ids locked."""
    if not app_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(App.id)
            .where(App.id.in_(app_ids))
            .order_by(App.id)
            .with_for_update(key_share=True)
        ).all()
    )


def _number(day) -> str:
    prefix = f"PO-{day:%Y%m%d}-"
    last = db.session.scalar(
        sa.select(sa.func.max(Payout.number)).where(Payout.number.like(prefix + "%"))
    )
    return f"{prefix}{int(last[-4:]) + 1 if last else 1:04d}"


@dataclass(frozen=True)
class Skipped:
    publisher_id: int
    name: str
    email: str
    amount: int


@dataclass(frozen=True)
class PayoutRun:
    payout: Payout | None  # None: nothing to pay, no batch made
    no_account: tuple[Skipped, ...]  # owed at least the minimum, but no payout account


def _people(publisher_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    if not publisher_ids:
        return {}
    rows = db.session.execute(
        sa.select(User.id, User.name, User.email).where(User.id.in_(list(publisher_ids)))
    ).all()
    return {user_id: (name, email) for user_id, name, email in rows}


def _skipped(pairs: Iterable[tuple[int, int]]) -> tuple[Skipped, ...]:
    pairs = list(pairs)
    people = _people([p for p, _ in pairs])
    return tuple(Skipped(p, *people.get(p, ("", "")), amount) for p, amount in pairs)


def _pay(actor: str, at: datetime, operator=None) -> PayoutRun:
    locked = _lock_apps(_candidate_apps())
    # Read again under the lock: a payout that committed while we waited has paid these lines.
    balances = _line_balances(locked)
    publishers = {line.publisher_id for line in balances}
    accounts = _accounts(publishers)
    plan = plan_payout(balances, accounts, minimum())
    skipped = _skipped(plan.no_account)
    if not plan.pay:
        return PayoutRun(None, skipped)
    payout = Payout(
        number=_number(at.astimezone(MANILA).date()),
        created_at=at,
        created_by=actor[:120],
        total=plan.total,
        publishers=len(plan.pay),
    )
    db.session.add(payout)
    db.session.flush()  # the number's unique index decides between two batches drawn at once
    written: list[LedgerEntry] = []
    for owed in plan.pay:
        account = accounts[owed.publisher_id]
        db.session.add(
            PayoutLine(
                payout_id=payout.id,
                publisher_id=owed.publisher_id,
                amount=owed.amount,
                account_name=account.account_name,
                bank=account.bank,
                account_number=account.account_number,
            )
        )
        rows = [rows_for(line, payout.id, at) for line in owed.lines]
        db.session.add_all(rows)
        written += rows
    db.session.flush()
    events.announce(written)  # commission.paid, one event per app of each publisher paid
    who = operator if operator is not None else SimpleNamespace(id=None, email=actor)
    after = {"total": payout.total, "publishers": payout.publishers}
    audit.record(who, "payout.create", "payout", payout.number, None, after)
    return PayoutRun(payout, skipped)


def make_payout(actor: str, now: datetime | None = None, *, operator=None) -> PayoutRun:
    """A payout batch (PO-YYYYMMDD-NNNN, the Manila day, numbered from 0001 each day) of every
    publisher owed at least PAYOUT_MINIMUM with a payout account: its lines, and the ledger rows
    that bring each of their order lines' approved balance to zero (module docstring), in ONE
    transaction. Nothing to pay: no batch (payout None). Run twice, the second pays nothing.
    Also lists who is owed the minimum but has no account. Runs its own transactions (one per
    attempt: a batch number drawn by two payouts at once is drawn again)."""
    if in_transaction():
        raise RuntimeError("make_payout runs its own transactions")
    at = now or clock.now()
    for attempt in range(ATTEMPTS):
        try:
            with transaction():
                run = _pay(actor, at, operator)
            if run.payout is not None:
                db.session.refresh(run.payout)
            return run
        except sa.exc.IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def run_payout(actor: str, now: datetime | None = None) -> Payout | None:
    """make_payout's batch, or None when there was nothing to pay."""
    return make_payout(actor, now).payout


# --- What the operator sees before a run -----------------------------------------------------


@dataclass(frozen=True)
class Owed:
    publisher_id: int
    name: str
    email: str
    amount: int
    has_account: bool
    below_minimum: bool  # carried: less than the minimum (or a clawback not yet netted)
    payable: bool  # at least the minimum, with an account: the next batch pays it


@dataclass(frozen=True)
class Preview:
    minimum: int
    owed: tuple[Owed, ...]  # every publisher with a non-zero approved balance, most owed first

    @property
    def payable(self) -> tuple[Owed, ...]:
        return tuple(o for o in self.owed if o.payable)

    @property
    def total(self) -> int:
        return sum(o.amount for o in self.payable)

    @property
    def no_account(self) -> tuple[Owed, ...]:
        return tuple(o for o in self.owed if not o.below_minimum and not o.has_account)


def preview() -> Preview:
    """What a payout run now would pay, and who it would leave out and why."""
    least = minimum()
    balances = approved_balances()
    accounts = _accounts(list(balances))
    people = _people(list(balances))
    owed = [
        Owed(
            publisher_id=p,
            name=people.get(p, ("", ""))[0],
            email=people.get(p, ("", ""))[1],
            amount=amount,
            has_account=p in accounts,
            below_minimum=amount < least or amount <= 0,
            payable=amount >= least and amount > 0 and p in accounts,
        )
        for p, amount in balances.items()
    ]
    owed.sort(key=lambda o: (-o.amount, o.publisher_id))
    return Preview(least, tuple(owed))


# --- Batches, lines and the bank file --------------------------------------------------------


def recent_payouts(limit: int = 50) -> list[Payout]:
    return list(
        db.session.scalars(
            sa.select(Payout).order_by(Payout.created_at.desc(), Payout.id.desc()).limit(limit)
        ).all()
    )


def _clean_number(number) -> str:
    text = number.strip().upper() if isinstance(number, str) else ""
    if not NUMBER.match(text):
        raise PayoutNotFound()
    return text


def get_payout(number) -> Payout:
    """The batch with that number (any case). Raises PayoutNotFound."""
    payout = db.session.scalar(sa.select(Payout).where(Payout.number == _clean_number(number)))
    if payout is None:
        raise PayoutNotFound()
    return payout


@dataclass(frozen=True)
class BatchLine:
    publisher_id: int
    name: str
    email: str
    amount: int
    account_name: str
    bank: str
    account_number: str


def batch_lines(payout: Payout) -> list[BatchLine]:
    people = _people([line.publisher_id for line in payout.lines])
    return [
        BatchLine(
            line.publisher_id,
            *people.get(line.publisher_id, ("", "")),
            line.amount,
            line.account_name,
            line.bank,
            line.account_number,
        )
        for line in payout.lines
    ]


def reference(payout: Payout, publisher_id: int) -> str:
    """The transfer's reference on the publisher's bank statement: batch and publisher."""
    return f"{payout.number}-{publisher_id}"


def payout_csv(payout_id: int) -> str:
    """The bank upload file of a batch: one transfer per publisher (account_name, bank,
    account_number, amount in pesos with two decimals, reference). Text cells are guarded
    against formula injection. Raises PayoutNotFound."""
    payout = db.session.get(Payout, payout_id)
    if payout is None:
        raise PayoutNotFound()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in payout.lines:
        writer.writerow(
            (
                csv_cell(line.account_name),
                csv_cell(line.bank),
                csv_cell(line.account_number),
                _pesos(line.amount),
                reference(payout, line.publisher_id),
            )
        )
    return out.getvalue()


def _pesos(centavos: int) -> str:
    sign = "-" if centavos < 0 else ""
    return f"{sign}{abs(centavos) // 100}.{abs(centavos) % 100:02d}"


# --- The publisher's side --------------------------------------------------------------------


@dataclass(frozen=True)
class PublisherPayout:
    number: str
    created_at: datetime
    amount: int


def payouts_of(publisher_id: int) -> list[PublisherPayout]:
    """The batches that paid this publisher, newest first."""
    rows = db.session.execute(
        sa.select(Payout.number, Payout.created_at, PayoutLine.amount)
        .join(PayoutLine, PayoutLine.payout_id == Payout.id)
        .where(PayoutLine.publisher_id == publisher_id)
        .order_by(Payout.created_at.desc(), Payout.id.desc())
    ).all()
    return [PublisherPayout(*row) for row in rows]


@dataclass(frozen=True)
class StatementRow:
    app_name: str
    order_number: str | None
    kind: str  # "paid" or "clawback netted"
    amount: int  # signed: a netted clawback is negative


@dataclass(frozen=True)
class Statement:
    number: str
    created_at: datetime
    amount: int  # the payout line: equals the sum of the rows
    account_name: str
    bank: str
    account_number: str
    rows: tuple[StatementRow, ...]

    @property
    def paid(self) -> int:
        return sum(r.amount for r in self.rows if r.amount > 0)

    @property
    def netted(self) -> int:
        return -sum(r.amount for r in self.rows if r.amount < 0)

    @property
    def masked_account(self) -> str:
        return "•••• " + self.account_number[-4:]


def statement(publisher_id: int, number) -> Statement:
    """What one payout paid this publisher: every ledger row it wrote on their apps (app, order
    number, paid or a clawback netted, amount). Another publisher's payout, or one that didn't
    pay them, is PayoutNotFound (as an unknown one)."""
    text = _clean_number(number)
    found = db.session.execute(
        sa.select(Payout, PayoutLine)
        .join(PayoutLine, PayoutLine.payout_id == Payout.id)
        .where(Payout.number == text, PayoutLine.publisher_id == publisher_id)
    ).first()
    if found is None:
        raise PayoutNotFound()
    payout, line = found
    rows = db.session.execute(
        sa.select(App.name, Order.number, LedgerEntry.bucket, LedgerEntry.amount)
        .join(App, App.id == LedgerEntry.app_id)
        .outerjoin(Order, Order.id == LedgerEntry.order_id)
        .where(LedgerEntry.payout_id == payout.id, App.publisher_id == publisher_id)
        .order_by(App.name, App.id, LedgerEntry.id)
    ).all()
    return Statement(
        number=payout.number,
        created_at=payout.created_at,
        amount=line.amount,
        account_name=line.account_name,
        bank=line.bank,
        account_number=line.account_number,
        rows=tuple(
            StatementRow(
                app_name,
                order_number,
                "paid" if bucket == Bucket.PAID else "clawback netted",
                amount if bucket == Bucket.PAID else -amount,
            )
            for app_name, order_number, bucket, amount in rows
        ),
    )


def statement_csv(found: Statement) -> str:
    """A statement as CSV: one row per ledger row the payout wrote (centavos and pesos)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(STATEMENT_COLUMNS)
    for row in found.rows:
        writer.writerow(
            (
                found.number,
                csv_cell(row.app_name),
                row.order_number or "",
                row.kind,
                row.amount,
                _pesos(row.amount),
            )
        )
    return out.getvalue()


# --- Where a publisher is paid ---------------------------------------------------------------


def account_of(publisher_id: int) -> PayoutAccount | None:
    return db.session.get(PayoutAccount, publisher_id)


def _text(value, field: str, label: str, longest: int) -> str:
    text = unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""
    text = " ".join(text.split())
    if len(text) < 2:
        raise InvalidInput(f"Enter the {label}.", field=field)
    if len(text) > longest:
        raise InvalidInput(f"The {label} is at most {longest} characters.", field=field)
    if not text[0].isalnum() or any(unicodedata.category(c)[0] == "C" for c in text):
        raise InvalidInput(f"The {label} starts with a letter or digit.", field=field)
    return text


def check_account_number(value) -> str:
    """Digits only (spaces and dashes as typed are dropped), 6 to 34 of them."""
    raw = value.strip() if isinstance(value, str) and len(value) <= 60 else None
    digits = raw.replace(" ", "").replace("-", "") if raw is not None else ""
    least, most = ACCOUNT_NUMBER_DIGITS
    if not (digits.isascii() and digits.isdigit() and least <= len(digits) <= most):
        raise InvalidInput(
            f"Enter the account number: {least} to {most} digits.", field="account_number"
        )
    return digits


def save_account(publisher_id: int, account_name, bank, account_number) -> PayoutAccount:
    """Where this publisher is paid from the next batch on (a batch already made keeps the
    details it was made with). Raises InvalidInput naming the field."""
    name = _text(account_name, "account_name", "account name", ACCOUNT_NAME_LENGTH)
    bank_name = _text(bank, "bank", "bank's name", BANK_LENGTH)
    number = check_account_number(account_number)
    with transaction():
        account = db.session.get(PayoutAccount, publisher_id)
        if account is None:
            account = PayoutAccount(publisher_id=publisher_id)
            db.session.add(account)
        account.account_name = name
        account.bank = bank_name
        account.account_number = number
        account.updated_at = clock.now()
    return account
