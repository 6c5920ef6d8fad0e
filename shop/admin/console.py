"""The operator console's changes: each one unit of work that calls the owning feature's
service and records the change in the audit log IN THE SAME TRANSACTION (shop.admin.audit).
A refused or failed change rolls back and leaves no audit row; a recorded change is always
committed with its row. `actor` is the signed-in operator (current_user)."""

from shop.admin import audit
from shop.branches import service as branches
from shop.catalog import operator as catalog
from shop.fulfillment import reroute
from shop.fulfillment import service as ecms
from shop.merchants import service as merchants
from shop.transaction import transaction


def _record(actor, action: str, kind: str, change) -> None:
    audit.record(actor, action, kind, change.id, change.before, change.after | _name(change))


def _name(change) -> dict:
    return {"label": change.label} if getattr(change, "label", "") else {}


# --- Catalog ---------------------------------------------------------------------------------


def create_item(actor, **fields) -> catalog.Change:
    with transaction():
        change = catalog.create_item(**fields)
        audit.record(actor, "item.create", "item", change.id, None, change.after)
    return change


def update_item(actor, item_id: int, stock_was: int | None, **fields) -> catalog.Change:
    """Raises what catalog.update_item raises. Nothing changed: nothing recorded."""
    with transaction():
        change = catalog.update_item(item_id, stock_was=stock_was, **fields)
        if change.after:
            _record(actor, "item.update", "item", change)
    return change


def set_item_image(actor, item_id: int, image_path: str) -> catalog.Change:
    with transaction():
        change = catalog.set_item_image(item_id, image_path)
        _record(actor, "item.image", "item", change)
    return change


def create_category(actor, name, slug) -> catalog.Change:
    with transaction():
        change = catalog.create_category(name, slug)
        audit.record(actor, "category.create", "category", change.id, None, change.after)
    return change


def rename_category(actor, category_id: int, name) -> catalog.Change:
    with transaction():
        change = catalog.rename_category(category_id, name)
        _record(actor, "category.rename", "category", change)
    return change


def move_category(actor, category_id: int, direction) -> catalog.Change:
    with transaction():
        change = catalog.move_category(category_id, direction)
        _record(actor, f"category.move_{direction}", "category", change)
    return change


# --- Branches --------------------------------------------------------------------------------


def update_branch(actor, code: str, **facts):
    with transaction():
        branch, before, after = branches.update_branch(code, **facts)
        if after:
            audit.record(actor, "branch.update", "branch", branch.code, before, after)
    return branch, after


def _closure(branch) -> dict:
    return {"closed_from": branch.closed_from, "closed_until": branch.closed_until}


def close_branch(actor, code: str, **terms) -> reroute.Closure:
    """fulfillment.reroute.close_branch, recorded: the closure and what it re-routed."""
    with transaction():
        before = _closure(branches.find_any_branch(code))
        done = reroute.close_branch(code, ecms.Actor.of(actor), **terms)
        after = {
            "closed_from": done.closed_from,
            "closed_until": done.closed_until,
            "rerouted": done.rerouted,
            "recalled": done.recalled,
            "kept": done.kept,
            "stranded": list(done.stranded),
        }
        audit.record(actor, "branch.close", "branch", done.code, before, after)
    return done


def reopen_branch(actor, code: str):
    with transaction():
        before = _closure(branches.find_any_branch(code))
        opened = reroute.reopen_branch(code, ecms.Actor.of(actor))
        if _closure(opened) != before:  # reopening an open branch changes nothing: no row
            audit.record(actor, "branch.reopen", "branch", opened.code, before, _closure(opened))
    return opened


def ask_for_signature(actor, code: str, required: bool):
    with transaction():
        was = branches.find_any_branch(code).signature_required
        branch = branches.ask_for_signature(code, required)
        if was == branch.signature_required:  # saved as it was: nothing to record
            return branch
        audit.record(
            actor,
            "branch.signature",
            "branch",
            branch.code,
            {"signature_required": was},
            {"signature_required": branch.signature_required},
        )
    return branch


# --- Merchants -------------------------------------------------------------------------------


def create_merchant(actor, name, slug, contact_email) -> merchants.Change:
    with transaction():
        change = merchants.create_merchant(name, slug, contact_email)
        audit.record(actor, "merchant.create", "merchant", change.merchant.id, None, change.after)
    return change


def update_merchant(actor, merchant_id: int, name, contact_email) -> merchants.Change:
    with transaction():
        change = merchants.update_merchant(merchant_id, name, contact_email)
        if change.after:
            audit.record(
                actor, "merchant.update", "merchant", merchant_id, change.before, change.after
            )
    return change


def set_merchant_status(actor, merchant_id: int, status) -> merchants.Change:
    with transaction():
        change = merchants.set_status(merchant_id, status)
        suspended = change.after["status"] == "suspended"
        action = "merchant.suspend" if suspended else "merchant.activate"
        audit.record(actor, action, "merchant", merchant_id, change.before, change.after)
    return change


def add_merchant_login(actor, merchant_id: int, email, name, password) -> merchants.LoginAdded:
    """Link a merchant login to the merchant (a new one made if the email has none)."""
    with transaction():
        added = merchants.add_login(merchant_id, email, name, password)
        after = {"login": added.email, "created": added.created}
        audit.record(actor, "merchant.login_add", "merchant", merchant_id, None, after)
    return added


def remove_merchant_login(actor, merchant_id: int, user_id: int) -> str:
    with transaction():
        email = merchants.remove_login(merchant_id, user_id)
        before = {"login": email}
        audit.record(actor, "merchant.login_remove", "merchant", merchant_id, before, None)
    return email
