"""Shipping labels: one printable A6 page per package (issue #10, point 2).

`label_content` decides what a label says (plain values, tested without a PDF); `label_pdf`
draws those values with fpdf2: the Code 128 bars as filled rectangles from python-barcode's
module pattern, so they are crisp at any printer resolution.
"""

from dataclasses import dataclass
from pathlib import Path

import barcode
from fpdf import FPDF

from shop import codes
from shop.branches.models import Branch
from shop.contact import format_phone
from shop.errors import NotFound
from shop.extensions import db
from shop.fulfillment import service
from shop.fulfillment.lifecycle import Action
from shop.fulfillment.models import Package, Shipment
from shop.money import format_peso

FONTS = Path(__file__).resolve().parents[2] / "static" / "vendor" / "fonts"
PAGE_MM = (105.0, 148.0)  # A6, portrait
MARGIN_MM = 6.0
MODULE_MM = 0.33  # the narrowest bar: 0.33 mm reads on any thermal or laser printer
QUIET_MODULES = 10  # Code 128's quiet zone on each side
BAR_HEIGHT_MM = 18.0


def mask_phone(phone: str) -> str:
    """A recipient's number as a label shows it: the network prefix and the last four digits,
    the middle hidden: +639171234567 → "0917 *** 4567". Anything that is not a full number
    shows no digits but its last two ("*** 67"), or nothing."""
    digits = "".join(c for c in format_phone(phone or "") if c.isdigit())
    if len(digits) == 11 and digits.startswith("09"):
        return f"{digits[:4]} *** {digits[-4:]}"
    return f"*** {digits[-2:]}" if len(digits) >= 2 else ""


def code128_modules(number: str) -> str:
    """The Code 128 module pattern of `number` ("1101001..."), start, check and stop included,
    exactly as python-barcode builds it."""
    return barcode.get_barcode_class("code128")(number).build()[0]


def bars(modules: str) -> list[tuple[int, int]]:
    """The dark runs of a module pattern as (first module, width in modules)."""
    runs, start = [], None
    for i, module in enumerate(modules + "0"):
        if module == "1" and start is None:
            start = i
        elif module != "1" and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


@dataclass(frozen=True)
class LabelContent:
    """Everything one package's label says, as plain values."""

    tracking_number: str  # 12 digits
    tracking_grouped: str  # "7123 4567 8901"
    branch_code: str
    branch_name: str
    branch_city: str
    recipient_name: str
    recipient_phone: str  # masked
    payment_line: str  # "COD ₱1,234.50 — collect at counter" or "PREPAID"
    cod: bool
    frozen: bool
    routing: str  # "via DC Pasig → 1234" or "origin 0456 → DC Pasig → 1234"
    package_no: int
    package_count: int
    reference: str  # the shop's order number
    weight: str  # "1.25 kg"
    drop_off: str = ""  # store-to-store: the branch the seller hands it in at ("0456 Name")


def _weight(grams: int) -> str:
    return f"{grams / 1000:.2f} kg"


def _origin(package: Package, dc_id: int | None) -> Branch | None:
    """The branch a package was dropped off at, when that is a store and not the DC."""
    for event in package.events:
        if event.action == Action.DROP_OFF and event.branch_id not in (None, dc_id):
            return db.session.get(Branch, event.branch_id)
    return None


def label_content(package: Package, *, origin_id: int | None = None) -> LabelContent:
    """What the label of `package` says. `origin_id` is the store a seller will drop it off
    at (store-to-store): the label names it and routes from it until a drop-off says where it
    really was handed in."""
    shipment = package.shipment
    branch = db.session.get(Branch, shipment.branch_id)
    dc_id = service.distribution_center_id()
    dc = db.session.get(Branch, dc_id) if dc_id is not None else None
    dc_name = dc.name if dc is not None else "DC"
    origin = _origin(package, dc_id)
    if origin is None and origin_id is not None and origin_id != dc_id:
        origin = db.session.get(Branch, origin_id)
    routing = f"via {dc_name} → {branch.code}"
    if origin is not None:
        routing = f"origin {origin.code} → {dc_name} → {branch.code}"
    siblings = list(shipment.packages)
    cod = shipment.amount_due > 0
    return LabelContent(
        tracking_number=package.tracking_number,
        tracking_grouped=codes.group(package.tracking_number),
        branch_code=branch.code,
        branch_name=branch.name,
        branch_city=branch.city,
        recipient_name=shipment.recipient_name,
        recipient_phone=mask_phone(shipment.recipient_phone),
        payment_line=(
            f"COD {format_peso(shipment.amount_due)} — collect at counter" if cod else "PREPAID"
        ),
        cod=cod,
        frozen=package.frozen,
        routing=routing,
        package_no=siblings.index(package) + 1,
        package_count=len(siblings),
        reference=shipment.reference,
        weight=_weight(package.weight_g),
        drop_off=f"{origin.code} {origin.name}" if origin is not None else "",
    )


def label_pdf(
    shipment_or_packages: Shipment | list[Package], *, origin_id: int | None = None
) -> bytes:
    """A PDF with one A6 page per package: every package of a shipment, or the ones given
    (`origin_id`: see label_content)."""
    if isinstance(shipment_or_packages, Shipment):
        packages = list(shipment_or_packages.packages)
    else:
        packages = list(shipment_or_packages)
    return render([label_content(p, origin_id=origin_id) for p in packages])


