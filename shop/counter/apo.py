"""The APO, Authority to Pull-out (issue #10, point 3; seed 004's "Shops could take the return
packages from distribution centers"): the DC's document for the packages going back to one
merchant. Re-exported by shop.counter.service.

Packages going back (state returning: unclaimed packages pulled out of their branch, returns
dropped off at a counter) are scanned in at the DC's Receive (ecms.reach_dc: an event, their
state stays returning, their place is the DC). The DC screen lists those waiting at the DC by
merchant (shipments.source: "shop" for the shop's own orders, "seller:<id>" for a seller's).
"Create APO" lists them on a numbered document (APO-YYYYMMDD-NNNNNN) with a signature line for
the merchant's courier; "Release", when the courier takes them, marks every listed package
returned_to_merchant through the ECMS in ONE transaction, all or none, the APO's number on each
event."""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from shop import clock, codes
from shop.codes import CodeType
from shop.counter.models import Apo, apo_packages
from shop.errors import Conflict, InvalidInput, NotFound
from shop.extensions import db
from shop.fulfillment import service as ecms
from shop.fulfillment.models import Package, PackageState, Shipment
from shop.sellers import service as sellers
from shop.transaction import in_transaction, transaction

MAX_APO_PACKAGES = 500
COURIER_LENGTH = 120
NUMBER_LENGTH = 24
ATTEMPTS = 5  # an APO number drawn twice (one in a million a day): draw again

merchant_name = sellers.merchant_name


class ApoNotFound(NotFound):
    """There is no APO with that number."""

    code = "apo_not_found"


class ApoChanged(Conflict):
    """A package of this APO changed meanwhile: nothing was done. Look at the list again."""

    code = "apo_changed"


class ApoReleased(Conflict):
    """This APO was released already."""

    code = "apo_released"


@dataclass(frozen=True)
class MerchantGroup:
    """Packages going back to one merchant, at the DC and on no APO yet."""

    merchant: str  # shipments.source
    name: str
    packages: tuple[Package, ...]

    @property
    def weight_g(self) -> int:
        return sum(p.weight_g for p in self.packages)


def _waiting(dc_id: int | None):
    """Returning packages at the DC that no APO lists yet."""
    listed = sa.select(apo_packages.c.package_id).where(apo_packages.c.package_id == Package.id)
    return (
        sa.select(Package, Shipment.source)
        .join(Shipment, Shipment.id == Package.shipment_id)
        .where(
            Package.state == PackageState.RETURNING,
            Package.location_id == dc_id,
            ~listed.exists(),
        )
        .order_by(Shipment.source, Package.id)
        .options(sa.orm.lazyload(Package.events), sa.orm.lazyload(Package.shipment))
    )


def returning_groups() -> list[MerchantGroup]:
    """What the DC can put on an APO: the returning packages at the DC, by merchant."""
    dc_id = ecms.distribution_center_id()
    if dc_id is None:
        return []
    groups: dict[str, list[Package]] = {}
    for package, source in db.session.execute(_waiting(dc_id)).all():
        groups.setdefault(source, []).append(package)
    return [
        MerchantGroup(source, merchant_name(source), tuple(packages))
        for source, packages in groups.items()
    ]


def _number() -> str:
    return f"APO-{clock.now().strftime('%Y%m%d')}-{secrets.randbelow(10**6):06d}"


