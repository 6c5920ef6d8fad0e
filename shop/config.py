"""Settings, read from the environment (and `instance/config.py`, loaded by the app factory)."""

import os
import secrets
from pathlib import Path

from limits import parse_many

INSTANCE_PATH = Path(__file__).resolve().parent.parent / "instance"
ENVIRONMENTS = ("development", "testing", "production")
MIN_SECRET_KEY_BYTES = 32
# Limits a typo must not turn off (Flask-Limiter ignores a limit it can't parse).
RATE_LIMIT_SETTINGS = (
    "LOGIN_RATE_LIMIT",
    "LOGIN_FAILURES_PER_CLIENT",
    "LOGIN_FAILURES_PER_ACCOUNT",
    "KIOSK_RATE_LIMIT",
    "EMBED_LINK_RATE_LIMIT",
)


class ConfigError(RuntimeError):
    """The app cannot start with the configuration it was given."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _positive(name: str, default: int) -> int:
    """A whole number of at least 1 from the environment (a period or a count: 0, -5 or
    "seven" would quietly break the rule it sets). Raises ConfigError."""
    raw = _env(name, str(default))
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise ConfigError(f"{name}={raw!r} must be a whole number of at least 1.")
    return int(raw)


def _whole(name: str, default: int) -> int:
    """A whole number of at least 0 from the environment. Raises ConfigError."""
    raw = _env(name, str(default))
    if not (raw.isascii() and raw.isdigit()):
        raise ConfigError(f"{name}={raw!r} must be a whole number (0 or more).")
    return int(raw)


def _flag(name: str, default: bool | None = False) -> bool | None:
    value = _env(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={value!r} isn't a yes or no (1/0, true/false, yes/no, on/off).")


class Config:
    """One class of settings. `from_env()` reads the environment at app creation time."""

    def __init__(self, **overrides):
        env = _env("SHOP_ENV", "development")
        self.ENV = env
        self.SECRET_KEY = _env("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(
            _env("DATABASE_URL", f"sqlite:///{INSTANCE_PATH / 'shop.db'}")
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_KEY_PREFIX = "cliqq"
        self.LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "10 per minute; 50 per hour")
        # Wrong passwords against one account (shop/auth/throttle.py): from one client, and from
        # every client the account doesn't know together; a known client is remembered this long.
        self.LOGIN_FAILURES_PER_CLIENT = _env(
            "LOGIN_FAILURES_PER_CLIENT", "5 per minute; 20 per hour"
        )
        self.LOGIN_FAILURES_PER_ACCOUNT = _env(
            "LOGIN_FAILURES_PER_ACCOUNT", "50 per hour; 100 per day"
        )
        self.LOGIN_TRUST_DAYS = int(_env("LOGIN_TRUST_DAYS", "30"))
        # Behind a load balancer: how many proxies to trust for the client address (and then the
        # scheme), and for the host (X-Forwarded-Host). 0: none, requests are taken as they come.
        self.PROXY_FIX_X_FOR = int(_env("PROXY_FIX_X_FOR", "0"))
        self.PROXY_FIX_X_HOST = int(_env("PROXY_FIX_X_HOST", "0"))
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env == "production"
        self.REMEMBER_COOKIE_SECURE = env == "production"
        self.ITEMS_PER_PAGE = int(_env("ITEMS_PER_PAGE", "24"))
        self.CATEGORY_CACHE_SECONDS = int(_env("CATEGORY_CACHE_SECONDS", "60"))
        self.MAX_CONTENT_LENGTH = 1024 * 1024
        # The shop's public address (https://shop.example.com), for links in mail; unset, a
        # link is built from the address of the request that queues the mail.
        self.SHOP_URL = _env("SHOP_URL")
        # Checkout and payments. On the embedded default the shop talks to localstripe (a local
        # fake Stripe, started by `make run`); real keys come from the environment.
        self.ONLINE_PAYMENT_HOLD_MINUTES = _positive("ONLINE_PAYMENT_HOLD_MINUTES", 30)
        self.PAY_CODE_HOURS = _positive("PAY_CODE_HOURS", 48)
        # Days a package waits at its branch for the shopper (shop.fulfillment.service
        # .pickup_deadline); past them it is unclaimed and goes back.
        self.PICKUP_DAYS = _positive("PICKUP_DAYS", 7)
        # Hours before the pickup deadline the shopper is reminded (once per package and
        # deadline; shop.fulfillment.timing). Less than the pickup window.
        self.PICKUP_REMINDER_HOURS = _positive("PICKUP_REMINDER_HOURS", 24)
        # Hours an unclaimed package waits for its branch to hand it to the delivery staff
        # (pull_out) before the tick sends it back itself (returning, shelf slot freed); 0: at
        # once, in the tick that finds it unclaimed.
        self.UNCLAIMED_RETURN_HOURS = _whole("UNCLAIMED_RETURN_HOURS", 24)
        # Days after pickup a shopper may still ask to return a package
        # (shop.fulfillment.returns).
        self.RETURN_DAYS = _positive("RETURN_DAYS", 7)
        # A RETURN CODE asked for inside that window may be handed in at a counter until the
        # window ends or RETURN_DROP_OFF_DAYS after it was asked for, whichever is later: a
        # shopper who asks on the last day still has time to bring the package.
        self.RETURN_DROP_OFF_DAYS = _positive("RETURN_DROP_OFF_DAYS", 3)
        # Partners' attribution (shop.partners.attribution): a click is recorded once per
        # visitor and app per CLICK_DEDUP_MINUTES; a client address sending more than
        # CLICK_FLOOD_PER_HOUR clicks in an hour (all apps together) has the rest flagged
        # "flood" (they earn nothing); an order is credited to the visitor's last click of the
        # last ATTRIBUTION_WINDOW_DAYS. Commission turns approved RETURN_DAYS after the last
        # package is claimed (shop.partners.ledger).
        self.CLICK_DEDUP_MINUTES = _positive("CLICK_DEDUP_MINUTES", 30)
        self.CLICK_FLOOD_PER_HOUR = _positive("CLICK_FLOOD_PER_HOUR", 60)
        self.ATTRIBUTION_WINDOW_DAYS = _positive("ATTRIBUTION_WINDOW_DAYS", 30)
        # The kiosk (/counter/kiosk) has no login: every lookup there is counted per address.
        self.KIOSK_RATE_LIMIT = _env("KIOSK_RATE_LIMIT", "10 per minute; 60 per hour")
        # Who hears, for the shop's own orders, what a merchant hears for theirs (a return
        # dropped off at a counter): the shop is its own merchant.
        self.OPERATOR_EMAIL = _env("OPERATOR_EMAIL", "operator@localhost")
        # Minutes during which the clerk who released a package may void that release
        # (shop.fulfillment.voids.void_claim).
        self.VOID_MINUTES = _positive("VOID_MINUTES", 10)
        # Code, label and receipt lookups at the counter screen, per clerk login and per
        # address (several terminals of a store may share one address).
        self.POS_LOOKUPS_PER_CLERK = _env("POS_LOOKUPS_PER_CLERK", "120 per minute")
        self.POS_LOOKUPS_PER_ADDRESS = _env("POS_LOOKUPS_PER_ADDRESS", "600 per minute")
        # Bounds on unpaid holds (orders awaiting payment, cash on delivery not yet collected):
        # a stranger can't take an item's whole stock or fill a branch's shelf. Per address is
        # higher than per session: many shoppers share one address behind a mobile carrier.
        self.UNPAID_ORDERS_PER_SESSION = _positive("UNPAID_ORDERS_PER_SESSION", 3)
        self.UNPAID_UNITS_PER_SESSION = _positive("UNPAID_UNITS_PER_SESSION", 100)
        self.UNPAID_ORDERS_PER_ADDRESS = _positive("UNPAID_ORDERS_PER_ADDRESS", 10)
        self.UNPAID_UNITS_PER_ADDRESS = _positive("UNPAID_UNITS_PER_ADDRESS", 300)
        self.CHECKOUT_RATE_LIMIT = _env("CHECKOUT_RATE_LIMIT", "10 per minute; 60 per hour")
        # The merchant API: requests per secret key (shop.api.blueprint), 429 with Retry-After.
        self.API_RATE_LIMIT = _env("API_RATE_LIMIT", "120 per minute; 5000 per hour")
        # Requests with a wrong key from one address, before the address is refused a while.
        self.API_BAD_KEYS_PER_ADDRESS = _env(
            "API_BAD_KEYS_PER_ADDRESS", "20 per minute; 200 per hour"
        )
        # Choosing another pickup branch from the order page (issue #10, point 10).
        self.CHANGE_BRANCH_RATE_LIMIT = _env(
            "CHANGE_BRANCH_RATE_LIMIT", "5 per minute; 20 per hour"
        )
        self.STRIPE_SECRET_KEY = _env("STRIPE_SECRET_KEY", "sk_test_localstripe")
        self.STRIPE_PUBLISHABLE_KEY = _env("STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe")
        self.STRIPE_WEBHOOK_SECRET = _env("STRIPE_WEBHOOK_SECRET")
        # Where the Stripe API is: localstripe's address on the embedded default; in production
        # the real Stripe unless set. localstripe serves its fake Stripe.js at /js.stripe.com/v3/.
        self.STRIPE_API_BASE = _env(
            "STRIPE_API_BASE", None if env == "production" else "http://127.0.0.1:8420"
        )
        # Mail, sent by the outbox worker. On the embedded default: the dev mail server that
        # `make run` starts (`flask shop mail-server`, read at /admin/mail); in production a
        # relay on the host (port 25) unless set.
        # MAIL_URL (smtp://user:pass@host:port, smtp+starttls://..., smtps://...; see
        # shop.notify.mailurl) says it all in one setting and wins over the MAIL_SERVER,
        # MAIL_PORT, MAIL_USE_TLS, MAIL_USE_SSL, MAIL_USERNAME and MAIL_PASSWORD below.
        self.MAIL_URL = _env("MAIL_URL")
        self.MAIL_SERVER = _env("MAIL_SERVER", "localhost" if env == "production" else "127.0.0.1")
        self.MAIL_PORT = int(_env("MAIL_PORT", "25" if env == "production" else "8025"))
        self.MAIL_USE_TLS = _flag("MAIL_USE_TLS")  # STARTTLS, with the server's certificate checked
        self.MAIL_USE_SSL = _flag("MAIL_USE_SSL")  # TLS from the first byte (port 465)
        self.MAIL_USERNAME = _env("MAIL_USERNAME")
        self.MAIL_PASSWORD = _env("MAIL_PASSWORD")
        self.MAIL_FROM = _env("MAIL_FROM", "CLiQQ Shop <no-reply@localhost>")
        self.MAIL_TIMEOUT_SECONDS = float(_env("MAIL_TIMEOUT_SECONDS", "30"))
        self.DEV_MAIL_DIR = _env("DEV_MAIL_DIR", str(INSTANCE_PATH / "mail"))
        # Text messages (shop.notify.sms): SMS_URL is an HTTP gateway's address (a JSON POST
        # with SMS_TOKEN as its bearer token), "dev" keeps each text in DEV_TEXT_DIR for the
        # operator's Messages page, "off" sends none. Unset: "dev" in development, "off" in
        # testing and production. With "off" the shop never queues or promises a text.
        self.SMS_URL = _env("SMS_URL")  # unset: resolved by check(), once ENV is final
        self.SMS_TOKEN = _env("SMS_TOKEN")
        self.SMS_TIMEOUT_SECONDS = float(_env("SMS_TIMEOUT_SECONDS", "10"))
        self.DEV_TEXT_DIR = _env("DEV_TEXT_DIR", str(INSTANCE_PATH / "texts"))
        # The operator console's item images (shop/admin/images.py): kept in IMAGE_DIR (outside
        # static/, so a deploy never overwrites them; share it between hosts, e.g. an NFS or
        # object-store mount) and served at /static/uploads/<name>. At most IMAGE_MAX_BYTES
        # each (under MAX_CONTENT_LENGTH), PNG, JPEG or WebP, checked by their content.
        self.IMAGE_DIR = _env("IMAGE_DIR", str(INSTANCE_PATH / "uploads"))
        self.IMAGE_MAX_BYTES = _positive("IMAGE_MAX_BYTES", 512 * 1024)
        # The outbox worker (see docs/decisions.md, "Outbox"): a failed delivery waits
        # BACKOFF·2^(attempt-1) seconds, capped, with jitter; after MAX_ATTEMPTS it is parked.
        self.OUTBOX_MAX_ATTEMPTS = int(_env("OUTBOX_MAX_ATTEMPTS", "10"))
        self.OUTBOX_BACKOFF_SECONDS = float(_env("OUTBOX_BACKOFF_SECONDS", "30"))
        self.OUTBOX_BACKOFF_CAP_SECONDS = float(_env("OUTBOX_BACKOFF_CAP_SECONDS", "3600"))
        self.OUTBOX_LEASE_SECONDS = float(_env("OUTBOX_LEASE_SECONDS", "300"))
        self.OUTBOX_BATCH = int(_env("OUTBOX_BATCH", "10"))
        # Partners (shop.partners): the highest default commission rate a publisher may ask
        # for its app, in basis points (1500 = 15 %); an operator may set any rate.
        self.APP_MAX_RATE_BP = int(_env("APP_MAX_RATE_BP", "1500"))
        # Payouts (shop.partners.payouts; docs/decisions.md, "Payouts"): the least net approved
        # commission, in centavos, a batch pays a publisher (default ₱500); less is carried.
        self.PAYOUT_MINIMUM = _whole("PAYOUT_MINIMUM", 50_000)
        # Where `flask shop payout` writes a batch's bank upload file unless --csv says.
        self.PAYOUT_CSV_DIR = _env("PAYOUT_CSV_DIR", str(INSTANCE_PATH / "payouts"))
        # Webhooks (shop.notify.webhooks, docs/webhooks.md): each POST waits at most
        # WEBHOOK_TIMEOUT seconds for an answer. WEBHOOK_ALLOW_PRIVATE lets endpoints resolve to
        # private, loopback, link-local and other non-public addresses (a receiver on this
        # machine or the office network); WEBHOOK_REQUIRE_HTTPS refuses http:// endpoints.
        # Unset: private allowed and http accepted in development and testing, neither in
        # production (resolved by check(), once ENV is final).
        self.WEBHOOK_TIMEOUT = float(_env("WEBHOOK_TIMEOUT", "10"))
        self.WEBHOOK_ALLOW_PRIVATE = _flag("WEBHOOK_ALLOW_PRIVATE", None)
        self.WEBHOOK_REQUIRE_HTTPS = _flag("WEBHOOK_REQUIRE_HTTPS", None)
        # The embed (shop.embed): how long a frame's signed token is good for (an older one is
        # renewed on the next page view, without a new click), the frame's own session cookie
        # (SameSite=None; Secure; Partitioned, Path=/embed/<key>/), the days a partner's link
        # keeps its visitor cookie on the shop, and the budget of a partner's links per client.
        self.EMBED_TOKEN_MAX_AGE_SECONDS = _positive("EMBED_TOKEN_MAX_AGE_SECONDS", 24 * 3600)
        self.EMBED_SESSION_COOKIE_NAME = _env("EMBED_SESSION_COOKIE_NAME", "cliqq_frame")
        self.EMBED_VISITOR_COOKIE_DAYS = _positive("EMBED_VISITOR_COOKIE_DAYS", 30)
        self.EMBED_LINK_RATE_LIMIT = _env("EMBED_LINK_RATE_LIMIT", "60 per minute")
        self.PASSWORD_HASH_FAST = False  # tests set True: argon2 at its lightest parameters
        for key, value in overrides.items():
            setattr(self, key, value)

    @property
    def STRIPE_JS_URL(self) -> str:  # noqa: N802  (a setting, named like the others)
        if self.STRIPE_API_BASE:
            return self.STRIPE_API_BASE.rstrip("/") + "/js.stripe.com/v3/"
        return "https://js.stripe.com/v3/"

    def check(self, instance_path: Path = INSTANCE_PATH) -> None:
        """Refuse to start with settings that are unsafe: an unknown SHOP_ENV (a typo such as
        `prod` must not quietly turn off Secure cookies), or in production a missing or short
        SECRET_KEY. Without one, development keeps a key generated on first run in
        `instance/secret_key` (never a key published in the source), and testing draws one per
        process."""
        if self.ENV not in ENVIRONMENTS:
            raise ConfigError(
                f"SHOP_ENV={self.ENV!r} isn't one of {', '.join(ENVIRONMENTS)} "
                "(spelled exactly so, in lower case)."
            )
        if not self.SECRET_KEY:
            if self.ENV == "production":
                raise ConfigError(
                    "SECRET_KEY is not set. Set it in the environment "
                    "(for example: export SECRET_KEY=$(python3 -c 'import secrets; "
                    "print(secrets.token_hex(32))')) before starting CLiQQ Shop "
                    f"with SHOP_ENV={self.ENV}."
                )
            self.SECRET_KEY = (
                local_secret_key(instance_path)
                if self.ENV == "development"
                else secrets.token_hex(32)
            )
        if self.ENV == "production":
            # Whatever set ENV (the environment, instance/config.py, an override), production
            # cookies travel over HTTPS only.
            self.SESSION_COOKIE_SECURE = self.REMEMBER_COOKIE_SECURE = True
        if self.ENV == "production" and len(self.SECRET_KEY.encode()) < MIN_SECRET_KEY_BYTES:
            raise ConfigError(
                f"SECRET_KEY is {len(self.SECRET_KEY.encode())} bytes: production needs at "
                f"least {MIN_SECRET_KEY_BYTES} (python3 -c 'import secrets; "
                "print(secrets.token_hex(32))')."
            )

        for name in RATE_LIMIT_SETTINGS:
            try:
                if not parse_many(getattr(self, name)):
                    raise ValueError
            except ValueError as exc:
                raise ConfigError(
                    f"{name}={getattr(self, name)!r} isn't a list of limits such as "
                    "'5 per minute; 20 per hour'."
                ) from exc
        if self.OUTBOX_MAX_ATTEMPTS < 1 or self.OUTBOX_BATCH < 1:
            raise ConfigError("OUTBOX_MAX_ATTEMPTS and OUTBOX_BATCH must be at least 1.")
        if min(self.OUTBOX_BACKOFF_SECONDS, self.OUTBOX_LEASE_SECONDS) <= 0:
            raise ConfigError("OUTBOX_BACKOFF_SECONDS and OUTBOX_LEASE_SECONDS must be positive.")

        if self.WEBHOOK_ALLOW_PRIVATE is None:
            self.WEBHOOK_ALLOW_PRIVATE = self.ENV != "production"
        if self.WEBHOOK_REQUIRE_HTTPS is None:
            self.WEBHOOK_REQUIRE_HTTPS = self.ENV == "production"
        if not 0 < self.WEBHOOK_TIMEOUT <= 60:
            raise ConfigError(
                f"WEBHOOK_TIMEOUT={self.WEBHOOK_TIMEOUT} must be more than 0 and at most 60 "
                "seconds (a worker waits that long per attempt)."
            )

        if self.PICKUP_REMINDER_HOURS >= self.PICKUP_DAYS * 24:
            raise ConfigError(
                f"PICKUP_REMINDER_HOURS={self.PICKUP_REMINDER_HOURS} must be less than the "
                f"pickup window (PICKUP_DAYS={self.PICKUP_DAYS}: {self.PICKUP_DAYS * 24} hours)."
            )
        if self.MAIL_URL:
            from shop.notify.mailurl import MailUrlError, parse_mail_url

            try:
                parse_mail_url(self.MAIL_URL)
            except MailUrlError as exc:
                raise ConfigError(f"MAIL_URL: {exc}") from exc
        from shop.notify.sms import SmsUrlError, sender_kind

        if self.SMS_URL is None:
            self.SMS_URL = "dev" if self.ENV == "development" else "off"

        try:
            sender_kind(self.SMS_URL)
        except SmsUrlError as exc:
            raise ConfigError(f"SMS_URL: {exc}") from exc
        if sender_kind(self.SMS_URL) == "http" and not self.SMS_TOKEN and self.ENV == "production":
            raise ConfigError("SMS_URL is a gateway but SMS_TOKEN is not set.")

        if not self.STRIPE_WEBHOOK_SECRET:
            if self.ENV in ("development", "testing"):
                self.STRIPE_WEBHOOK_SECRET = "whsec_localstripe_dev"  # noqa: S105
            else:
                raise ConfigError("STRIPE_WEBHOOK_SECRET is not set: set it with the Stripe keys.")


def local_secret_key(instance_path: Path) -> str:
    """The development install's own secret key: drawn once into `instance/secret_key`
    (readable by its owner only) and read back on every later start."""
    path = Path(instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process drew it at the same moment: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(key + "\n")
    return key


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way (postgres://, postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