def _pdf() -> FPDF:
    pdf = FPDF(unit="mm", format=PAGE_MM)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title("CLiQQ Shop shipping labels")
    pdf.set_creator("CLiQQ Shop")
    return pdf


def render(labels: list[LabelContent]) -> bytes:
    pdf = _pdf()
    for label in labels:
        pdf.add_page()
        _draw(pdf, label)
    return bytes(pdf.output())


def _text(pdf: FPDF, y: float, text: str, size: float, *, bold=False, align="L", h=None):
    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.set_xy(MARGIN_MM, y)
    pdf.cell(PAGE_MM[0] - 2 * MARGIN_MM, h or size * 0.45, text, align=align)


def _rule(pdf: FPDF, y: float) -> None:
    pdf.set_line_width(0.4)
    pdf.line(MARGIN_MM, y, PAGE_MM[0] - MARGIN_MM, y)


def _draw_barcode(pdf: FPDF, number: str, y: float) -> float:
    """The bars centred on the page at `y`, with their quiet zones; returns the bottom."""
    modules = code128_modules(number)
    width = (len(modules) + 2 * QUIET_MODULES) * MODULE_MM
    left = (PAGE_MM[0] - width) / 2 + QUIET_MODULES * MODULE_MM
    pdf.set_fill_color(0, 0, 0)
    for start, run in bars(modules):
        pdf.rect(left + start * MODULE_MM, y, run * MODULE_MM, BAR_HEIGHT_MM, style="F")
    return y + BAR_HEIGHT_MM


def _draw(pdf: FPDF, label: LabelContent) -> None:
    inner = PAGE_MM[0] - 2 * MARGIN_MM
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    # Header: who sends it and how, and which package of the order this is.
    _text(pdf, 6, "CLiQQ Shop", 13, bold=True)
    _text(pdf, 6, f"Package {label.package_no} of {label.package_count}", 10, bold=True, align="R")
    where = f"Drop off: {label.drop_off}" if label.drop_off else "7-Eleven store pickup"
    _text(pdf, 12.5, where if len(where) <= 34 else where[:33] + "…", 9)
    _text(pdf, 12.5, f"Order {label.reference}", 9, align="R")
    _rule(pdf, 18)
    # The barcode and its number, big.
    bottom = _draw_barcode(pdf, label.tracking_number, 21)
    _text(pdf, bottom + 2, label.tracking_grouped, 18, bold=True, align="C")
    _text(pdf, bottom + 10, "TRACKING NUMBER", 7, align="C")
    _rule(pdf, 54)
    # Destination: the branch code large, for sorting.
    _text(pdf, 57, "TO 7-ELEVEN BRANCH", 8)
    _text(pdf, 61, label.branch_code, 34, bold=True, h=15)
    pdf.set_font("DejaVu", "B", 11)
    pdf.set_xy(MARGIN_MM, 77)
    pdf.multi_cell(inner, 5, label.branch_name, max_line_height=5)
    _text(pdf, pdf.get_y() + 0.5, label.branch_city, 10)
    _rule(pdf, 92)
    # Recipient.
    _text(pdf, 95, "RECIPIENT", 8)
    _text(pdf, 99, label.recipient_name[:40], 12, bold=True)
    _text(pdf, 105.5, label.recipient_phone, 11)
    # Payment: a reversed box for cash to collect, so the clerk cannot miss it.
    y = 113
    if label.cod:
        pdf.set_fill_color(0, 0, 0)
        pdf.rect(MARGIN_MM, y, inner, 9, style="F")
        pdf.set_text_color(255, 255, 255)
        _text(pdf, y, label.payment_line, 11, bold=True, align="C", h=9)
        pdf.set_text_color(0, 0, 0)
    else:
        pdf.set_line_width(0.6)
        pdf.rect(MARGIN_MM, y, inner, 9)
        _text(pdf, y, label.payment_line, 13, bold=True, align="C", h=9)
    # The frozen mark.
    y = 124.5
    if label.frozen:
        pdf.set_line_width(1.2)
        pdf.rect(MARGIN_MM + 0.6, y + 0.6, inner - 1.2, 7.8)
        _text(pdf, y, "FROZEN / KEEP COLD", 14, bold=True, align="C", h=9)
    # Footer: routing and weight.
    _rule(pdf, 135.5)
    _text(pdf, 137.5, label.routing, 9, bold=True)
    _text(pdf, 137.5, label.weight, 9, align="R")
    _text(pdf, 142, "Stick flat on the package · do not cover the barcode", 6.5)


class NoLabels(NotFound):
    """This order has no packages to label yet."""

    code = "no_labels"


def order_labels_pdf(shipment_id: int | None) -> bytes:
    """The labels of an order's shipment. Raises NoLabels for an order without one."""
    shipment = service.get_shipment(shipment_id) if shipment_id is not None else None
    if shipment is None or not shipment.packages:
        raise NoLabels()
    return label_pdf(shipment)


def package_label_pdf(tracking_number: str) -> bytes:
    """One package's label. Raises PackageNotFound or codes.InvalidCode."""
    return label_pdf([service.get_package(tracking_number)])


def safe_filename(text: str) -> str:
    """`text` reduced to letters, digits and dashes, for a Content-Disposition filename."""
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c == "-"))[:40] or "label"
