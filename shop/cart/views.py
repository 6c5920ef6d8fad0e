"""The cart page and its actions. Each action answers htmx with fragments (the cart, the
badge out of band) and a plain form post with a redirect, so both work."""

from flask import (
    Blueprint,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from shop.cart import service
from shop.catalog.service import ItemNotFound
from shop.embed.service import catalog_scope
from shop.errors import DomainError
from shop.web import is_htmx, local_referrer, status_of

bp = Blueprint("cart", __name__, url_prefix="/cart")


@bp.app_context_processor
def _cart_badge() -> dict:
    """The cart badge on every page (no query). A mail rendered outside a request has none."""
    if not has_request_context():
        return {}
    return {"cart_units": service.count_units(session.get("cart"))}


def _store(contents: service.Contents) -> None:
    session["cart"] = contents


def _cart_response(
    message: str | None = None,
    error: str | None = None,
    status: int = 200,
    line_errors: dict[int, str] | None = None,
):
    cart, kept = service.load_cart(session.get("cart"))
    if kept != session.get("cart", {}):
        _store(kept)
    # A line just removed is offered back once, on the next cart page or fragment.
    undo = service.Removed.from_session(session.pop("removed", None))
    template = "cart/_cart_update.html" if is_htmx() else "cart/cart.html"
    return render_template(
        template, cart=cart, message=message, error=error, undo=undo, line_errors=line_errors or {}
    ), status


@bp.get("")
def show():
    return _cart_response()


@bp.post("/add")
def add():
    back = local_referrer()  # back to the item page the form was on, never elsewhere
    back = back if back and back.startswith("/items/") else None
    try:
        item_id = _item_id(request.form.get("item_id"))
        quantity = service.parse_quantity(request.form.get("quantity", "1"))
        contents, item = service.add_item(session.get("cart"), item_id, quantity, catalog_scope())
    except DomainError as exc:
        if is_htmx():
            return render_template("cart/_added.html", error=exc.message), status_of(exc)
        flash(exc.message, "error")
        return redirect(back or url_for("cart.show")), 303
    _store(contents)
    message = f"Added {quantity} × {item.name} to your cart."
    if is_htmx():
        return render_template("cart/_added.html", message=message, item=item)
    flash(message, "success")
    return redirect(url_for("cart.show"), 303)


@bp.post("/lines/<int:item_id>")
def update(item_id: int):
    try:
        quantity = service.parse_quantity(request.form.get("quantity"))
        _store(service.set_quantity(session.get("cart"), item_id, quantity))
    except DomainError as exc:
        # Said next to the line, whose box shows the quantity really in the cart again.
        return _cart_response(line_errors={item_id: exc.message}, status=status_of(exc))
    return _done("Quantity updated.")


@bp.post("/lines/<int:item_id>/remove")
def remove(item_id: int):
    contents, removed = service.remove_line(session.get("cart"), item_id)
    _store(contents)
    if removed is None:
        return _done("That item wasn't in your cart.")
    session["removed"] = removed.as_session()
    return _done(f"Removed {removed.name} from your cart.")


@bp.post("/lines/<int:item_id>/restore")
def restore(item_id: int):
    """Put a removed line back (the Undo next to "Removed ..."), as far as stock allows."""
    try:
        quantity = service.parse_quantity(request.form.get("quantity"))
        contents, item = service.add_item(session.get("cart"), item_id, quantity, catalog_scope())
    except DomainError as exc:
        return _failed(exc)
    _store(contents)
    return _done(f"Put back {quantity} × {item.name}.")


def _done(message: str):
    if is_htmx():
        return _cart_response(message=message)
    flash(message, "success")
    return redirect(url_for("cart.show"), 303)


def _failed(exc: DomainError):
    if is_htmx():
        return _cart_response(error=exc.message, status=status_of(exc))
    flash(exc.message, "error")
    return _cart_response(error=None, status=status_of(exc))


def _item_id(raw: str | None) -> int:
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 11:
        raise ItemNotFound()
    return int(raw)