def create_apo(actor: ecms.Actor, merchant, tracking_numbers: Iterable[str]) -> str:
    """An APO for one merchant listing the packages given (as the screen showed them): each
    must be returning, at the DC, that merchant's and on no other APO, else nothing is made
    (ApoChanged). Numbered APO-YYYYMMDD-NNNNNN; a number drawn twice is drawn again. Returns
    the number. DC (at the DC) or admin. Runs its own transactions (one per attempt)."""
    if in_transaction():
        raise RuntimeError("create_apo runs its own transactions")
    numbers = list(dict.fromkeys(codes.parse(t, CodeType.TRACKING) for t in tracking_numbers))
    if not numbers or len(numbers) > MAX_APO_PACKAGES:
        raise InvalidInput("Choose the packages of the APO.", field="packages")
    if not isinstance(merchant, str) or not 0 < len(merchant) <= 40:
        raise InvalidInput("Choose the merchant of the APO.", field="merchant")
    dc_id = ecms.distribution_center_id()
    ecms.check_role(ecms.A.RETURN_TO_MERCHANT, actor, dc_id)
    for attempt in range(ATTEMPTS):
        try:
            with transaction():
                packages = [
                    package
                    for package, source in db.session.execute(
                        _waiting(dc_id)
                        .where(Package.tracking_number.in_(numbers))
                        .with_for_update(of=Package)
                    ).all()
                    if source == merchant
                ]
                if len(packages) != len(numbers):
                    raise ApoChanged()
                apo = Apo(
                    number=_number(),
                    merchant=merchant,
                    merchant_name=merchant_name(merchant)[:120],
                    created_by_id=actor.user_id,
                    created_by=actor.name[:120],
                    terminal=actor.terminal,
                    shift=actor.shift,
                    created_at=clock.now(),
                )
                db.session.add(apo)
                db.session.flush()
                db.session.execute(
                    sa.insert(apo_packages),
                    [{"apo_id": apo.id, "package_id": p.id} for p in packages],
                )
                return apo.number
        except sa.exc.IntegrityError:
            # The number was drawn twice: draw again. (A package another APO took at the
            # same moment is found listed on the next attempt: ApoChanged.)
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def get_apo(number) -> Apo:
    text = number.strip().upper() if isinstance(number, str) else ""
    apo = (
        db.session.scalar(
            sa.select(Apo).where(Apo.number == text).execution_options(populate_existing=True)
        )
        if 0 < len(text) <= NUMBER_LENGTH
        else None
    )
    if apo is None:
        raise ApoNotFound()
    return apo


def courier_of(name) -> str:
    text = " ".join(name.split()) if isinstance(name, str) else ""
    if not 2 <= len(text) <= COURIER_LENGTH or not text.isprintable():
        raise InvalidInput(
            f"Enter the name of the courier who takes them (2 to {COURIER_LENGTH} characters).",
            field="courier",
        )
    return text


@transaction()
def release_apo(actor: ecms.Actor, number, courier) -> Apo:
    """The merchant's courier takes the APO's packages: every one returning → returned to
    merchant (ecms.return_to_merchant, the APO's number and the courier on each event) in ONE
    transaction. A package that changed meanwhile (not returning, not at the DC) stops it and
    nothing moves (ApoChanged); an APO released already is ApoReleased (two releases at once:
    one wins, the other changes nothing). DC (at the DC) or admin."""
    dc_id = ecms.distribution_center_id()
    ecms.check_role(ecms.A.RETURN_TO_MERCHANT, actor, dc_id)
    courier = courier_of(courier)
    apo = get_apo(number)
    if apo.released_at is not None:
        raise ApoReleased()
    now = clock.now()
    claimed = db.session.execute(
        sa.update(Apo)
        .where(Apo.id == apo.id, Apo.released_at.is_(None))
        .values(
            released_at=now,
            released_by_id=actor.user_id,
            released_by=actor.name[:120],
            courier=courier,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ApoReleased()
    packages = db.session.scalars(
        sa.select(Package)
        .join(apo_packages, apo_packages.c.package_id == Package.id)
        .where(apo_packages.c.apo_id == apo.id)
        .order_by(Package.id)
        .execution_options(populate_existing=True)
    ).all()
    if not packages:
        raise ApoChanged()
    for package in packages:
        if package.state is not PackageState.RETURNING or package.location_id != dc_id:
            raise ApoChanged()
        try:
            ecms.return_to_merchant(
                package.tracking_number, actor, detail={"apo": apo.number, "courier": courier}
            )
        except ecms.InvalidTransition:
            raise ApoChanged() from None
    db.session.refresh(apo)
    return apo


def recent_apos(limit: int = 10) -> list[Apo]:
    return list(
        db.session.scalars(
            sa.select(Apo)
            .order_by(Apo.id.desc())
            .limit(limit)
            .options(sa.orm.lazyload(Apo.packages))
        )
    )
