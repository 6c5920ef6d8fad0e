"""CLiQQ Shop: an embeddable storefront with 7-Eleven store pickup."""

from pathlib import Path

from flask import Flask, request

from shop.config import Config, normalize_database_url

ROOT = Path(__file__).resolve().parent.parent


class CachingFlask(Flask):
    """Static files asked for with a content version (`?v=`, see shop.web) are cached for a
    year; others are revalidated each time."""

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        if request.args.get("v"):
            return 365 * 24 * 3600
        return super().get_send_file_max_age(filename)


def create_app(config: Config | dict | None = None) -> Flask:
    """The app factory. `config` is a Config, a dict of overrides, or None (the environment)."""
    app = CachingFlask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    # The config a caller passes (a test's) is the whole truth: `instance/config.py` is read
    # only when the app configures itself from the environment, as flaskr does, so a local
    # DATABASE_URL there can never send a test run to a real database.
    given = config is not None
    if not isinstance(config, Config):
        config = Config(**(config or {}))
    Path(app.instance_path).mkdir(exist_ok=True)
    if not given:
        _apply_instance_config(config, Path(app.instance_path) / "config.py")
    config.check(Path(app.instance_path))
    app.config.from_object(config)

    from shop import clock
    from shop.extensions import csrf, db, htmx, limiter, login_manager, migrate, tune_engine

    clock.init_app(app)

    db.init_app(app)
    with app.app_context():
        tune_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)

    from shop import models, probes, rules, web  # noqa: F401  (models: every table registered)

    app.session_interface = probes.Sessions()  # /livez and /healthz never touch the session
    web.init_app(app)
    rules.init_app(app)

    from shop.admin.views import bp as admin_bp
    from shop.api import branches_views, shipments_views, webhooks_views  # noqa: F401  (routes)
    from shop.api.blueprint import bp as api_bp
    from shop.api.openapi import docs_bp as api_docs_bp
    from shop.auth.views import bp as auth_bp
    from shop.branches.views import bp as branches_bp
    from shop.cart.views import bp as cart_bp
    from shop.catalog.views import bp as catalog_bp
    from shop.checkout.views import bp as checkout_bp
    from shop.counter import pos_views, views  # noqa: F401  (their routes, on counter_bp)
    from shop.counter.blueprint import bp as counter_bp
    from shop.counter.kiosk import bp as kiosk_bp
    from shop.embed.prefix import EmbedPrefix
    from shop.embed.views import bp as embed_bp
    from shop.fulfillment.views import bp as fulfillment_bp
    from shop.merchants import events  # noqa: F401  (the "merchant" owner of webhooks)
    from shop.merchants.console_views import bp as merchants_bp
    from shop.partners import console_views, payout_views, webhook_views  # noqa: F401  (routes)
    from shop.partners.admin_views import bp as apps_admin_bp
    from shop.partners.blueprint import bp as partners_bp
    from shop.partners.payout_views import bp as payouts_admin_bp
    from shop.payments.views import bp as payments_bp
    from shop.sellers.views import bp as sellers_bp

    app.register_blueprint(catalog_bp)
    app.register_blueprint(cart_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(branches_bp)
    app.register_blueprint(checkout_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(fulfillment_bp)
    app.register_blueprint(counter_bp)
    app.register_blueprint(sellers_bp)
    app.register_blueprint(kiosk_bp)
    app.register_blueprint(partners_bp)
    app.register_blueprint(merchants_bp)  # /merchants (the merchant console)
    app.register_blueprint(payouts_admin_bp)  # /admin/payouts (shop.partners.payout_views)
    app.register_blueprint(apps_admin_bp)
    app.register_blueprint(api_bp)  # /api/v1 (the merchant API)
    app.register_blueprint(api_docs_bp)  # /api/docs (its description, as a page)
    # The embed last: its after_request (framing headers) runs after every view, and its
    # prefix moves /embed/<key>/<token> into SCRIPT_NAME before anything else sees the path.
    app.register_blueprint(embed_bp)
    app.wsgi_app = EmbedPrefix(app.wsgi_app)

    from shop.cli import shop_cli

    app.cli.add_command(shop_cli)
    return app


def _apply_instance_config(config: Config, path: Path) -> None:
    """Settings from `instance/config.py` (plain assignments of UPPER_CASE names) on top of
    the environment's, before the settings are checked."""
    from flask import Config as FlaskConfig

    loaded = FlaskConfig(str(path.parent))
    loaded.from_pyfile(str(path), silent=True)
    for key, value in loaded.items():
        if key == "DATABASE_URL":
            key, value = "SQLALCHEMY_DATABASE_URI", normalize_database_url(value)
        setattr(config, key, value)
