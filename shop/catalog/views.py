"""The shop's front: the listing at `/` and the item pages."""

from flask import Blueprint, current_app, render_template, request

from shop.cart import service as cart
from shop.catalog import service
from shop.embed.service import catalog_scope
from shop.web import is_htmx

bp = Blueprint("catalog", __name__)


@bp.get("/")
def index():
    args = request.args
    page = service.parse_positive(args.get("page"), "page number", 1, service.MAX_PAGE)
    per_page = service.parse_positive(
        args.get("per_page"),
        "page size",
        current_app.config["ITEMS_PER_PAGE"],
        service.MAX_PER_PAGE,
    )
    scope = catalog_scope()  # inside a partner app's frame: its choice of the catalog
    categories = service.scoped_categories(service.list_categories(), scope)
    listing = service.list_items(
        query=args.get("q", ""),
        category_slug=args.get("category", ""),
        sort=args.get("sort", "featured"),
        page=page,
        per_page=per_page,
        categories=categories,
        scope=scope,
    )
    template = "catalog/_results.html" if is_htmx() else "catalog/index.html"
    return render_template(
        template,
        listing=listing,
        categories=categories,
        sorts=service.SORTS,
        availability=service.availability,
    )


@bp.get("/items/<slug>")
def item(slug: str):
    scope = catalog_scope()
    item = service.get_item(slug, scope)
    return render_template(
        "catalog/item.html",
        item=item,
        # Inside a frame whose app chose this item alone, its category isn't a filter there.
        category_listed=scope is None or item.category_id in scope.category_ids,
        availability=service.availability(item),
        max_quantity=cart.max_quantity(item),
    )
