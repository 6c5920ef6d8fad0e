"""Remittance (issue #10, point 12): the cash on delivery collected at the counters, totalled
per merchant (the shop itself is one), per branch and per business day, and reconciled
against the Acknowledgement Receipts the counters printed.

Two records of every COD release exist, written in one transaction by the POS: the ECMS's
claim event (its first package's event carries the amount due, the cash received and the
change) and the counter's AR. They are read separately here and matched release by release,
so a release without its AR, an AR without its release, a void recorded on one side only, or
amounts that differ all show as problems instead of vanishing into a total. The money owed
to a merchant is what the ECMS released and did not void: that is what `collected` sums."""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from shop import clock
from shop.auth.models import User
from shop.branches import service as branches_service
from shop.branches.models import Branch
from shop.counter.models import Receipt, ReceiptKind
from shop.errors import InvalidInput
from shop.extensions import db
from shop.fulfillment.lifecycle import Action
from shop.fulfillment.models import Package, PackageEvent, PaymentMode, Shipment
from shop.money import Money
from shop.timeutil import MANILA, parse_day

MAX_DAYS = 92  # one report covers at most a quarter: the screen and the CSV stay small
SHOP_SOURCE = "shop"


@dataclass(frozen=True)
class Release:
    """One COD release as the ECMS recorded it: the claim event that carries its money."""

    shipment_id: int
    reference: str
    source: str
    branch_id: int
    at: datetime
    amount_due: int
    cash_received: int | None
    change: int | None
    voided: bool


@dataclass
class Line:
    """One merchant at one branch on one business day."""

    business_date: date
    branch_code: str
    branch_name: str
    merchant: str
    releases: int = 0  # COD releases standing (not voided)
    collected: int = 0  # centavos: their amounts due, the cash the merchant is owed
    receipts: int = 0  # ARs standing (not voided)
    receipted: int = 0  # centavos on those ARs
    voided: int = 0  # releases voided (each with its AR voided)
    problems: list[str] = field(default_factory=list)

    @property
    def reconciled(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class MerchantTotal:
    merchant: str
    releases: int
    collected: int
    problems: int


@dataclass(frozen=True)
class Report:
    start: date
    end: date  # inclusive
    branch_code: str | None
    lines: tuple[Line, ...]

    @property
    def collected(self) -> int:
        return sum(line.collected for line in self.lines)

    @property
    def problems(self) -> int:
        return sum(len(line.problems) for line in self.lines)

    @property
    def by_merchant(self) -> tuple[MerchantTotal, ...]:
        totals: dict[str, list[int]] = {}
        for line in self.lines:
            entry = totals.setdefault(line.merchant, [0, 0, 0])
            entry[0] += line.releases
            entry[1] += line.collected
            entry[2] += len(line.problems)
        return tuple(MerchantTotal(name, *values) for name, values in sorted(totals.items()))


def period_of(start, end, *, today: date) -> tuple[date, date]:
    """The business days a report covers, as typed (YYYY-MM-DD, either may be blank: today).
    Raises InvalidInput for a malformed date, an end before the start, or more than
    MAX_DAYS days."""
    first = parse_day(start, "from", today)
    last = parse_day(end, "to", first if start else today)
    if last < first:
        raise InvalidInput("The end date comes before the start date.", field="to")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"A report covers at most {MAX_DAYS} days.", field="to")
    return first, last


def _utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC moments from the start of `first` to the end of `last`, Manila days."""
    start = datetime.combine(first, time.min, MANILA)
    end = datetime.combine(last + timedelta(days=1), time.min, MANILA)
    return start, end


def business_date(moment: datetime) -> date:
    return moment.astimezone(MANILA).date()


def releases(
    first: date, last: date, branch_id: int | None = None, source: str | None = None
) -> list[Release]:
    """Every COD release made from `first` to `last` (Manila days), whether voided since; of
    one shipment `source` only when given (a merchant's slug). Two queries: the claim events
    that carry money, and the voids pointing at them."""
    start, end = _utc_bounds(first, last)
    where = [
        PackageEvent.action == str(Action.CLAIM),
        PackageEvent.at >= start,
        PackageEvent.at < end,
        Shipment.payment == PaymentMode.COD,
    ]
    if branch_id is not None:
        where.append(PackageEvent.branch_id == branch_id)
    if source is not None:
        where.append(Shipment.source == source)
    rows = db.session.execute(
        sa.select(
            PackageEvent.id,
            PackageEvent.package_id,
            PackageEvent.at,
            PackageEvent.branch_id,
            PackageEvent.detail,
            Shipment.id.label("shipment_id"),
            Shipment.reference,
            Shipment.source,
            Shipment.branch_id.label("destination_id"),
        )
        .join(Package, Package.id == PackageEvent.package_id)
        .join(Shipment, Shipment.id == Package.shipment_id)
        .where(*where)
        .order_by(PackageEvent.at, PackageEvent.id)
    ).all()
    # A release is every claim event of one shipment at one moment; a void names the latest of
    # them (voids_event) and undoes the whole release.
    moment_of = {row.id: (row.shipment_id, row.at) for row in rows}
    voided = set()
    if moment_of:
        voids = db.session.scalars(
            sa.select(PackageEvent.detail).where(
                PackageEvent.action == str(Action.VOID_CLAIM), PackageEvent.at >= start
            )
        )
        for detail in voids:
            target = (detail or {}).get("voids_event")
            if target in moment_of:
                voided.add(moment_of[target])
    found = []
    for row in rows:
        detail = row.detail or {}
        if "amount_due" not in detail or not detail.get("amount_due"):
            continue  # a package other than the release's first, or nothing was due
        found.append(
            Release(
                shipment_id=row.shipment_id,
                reference=row.reference,
                source=row.source,
                branch_id=row.branch_id if row.branch_id is not None else row.destination_id,
                at=row.at,
                amount_due=int(detail["amount_due"]),
                cash_received=detail.get("cash_received"),
                change=detail.get("change"),
                voided=(row.shipment_id, row.at) in voided,
            )
        )
    return found


def acknowledgement_receipts(
    first: date, last: date, branch_id: int | None = None, source: str | None = None
) -> list[Receipt]:
    """The ARs of COD releases issued from `first` to `last` (business dates), voided or not;
    of one shipment `source`'s shipments only when given."""
    where = [
        Receipt.kind == ReceiptKind.AR,
        Receipt.business_date >= first,
        Receipt.business_date <= last,
    ]
    if branch_id is not None:
        where.append(Receipt.branch_id == branch_id)
    if source is not None:
        where.append(
            Receipt.shipment_id.in_(sa.select(Shipment.id).where(Shipment.source == source))
        )
    return list(
        db.session.scalars(
            sa.select(Receipt)
            .where(*where)
            .order_by(Receipt.business_date, Receipt.id)
            .options(sa.orm.lazyload(Receipt.branch))
        )
    )


def merchant_names(sources: Iterable[str]) -> dict[str, str]:
    """The words for each shipment source: the shop itself, a seller by name, else the
    source as recorded (a merchant's name)."""
    names = {source: source for source in sources}
    sellers = {}
    for source in names:
        if source == SHOP_SOURCE:
            names[source] = "CLiQQ Shop"
        kind, _, ident = source.partition(":")
        if kind in ("seller", "merchant") and ident.isdigit():
            sellers[int(ident)] = source
    if sellers:
        for user_id, name in db.session.execute(
            sa.select(User.id, User.name).where(User.id.in_(list(sellers)))
        ):
            names[sellers[user_id]] = name
    return names


def reconcile(
    found: list[Release], receipts: list[Receipt], branches: dict[int, Branch]
) -> list[Line]:
    """Match releases and ARs by order, branch and business day: pure, so the rules are
    tested without a database. Each mismatch becomes a problem on its line."""
    sources_of_shipment = {r.shipment_id: r.source for r in found}
    names = merchant_names({r.source for r in found} | {SHOP_SOURCE})

    def source_of(receipt: Receipt) -> str:
        if receipt.shipment_id in sources_of_shipment:
            return sources_of_shipment[receipt.shipment_id]
        return _source_of(receipt)  # an AR with no release in the period

    lines: dict[tuple[date, int, str], Line] = {}

    def line_for(day: date, branch_id: int, source: str) -> Line:
        key = (day, branch_id, source)
        if key not in lines:
            branch = branches.get(branch_id)
            lines[key] = Line(
                business_date=day,
                branch_code=branch.code if branch else "?",
                branch_name=branch.name if branch else "?",
                merchant=names.get(source, source),
            )
        return lines[key]

    by_key: dict[tuple, list] = defaultdict(list)
    for release in found:
        day = business_date(release.at)
        line = line_for(day, release.branch_id, release.source)
        if release.voided:
            line.voided += 1
        else:
            line.releases += 1
            line.collected += release.amount_due
        by_key[(day, release.branch_id, release.shipment_id)].append(release)
    ar_by_key: dict[tuple, list[Receipt]] = defaultdict(list)
    for receipt in receipts:
        source = source_of(receipt)
        line = line_for(receipt.business_date, receipt.branch_id, source)
        if receipt.voided_at is None:
            line.receipts += 1
            line.receipted += receipt.amount_due
            kept = (receipt.cash_received or 0) - (receipt.change or 0)
            if receipt.cash_received is not None and kept != receipt.amount_due:
                line.problems.append(
                    f"AR {receipt.number}: cash {Money(receipt.cash_received)} less change "
                    f"{Money(receipt.change or 0)} is not the {Money(receipt.amount_due)} due."
                )
        ar_by_key[(receipt.business_date, receipt.branch_id, receipt.shipment_id)].append(receipt)
    for key in sorted(set(by_key) | set(ar_by_key), key=lambda k: (k[0], k[1], k[2] or 0)):
        day, branch_id, _ = key
        made = sorted(by_key.get(key, []), key=lambda r: r.at)
        ars = ar_by_key.get(key, [])
        standing = [r for r in made if not r.voided]
        standing_ars = [a for a in ars if a.voided_at is None]
        any_ref = (made[0].reference if made else ars[0].reference) or "?"
        source = made[0].source if made else source_of(ars[0])
        line = line_for(day, branch_id, source)
        if len(standing) > len(standing_ars):
            line.problems.append(
                f"Order {any_ref}: {len(standing) - len(standing_ars)} release(s) without an AR."
            )
        elif len(standing_ars) > len(standing):
            extra = [a.number for a in standing_ars[len(standing) :]]
            voided_releases = len(made) - len(standing)
            why = " (its release was voided)" if voided_releases else " (no release recorded)"
            line.problems.append(f"AR {', '.join(extra)} for order {any_ref} stands{why}.")
        for release, receipt in zip(standing, standing_ars, strict=False):
            if release.amount_due != receipt.amount_due:
                line.problems.append(
                    f"AR {receipt.number} says {Money(receipt.amount_due)}, the release of "
                    f"order {any_ref} {Money(release.amount_due)}."
                )
    return sorted(
        lines.values(), key=lambda line: (line.business_date, line.branch_code, line.merchant)
    )


def _source_of(receipt: Receipt) -> str:
    if receipt.shipment_id is None:
        return SHOP_SOURCE
    return (
        db.session.scalar(sa.select(Shipment.source).where(Shipment.id == receipt.shipment_id))
        or SHOP_SOURCE
    )


def report(
    start=None,
    end=None,
    branch_code=None,
    *,
    today: date | None = None,
    source: str | None = None,
) -> Report:
    """The remittance report from `start` to `end` (YYYY-MM-DD as typed; blank: today's
    business date), for one branch (its code) or all; for one merchant's shipments only when
    `source` (its slug) is given, so no line of another's shows. Raises InvalidInput for bad
    dates or an unknown branch. Reads only: three queries and one per seller named."""
    first, last = period_of(start, end, today=today or business_date(clock.now()))
    branch_id = None
    code = branch_code.strip() if isinstance(branch_code, str) and branch_code.strip() else None
    if code is not None:
        branch_id = (
            db.session.scalar(sa.select(Branch.id).where(Branch.code == code).limit(1))
            if branches_service.valid_code(code)
            else None
        )
        if branch_id is None:
            raise InvalidInput("There is no branch with that code.", field="branch")
    found = releases(first, last, branch_id, source)
    receipts = acknowledgement_receipts(first, last, branch_id, source)
    ids = {r.branch_id for r in found} | {r.branch_id for r in receipts}
    branches = (
        {b.id: b for b in db.session.scalars(sa.select(Branch).where(Branch.id.in_(list(ids))))}
        if ids
        else {}
    )
    return Report(first, last, code, tuple(reconcile(found, receipts, branches)))


CSV_COLUMNS = (
    "business_date",
    "branch_code",
    "branch_name",
    "merchant",
    "releases",
    "collected_centavos",
    "collected_php",
    "acknowledgement_receipts",
    "receipted_centavos",
    "voided_releases",
    "reconciled",
    "problems",
)


def as_csv(found: Report) -> str:
    """The report as CSV (one row per merchant, branch and day): amounts in centavos for
    machines and in pesos for people."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in found.lines:
        writer.writerow(
            (
                line.business_date.isoformat(),
                line.branch_code,
                _cell(line.branch_name),
                _cell(line.merchant),
                line.releases,
                line.collected,
                f"{line.collected / 100:.2f}",
                line.receipts,
                line.receipted,
                line.voided,
                "yes" if line.reconciled else "no",
                _cell(" ".join(line.problems)),
            )
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """A text cell a spreadsheet won't run as a formula (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
