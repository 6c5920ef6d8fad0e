"""Point 2 of issue #8: no input of any shape gives a 500, on any route, on either database.

The routes come from the app's URL map, so a route added later is in the battery without
anyone remembering it (`test_every_path_argument_has_a_filler` fails until its path arguments
have plausible and hostile values below). Each rule, with each method it allows, gets JSON
bodies of every shape, form bodies with lists and repeated keys, wrong and missing content
types, control characters in every kind of text (path, query, form, JSON, headers) and a huge
body; every POST goes both without a CSRF token and with a valid one (so the battery reaches
the view, not only the CSRF refusal); as the visitor who placed the orders, as a stranger, and
as each role where the route needs a login. Every answer must be:

- never a 5xx, and a 4xx for what is refused;
- on a JSON route the one JSON error body, on a page an HTML page;
- free of control characters in every header (no header injection);
- without any change to any table (rows counted after each identity's probes of each path,
  every row of every table compared after each route's battery).

Generated JSON values and texts (Hypothesis, a bounded number of examples) go to every route
as well. The whole file runs in well under a minute on two cores for both databases: the
plausible path gets every probe, other paths and identities a short battery (see SHORT).
"""

import json
import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import sqlalchemy as sa
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import MethodNotAllowed, NotFound

from shop import create_app
from shop.auth.models import Role
from shop.codes import damm_check_digit
from shop.extensions import csrf, db, limiter
from shop.fulfillment.models import Package
from shop.merchants import service as merchants
from shop.notify.devmail import MailStore
from shop.notify.models import OutboxMessage, OutboxStatus
from shop.payments import service as payments
from tests.conftest import csrf_token, log_in, make_config
from tests.integration.test_checkout import _add, _checkout

# --- The routes, read from the app's URL map -------------------------------------------------

_MAP_APP = create_app(make_config("sqlite://"))
ROUTES = sorted(
    (rule.rule, method, rule.endpoint)
    for rule in _MAP_APP.url_map.iter_rules()
    for method in rule.methods
)
ARGUMENTS = re.compile(r"<(?:[^:<>]+:)?([A-Za-z_][A-Za-z0-9_]*)>")

# Every kind of control character a text can carry (C0, DEL, C1), and Unicode's line and
# paragraph separators, which some parsers treat as line breaks.
CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x1f", "\x7f", "\x85", "\x9b"]
SEPARATORS = ["\r\n", "\n", "\r", "\t", "\u2028", "\u2029"]
CONTROL_IN_HEADER = re.compile(r"[\x00-\x1f\x7f]")

# What the views read, by name: every one of them gets the hostile values.
QUERY_NAMES = [
    "q", "category", "sort", "page", "per_page", "near", "frozen", "packages", "selected",
    "field", "view", "branch_q", "branch_near", "branch_frozen", "branch_packages",
    "branch_code", "key", "next", "v",
    "from", "to", "preset", "app", "status", "item_q",
    "visitor", "origin", "item",
]  # fmt: skip
FORM_NAMES = [
    "csrf_token", "email", "password", "name", "phone", "payment", "idempotency_key",
    "expected_total", "branch_code", "branch_q", "branch_near", "action", "item_id",
    "quantity", "current", "new", "confirm", "payment_method", "payment_intent", "key",
    "origin_code", "length", "width", "height", "weight", "contents", "amount", "frozen",
    "merchant", "packages", "courier",
    "code", "label", "labels", "cash_received", "id_type", "signature", "reason", "trip",
    "lookup",
    "origins", "rate", "theme_colour", "catalog", "categories", "items", "target",
]  # fmt: skip


@dataclass
class World:
    """What the battery's paths are filled from: real rows made by factories and a checkout."""

    item_id: int
    item_slug: str
    online_number: str  # awaiting a card payment, placed by `owner`
    cod_number: str  # confirmed, with a package, placed by `owner`
    tracking_number: str
    payment_method: str  # what Stripe.js made of a card (FakeStripe charges nothing)
    message_id: str  # a parked outbox message
    mail_name: str  # a mail the dev mail server kept
    owner: object  # the client that placed both orders (and has a cart)
    clients: dict = field(default_factory=dict)
    branch_code: str = ""  # the store both orders go to
    category_id: int = 0  # the item's category
    api_key: str = ""  # a merchant's secret key (the API's routes)
    console_merchant_id: int = 0  # the merchant the battery's merchant login works for


# Each path argument: (value as it goes in the URL, hostile?). The first value is the
# plausible one (a real row), which gets the whole battery; the others get a shorter one.
FILLERS = {
    "slug": lambda w: [(w.item_slug, False), ("no-such-item", False), ("A" * 300, False)],
    "item_id": lambda w: [(str(w.item_id), False), ("0", False), ("9" * 25, False)],
    "number": lambda w: [
        (w.online_number, False),
        (w.cod_number, False),
        (w.online_number.lower(), False),
        ("CQ-2345-6789", False),  # well formed, no such order
        ("nonsense", False),
        ("CQ-" + "Z" * 500, False),
    ],
    "tracking_number": lambda w: [
        (w.tracking_number, False),
        ("700000000000", False),
        ("junk", False),
        ("7" * 400, False),
    ],
    "trip_number": lambda w: [
        ("T-20261201-000001", False),
        ("t-20261201-000001", False),
        ("junk", False),
        ("T" * 400, False),
    ],
    "shipment_id": lambda w: [("1", False), ("2147483647", False)],
    "app_id": lambda w: [("1", False), ("2147483647", False)],  # a partner app (none: a 404)
    "rate_id": lambda w: [("1", False), ("2147483647", False)],  # an app's rate override
    "apo_number": lambda w: [
        ("APO-20261201-000001", False),
        ("apo-20261201-000001", False),
        ("junk", False),
        ("A" * 400, False),
    ],
    "payout_number": lambda w: [  # payout batches (shop.partners.payouts)
        ("PO-20261201-0001", False),
        ("po-20261201-0001", False),
        ("junk", False),
        ("P" * 400, False),
    ],
    "code": lambda w: [
        ("2" + "0" * 12 + damm_check_digit("2" + "0" * 12), False),  # well formed, no such code
        ("3" + "1" * 12 + damm_check_digit("3" + "1" * 12), False),
        ("4" + "0" * 12 + damm_check_digit("4" + "0" * 12), False),  # a RETURN CODE
        ("1" + "0" * 12 + damm_check_digit("1" + "0" * 12), False),  # a PAY CODE
        ("40000000000001", False),  # a typo
        ("junk", False),
        ("2" * 400, False),
    ],
    "receipt_number": lambda w: [
        ("AR-0412-20261201-0001", False),
        ("ar-0412-20261201-0001", False),
        ("junk", False),
        ("A" * 400, False),
    ],
    "branch_code": lambda w: [  # a branch code (the operator's branch screens)
        (w.branch_code, False),
        ("ZZZZ", False),
        ("DC-PASIG", False),
        ("Z" * 300, False),
    ],
    "message_id": lambda w: [
        (w.message_id, False),
        ("00000000-0000-0000-0000-000000000000", False),
        ("junk", False),
        ("9" * 300, False),
    ],
    "name": lambda w: [
        (w.mail_name, False),
        ("20260101T000000000000-00000000000000000000", False),
        ("../../secret_key", False),
        ("x" * 300, False),
    ],
    # Webhook endpoints and their logged deliveries (/partners/webhooks/...): none exists in
    # the world, so every id is someone else's or no one's (a 404), never a 500.
    "endpoint_id": lambda w: [("1", False), ("2147483647", False)],
    "event_id": lambda w: [("1", False), ("2147483647", False)],  # none exists: a 404
    "delivery_id": lambda w: [("1", False), ("2147483647", False)],
    "category_id": lambda w: [  # the operator's categories (the item's category is a real one)
        (str(w.category_id), False),
        ("2147483647", False),
    ],
    "merchant_id": lambda w: [("1", False), ("2147483647", False)],  # the operator's merchants
    # A merchant's login on the operator's merchant page, and an API key in the merchant
    # console: the battery's merchant login's merchant has neither, so every id is another's
    # or no one's (a 404).
    "user_id": lambda w: [("1", False), ("2147483647", False)],
    "key_id": lambda w: [("1", False), ("2147483647", False)],
    "image_name": lambda w: [  # an uploaded item picture (shop/admin/images.py)
        ("0" * 32 + ".png", False),
        ("../../secret_key", False),
        ("x" * 300, False),
    ],
    # An app key (the embed's routes). No live app here: a live app's link records a click,
    # a write on purpose, which the battery's no-write rule would count; tests/integration/
    # test_embed.py covers the live app's routes.
    "key": lambda w: [
        ("app_demo_lakbay", False),
        ("app_00000000000000000000", False),
        ("k" * 300, False),
    ],
    "filename": lambda w: [
        ("css/shop.css", False),
        ("nope.css", False),
        ("../../etc/passwd", False),
        ("%2e%2e/%2e%2e/etc/passwd", False),
    ],
}
# Appended to every argument: control characters, separators, a lone surrogate's bytes, bad
# UTF-8. Control characters are refused (4xx) whatever the route.
HOSTILE_SEGMENTS = [
    ("%00", True),
    ("x%01y", True),
    ("x%0D%0ASet-Cookie:%20a=b", False),
    ("x%1b%7f", True),
    ("x%C2%85", True),
    ("x%E2%80%A8", False),
    ("x%ED%A0%80", False),
    ("x%FF%FE", False),
]


def test_every_path_argument_has_a_filler():
    """A route added later with a new path argument fails here until it gets values."""
    missing = {
        f"{rule} <{name}>"
        for rule, _, _ in ROUTES
        for name in ARGUMENTS.findall(rule)
        if name not in FILLERS
    }
    assert not missing, f"add plausible and hostile values to FILLERS for: {sorted(missing)}"


@pytest.mark.parametrize("rule", sorted({rule for rule, _, _ in ROUTES if "<int:" in rule}))
def test_a_whole_number_in_a_path_fits_an_integer_column(app, rule):
    """Every <int:...> argument is 1 to 2^31 - 1: a larger number never reaches a query, where
    SQLite's driver overflows past 2^63 and PostgreSQL's INTEGER ends at 2^31 - 1."""
    adapter = app.url_map.bind("localhost")
    methods = sorted({m for r, m, _ in ROUTES if r == rule} - {"HEAD", "OPTIONS"})
    for value, reaches in [("1", True), ("2147483647", True), ("2147483648", False),
                           ("0", False), ("9" * 25, False)]:  # fmt: skip
        path = ARGUMENTS.sub(value, rule)
        for method in methods:
            try:
                adapter.match(path, method)
            except NotFound:
                assert not reaches, f"{method} {path} should reach {rule}"
            else:
                assert reaches, f"{method} {path} should be a 404"


def _paths(rule: str, world: World) -> list[tuple[str, bool, bool]]:
    """(path, hostile, primary) for every filler of every argument of `rule`."""
    names = ARGUMENTS.findall(rule)
    if not names:
        return [(rule, False, True)]
    primary = {name: FILLERS[name](world)[0][0] for name in names}
    paths = []
    for name in names:
        for index, (value, hostile) in enumerate(FILLERS[name](world) + HOSTILE_SEGMENTS):
            values = primary | {name: value}
            path = ARGUMENTS.sub(lambda m, v=values: v[m.group(1)], rule)
            paths.append((path, hostile, index == 0))
    return list(dict.fromkeys(paths))


# --- Stripe, as far as the battery needs it --------------------------------------------------


class _Intents:
    def __init__(self, prefix: str):
        self.prefix, self.made = prefix, {}

    def create(self, params=None, options=None):
        intent_id = f"{self.prefix}_battery{len(self.made) + 1}"
        intent = stripe.convert_to_stripe_object(
            {
                "id": intent_id,
                "object": "payment_intent",
                "client_secret": f"{intent_id}_secret_x",
                "status": "requires_payment_method",
                "metadata": (params or {}).get("metadata", {}),
            }
        )
        self.made[intent_id] = intent
        return intent

    def retrieve(self, intent_id, params=None, options=None):
        if intent_id not in self.made:
            raise stripe.InvalidRequestError(f"No such intent: '{intent_id}'", "intent", 404)
        return self.made[intent_id]

    def cancel(self, intent_id, params=None, options=None):
        return self.retrieve(intent_id)


class FakeStripe:
    """PaymentIntents are made (never paid: the card isn't charged) and found again; any
    other id is unknown, as Stripe says."""

    def __init__(self):
        self.v1 = SimpleNamespace(
            payment_intents=_Intents("pi"),
            refunds=SimpleNamespace(create=lambda **kwargs: None),
        )


# --- The world and the checks ----------------------------------------------------------------


@pytest.fixture
def world(app, make, monkeypatch, tmp_path):
    fake = FakeStripe()
    monkeypatch.setattr(payments, "client", lambda: fake)
    monkeypatch.setattr(limiter, "enabled", False)  # the battery is many requests a minute
    item = make.item(stock=50)
    branch = make.branch()
    owner = app.test_client()
    _add(owner, item)
    online = _checkout(owner, branch, payment="online").headers["Location"]
    _add(owner, item)
    cod = _checkout(owner, branch).headers["Location"]
    _add(owner, item)  # a cart to check out
    online_number = online.split("/")[2].split("?")[0]
    assert owner.get(f"/orders/{online_number}/pay").status_code == 200
    with app.app_context():
        tracking = db.session.scalar(sa.select(Package.tracking_number))
        message = db.session.scalar(sa.select(OutboxMessage).limit(1))
        message.status = OutboxStatus.PARKED
        message_id = message.id
        db.session.commit()
    mail_dir = tmp_path / "mail"
    monkeypatch.setitem(app.config, "DEV_MAIL_DIR", str(mail_dir))
    store = MailStore(mail_dir)
    store.save(b"Message-ID: <battery@example.com>\r\nSubject: Hi\r\n\r\nHello.\r\n")
    with app.app_context():
        _, api_key = merchants.create_with_key("Battery merchant", "ops@battery.example")
        # The merchant console's login works for a merchant of its own, with no key, shipment
        # or endpoint: every object in a console path is another's (a 404), and nothing the
        # battery posts finds anything to change.
        console_merchant = merchants.create_merchant(
            "Battery console merchant", "battery-console", "ops@console.example"
        ).merchant.id
    return World(
        item_id=item.id,
        item_slug=item.slug,
        online_number=online_number,
        cod_number=cod.split("/")[2].split("?")[0],
        tracking_number=tracking,
        payment_method="pm_battery1",
        message_id=message_id,
        mail_name=store.names()[0],
        owner=owner,
        branch_code=branch.code,
        category_id=item.category_id,
        api_key=api_key.secret,
        console_merchant_id=console_merchant,
    )


def _count_rows_statement():
    tables = db.metadata.sorted_tables
    return sa.select(
        *[
            sa.select(sa.func.count()).select_from(table).scalar_subquery().label(table.name)
            for table in tables
        ]
    )


def _counts(app) -> tuple:
    with app.app_context():
        return tuple(db.session.execute(_count_rows_statement()).one())


def _rows(app) -> dict:
    with app.app_context():
        return {
            table.name: db.session.execute(
                sa.select(table).order_by(*table.primary_key.columns)
            ).all()
            for table in db.metadata.sorted_tables
        }


def _json_view(app, endpoint: str) -> bool:
    view = app.view_functions.get(endpoint)
    return bool(getattr(view, "answers_json", False))


def _csrf_exempt(app, endpoint: str) -> bool:
    view = app.view_functions.get(endpoint)
    return f"{view.__module__}.{view.__name__}" in csrf._exempt_views


def _endpoint(app, path: str, method: str) -> str | None:
    """The endpoint `path` reaches, None when it reaches no rule (an <int:...> filled with
    letters, say). A path two rules share (GET and POST of /orders/<number>/pay) answers
    OPTIONS from the first."""
    from urllib.parse import unquote

    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(unquote(path, errors="replace"), method)
    except (NotFound, MethodNotAllowed):
        return None
    except Exception:  # a redirect (a missing slash), ...
        return None
    return endpoint


@dataclass(frozen=True)
class Probe:
    """One hostile request. `refused`: "always" (4xx whatever the method: hostile text in the
    path, query or headers), "body" (4xx when the body is read, i.e. on a POST), "never"
    (an answer below 500 is all that's asked: the input may be fine, or ignored)."""

    name: str
    refused: str = "never"
    query: str | None = None
    headers: dict = field(default_factory=dict)
    environ: dict = field(default_factory=dict)
    data: bytes | str | dict | None = None
    content_type: str | None = None
    form: bool = False  # `data` is form fields: the valid CSRF token goes in with them

    @property
    def body(self) -> bool:
        return self.data is not None


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=x"


def _json(value) -> bytes:
    return json.dumps(value).encode()


def _as_json(name: str, value, refused: str = "never") -> Probe:
    data = value if isinstance(value, bytes) else _json(value)
    return Probe(name, refused, data=data, content_type=JSON)


def _raw(name: str, data: bytes | str, content_type: str | None, refused: str = "never") -> Probe:
    return Probe(name, refused, data=data, content_type=content_type)


def _form(name: str, fields, refused: str = "never") -> Probe:
    return Probe(name, refused, data=fields, form=True)


def _part(headers: str, body: bytes) -> bytes:
    return b"--x\r\n" + headers.encode() + b"\r\n\r\n" + body + b"\r\n--x--\r\n"


def _body_probes(world: World) -> list[Probe]:
    huge = "x" * 30_000  # twenty fields of it stay under the 1 MB body limit
    deep_arrays = b"[" * 5000 + b"]" * 5000
    deep_objects = b'{"a":' * 5000 + b"1" + b"}" * 5000
    step = {"payment_method": world.payment_method, "payment_intent": "pi_nope"}
    login = {"email": "nobody@example.com", "password": "x" * 12}
    probes = [
        # JSON of every shape, and JSON that isn't.
        _as_json("json array", [], "body"),
        _as_json("json string", "text", "body"),
        _as_json("json number", 42, "body"),
        _as_json("json true", True, "body"),
        _as_json("json null", None, "body"),
        _as_json("json float", 1.5e308, "body"),
        _as_json("json 5000 deep arrays", deep_arrays, "body"),
        _as_json("json 5000 deep objects", deep_objects, "body"),
        _as_json("json 60 deep", b"[" * 60 + b"]" * 60, "body"),
        _as_json("json truncated", b'{"email": ', "body"),
        _as_json("json not utf-8", b'{"email": "\xff\xfe"}', "body"),
        _as_json("json with a form body", b"email=a%40b.c&password=x", "body"),
        _raw("json+suffix type with an array", b"[1]", "application/vnd.api+json", "body"),
        _as_json("json empty object", {}),
        _as_json("json empty body", b""),
        _as_json("json plausible step", step),
        _as_json("json plausible login", login),
    ]
    for shape, value in [
        ("lists", ["a", "b"]),
        ("objects", {"a": {"b": "c"}}),
        ("huge strings", huge),
        ("numbers", 12345678901234567890),
        ("booleans", True),
        ("nulls", None),
        ("empty lists", []),
    ]:
        probes.append(_as_json(f"json fields are {shape}", {name: value for name in FORM_NAMES}))
    for char in CONTROLS + ["\ud800", "\udfff"]:
        fields = {name: f"a{char}b" for name in FORM_NAMES} | {f"k{char}": "v"}
        probes.append(_as_json(f"json text with {char!r}", fields, "body"))
    for char in SEPARATORS:
        fields = {name: f"a{char}b" for name in FORM_NAMES}
        probes.append(_as_json(f"json text with {char!r}", fields))
    # Forms: lists and repeated keys, huge values, control characters in values and keys.
    plausible = {"item_id": str(world.item_id), "quantity": "1"} | login
    probes += [
        _form("form repeated keys", [(n, v) for n in FORM_NAMES for v in ("1", "2", "")]),
        _form("form empty values", {n: "" for n in FORM_NAMES}),
        _form("form huge values", {n: huge for n in FORM_NAMES}),
        _form("form plausible values", plausible),
        _raw("form 5000 fields", "&".join(f"f{i}=1" for i in range(5000)), FORM),
        _raw("form bad utf-8", b"email=%FF%FE&name=\xff\xfe&quantity=%C0%80", FORM),
        _raw("form a lone surrogate's bytes", b"name=%ED%A0%80&email=%ED%BF%BF", FORM),
    ]
    for char in CONTROLS:
        values = [(n, f"a{char}b") for n in FORM_NAMES if n != "csrf_token"]
        probes.append(_form(f"form text with {char!r}", values, "body"))
        probes.append(_form(f"form key with {char!r}", [(f"k{char}", "v")], "body"))
    for char in SEPARATORS:
        values = [(n, f"a{char}b") for n in FORM_NAMES if n != "csrf_token"]
        probes.append(_form(f"form text with {char!r}", values))
    # Wrong and missing content types, multipart of every kind, and a body over the limit.
    email_part = 'Content-Disposition: form-data; name="email"'
    upload = f'{email_part}; filename="a\x01.txt"\r\nContent-Type: text/plain'
    probes += [
        _raw("text/plain", b"email=a&password=b", "text/plain"),
        _raw("text/plain with NUL", b"a\x00b", "text/plain"),
        _raw("application/xml", b"<?xml version='1.0'?><a>&lt;</a>", "application/xml"),
        _raw("no content type", b'{"email": "a"}', None),
        _raw("form type, json body", b'{"email": ["a"]}', FORM),
        _raw("multipart junk", b"--x\r\njunk\r\n\r\n--", MULTIPART),
        _raw("multipart no boundary", b"junk", "multipart/form-data"),
        _raw(
            "multipart wrong boundary", _part(email_part, b"a").replace(b"--x", b"--y"), MULTIPART
        ),
        _raw("multipart with a file", _part(upload, b"hello\x00"), MULTIPART),
        _raw("multipart NUL field", _part(email_part, b"a\x00b"), MULTIPART, "body"),
        _raw("unknown content type", b"\x00\x01\x02", "application/octet-stream"),
        _raw("malformed content type", b"a=b", ";;;=\x7f"),
        _raw("a huge body", "x=" + "1" * (2 * 1024 * 1024), FORM, "body"),
        _as_json("a huge json body", {"email": "x" * (2 * 1024 * 1024)}, "body"),
        _as_json("json with a byte order mark", b"\xef\xbb\xbf" + _json(login)),
        _as_json("json in utf-16", json.dumps(login).encode("utf-16")),
    ]
    return probes


def _query(value: str) -> str:
    return "&".join(f"{name}={value}" for name in QUERY_NAMES)


def _text_probes() -> list[Probe]:
    """Hostile text outside the body: the query string and headers."""
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    probes = [
        Probe("nothing"),
        Probe("htmx", headers={"HX-Request": "true"}),
        Probe("htmx history restore", headers=restore),
        Probe("query repeated", query=_query("1") + "&" + _query("2")),
        Probe("query huge", query=_query("9" * 3000)),
        Probe("query bad utf-8", query=_query("%FF%FE")),
        Probe("query raw bad utf-8", "always", environ={"QUERY_STRING": "q=\xff\xfe"}),
        Probe("query lone surrogate bytes", query=_query("%ED%A0%80")),
        Probe("cookie junk", headers={"Cookie": "session=garbage.garbage; remember_token=x"}),
        Probe("referer elsewhere", headers={"Referer": "https://evil.example/items/x"}),
        Probe("origin elsewhere", headers={"Origin": "https://evil.example"}),
        Probe("accept json", headers={"Accept": "application/json"}),
    ]
    for char in CONTROLS:
        encoded = quote(char.encode("utf-8"))
        probes.append(Probe(f"query text with {char!r}", "always", query=_query(f"a{encoded}b")))
        probes.append(Probe(f"query key with {char!r}", "always", query=f"k{encoded}=v"))
    for char in SEPARATORS:
        probes.append(Probe(f"query text with {char!r}", query=_query(f"a{quote(char)}b")))
    # Headers the test client would refuse to build go in through the WSGI environ.
    for char in [*CONTROLS[:7], "\r\n", "\n"]:
        value = f"http://localhost/items/x{char}Set-Cookie: a=b"
        for header in ("REFERER", "USER_AGENT", "HX_REQUEST", "X_CSRFTOKEN", "ORIGIN"):
            environ = {f"HTTP_{header}": value}
            probes.append(Probe(f"{header} header with {char!r}", "always", environ=environ))
    return probes


# Tiers, to stay fast: the route's plausible path, as the identity that reaches its view, gets
# every probe (a GET every text probe, and of the bodies it ignores the SHORT ones); the other
# identities, HEAD and OPTIONS, and a POST without its CSRF token get the SHORT battery; every
# other path filler the PATH one (the path is what is hostile there).
SHORT = {
    "nothing", "json array", "json 5000 deep arrays", "json text with '\\x00'",
    "form text with '\\x00'", "query text with '\\x01'", "REFERER header with '\\r\\n'",
    "multipart junk", "json plausible step",
}  # fmt: skip
PATH = {"nothing", "json array"}


def _send(client, path: str, method: str, probe: Probe, token: str | None):
    headers = dict(probe.headers)
    data = probe.data
    content_type = probe.content_type
    if token is not None:
        headers["X-CSRFToken"] = token
        if probe.form:
            pairs = list(data.items()) if isinstance(data, dict) else list(data)
            data = [*pairs, ("csrf_token", token)]
    if probe.form:
        from urllib.parse import urlencode

        data = urlencode(list(data.items()) if isinstance(data, dict) else data)
        content_type = "application/x-www-form-urlencoded"
    kwargs = {"method": method, "headers": headers, "environ_overrides": dict(probe.environ)}
    if probe.query is not None:
        kwargs["query_string"] = probe.query
    if data is not None and method not in ("HEAD", "OPTIONS"):
        kwargs["data"] = data
        if content_type is not None:
            kwargs["content_type"] = content_type
    return client.open(path, **kwargs)


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)

    def add(self, what: str, problem: str) -> None:
        self.problems.append(f"{what}: {problem}")


def _check(response, what, *, json_route, refused, into):
    findings = into
    status = response.status_code
    if status >= 500:
        findings.add(what, f"{status} {response.get_data(as_text=True)[:200]!r}")
        return
    if refused and not 400 <= status < 500:
        findings.add(what, f"answered {status}, should be refused with a 4xx")
    for name, value in response.headers.items():
        if CONTROL_IN_HEADER.search(name) or CONTROL_IN_HEADER.search(value):
            findings.add(what, f"header {name}: {value!r} carries a control character")
    if status >= 400 and response.request.method != "HEAD":
        if json_route:
            body = response.get_json(silent=True)
            shape_ok = (
                response.mimetype == "application/json"
                and isinstance(body, dict)
                and set(body) == {"error"}
                and isinstance(body["error"], dict)
                and set(body["error"]) == {"code", "message", "field"}
                and isinstance(body["error"]["code"], str)
                and isinstance(body["error"]["message"], str)
                and (body["error"]["field"] is None or isinstance(body["error"]["field"], str))
            )
            if not shape_ok:
                findings.add(what, f"{status} is not the JSON error body: {response.data[:200]!r}")
        elif response.mimetype != "text/html":
            findings.add(what, f"{status} is {response.mimetype}, not an HTML page")


def _identities(app, make, world, rule, method) -> list[tuple[str, object, bool]]:
    """(who, client, main) for this route: `main` gets the whole battery, the others the short
    one. The visitor who placed the orders is main, a stranger is not; where the route sends
    a visitor to log in or refuses them, each role gets in (or is refused), the first role that
    gets in being main instead."""
    path = _paths(rule, world)[0][0]
    if rule.startswith("/api/"):
        # The merchant API: a merchant's secret key, not a login (shop.api.blueprint).
        keyed = world.clients.get("api")
        if keyed is None:
            keyed = world.clients["api"] = app.test_client()
            keyed.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.api_key}"
            # Its first use notes when the key was last used (a write), before the battery
            # counts rows: none of the battery's own requests writes.
            assert keyed.get("/api/v1/branches").status_code == 200
        return [("merchant key", keyed, True), ("stranger", app.test_client(), False)]
    asked = "GET" if method in ("HEAD", "OPTIONS") else method
    token = csrf_token(world.owner) if asked == "POST" else None
    first = _send(world.owner, path, asked, Probe("probe"), token)
    needs_login = first.status_code in (401, 403) or "/login?next=" in first.headers.get(
        "Location", ""
    )
    who = [("owner", world.owner, not needs_login), ("stranger", app.test_client(), False)]
    if needs_login:
        main_taken = False
        for role in Role:
            client = world.clients.get(role)
            if client is None:
                client = world.clients[role] = app.test_client()
                linked = {"merchant_id": world.console_merchant_id} if role is Role.MERCHANT else {}
                assert log_in(client, make.user(role=role, **linked).email).status_code == 302
            token = csrf_token(client) if asked == "POST" else None
            gets_in = _send(client, path, asked, Probe("probe"), token).status_code not in (
                401,
                403,
            )
            who.append((role.value, client, gets_in and not main_taken))
            main_taken = main_taken or gets_in
        assert main_taken, f"no role reaches {method} {rule}"
    return who


@pytest.mark.parametrize(
    ("rule", "method", "endpoint"), ROUTES, ids=[f"{m} {r} {e}" for r, m, e in ROUTES]
)
def test_every_route_survives_the_battery(app, make, world, rule, method, endpoint):
    findings = Findings()
    exempt = method == "POST" and _csrf_exempt(app, endpoint)
    probes = _text_probes() + _body_probes(world)
    identities = _identities(app, make, world, rule, method)
    before_rows = _rows(app)
    before = _counts(app)
    for who, client, main in identities:
        token = csrf_token(client) if method == "POST" else None
        for path, hostile_path, primary in _paths(rule, world):
            if who == "stranger" and not primary and not hostile_path:
                continue  # the owner tries every filler; a stranger the real row and junk
            reached = _endpoint(app, path, method)
            # Under /api/ every answer is JSON, a path that reaches no rule too (shop.web).
            json_route = path.startswith("/api/") or (
                reached is not None and _json_view(app, reached)
            )
            whole = main and primary and method not in ("HEAD", "OPTIONS")
            tier = {True: None, False: SHORT if primary else PATH}[whole]
            for probe in probes:
                if tier is not None and probe.name not in tier:
                    continue
                if whole and method == "GET" and probe.body and probe.name not in SHORT:
                    continue
                tokens = [token] if method == "POST" and not exempt else [None]
                if method == "POST" and not exempt and primary and probe.name in SHORT:
                    tokens.append(None)  # and without its token: refused whatever the body
                for sent_token in tokens:
                    what = f"{method} {path} as {who}, {probe.name}" + (
                        ", with a CSRF token" if sent_token else ""
                    )
                    refused = (
                        probe.refused == "always"
                        or (hostile_path and reached is not None)
                        or (method == "POST" and probe.refused == "body")
                        or (method == "POST" and not exempt and sent_token is None)
                    )
                    try:
                        response = _send(client, path, method, probe, sent_token)
                    except Exception as exc:  # the app raised: a 500 in production
                        findings.add(what, f"500 {exc.__class__.__name__}: {exc}"[:300])
                        continue
                    _check(response, what, json_route=json_route, refused=refused, into=findings)
                    if reached == "payments.webhook" and method == "POST":
                        _check_unsigned_webhook(response, what, findings)
            after = _counts(app)  # per path and identity: a row count is cheap, not free
            if after != before:
                findings.add(f"{method} {path} as {who}", f"rows changed: {before} -> {after}")
                before = after
    if _rows(app) != before_rows:
        findings.add(f"{method} {rule}", "a row changed during the battery")
    assert not findings.problems, f"{len(findings.problems)} problems:\n" + "\n".join(
        findings.problems[:80]
    )


def _check_unsigned_webhook(response, what, findings):
    """Nothing the battery sends is signed: the webhook refuses it as such (or earlier, for an
    unreadable address or header, or a body over the limit)."""
    code = ((response.get_json(silent=True) or {}).get("error") or {}).get("code")
    allowed = {(400, "bad_signature"), (400, "bad_request"), (413, "too_large")}
    if (response.status_code, code) not in allowed:
        findings.add(what, f"unsigned webhook got {response.status_code} {code}")


# --- Generated values, everywhere ------------------------------------------------------------

# Hostile by construction: any character, control characters and lone surrogates included
# (JSON carries a surrogate as an escape; a form or a query, which travel as UTF-8, cannot).
HOSTILE_CHARACTERS = [*CONTROLS, "\r", "\n", "\t", "\u2028", "\ufeff", "\uffff", "%", "&", "="]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]


def _texts(*extra: str):
    """Texts of any characters, often the hostile ones (a list of characters joined: Hypothesis
    would apply the UTF-8 filter of `characters()` to a whole one_of alphabet)."""
    return st.lists(
        st.characters(codec="utf-8") | st.sampled_from([*HOSTILE_CHARACTERS, *extra]),
        max_size=40,
    ).map("".join)


UTF8_TEXT = _texts()
ANY_TEXT = _texts(*SURROGATES)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FORM_NAMES) | ANY_TEXT, inner, max_size=5)
    ),
    max_leaves=12,
)
REFUSED_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
HEADER_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
POSTS = sorted({rule for rule, method, _ in ROUTES if method == "POST"})
GETS = sorted({rule for rule, method, _ in ROUTES if method == "GET"})
GENERATED = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _send_generated(app, world, path, method, probe, token, findings, refused=False):
    try:
        response = _send(world.owner, path, method, probe, token)
    except Exception as exc:  # the app raised: a 500 in production
        findings.add(f"{method} {path}, {probe.name}", f"500 {exc.__class__.__name__}: {exc}")
        return None
    reached = _endpoint(app, path, method)
    json_route = path.startswith("/api/") or (reached is not None and _json_view(app, reached))
    what = f"{method} {path}, {probe.name}"
    _check(response, what, json_route=json_route, refused=refused, into=findings)
    return response


def _unchanged_unless_accepted(app, before, responses, findings):
    if _counts(app) != before and all(r is None or r.status_code >= 400 for r in responses):
        findings.add("generated", "rows changed though every request was refused")


@GENERATED
@given(value=JSON_VALUES, text=ANY_TEXT)
def test_generated_json_never_gives_a_500(app, world, value, text):
    """Any JSON value, as the whole body and as every field, and any text as every field,
    on every POST route."""
    findings = Findings()
    token = csrf_token(world.owner)
    before = _counts(app)
    responses = []
    for rule in POSTS:
        path = _paths(rule, world)[0][0]
        for probe in (
            _as_json("generated json", value),
            _as_json("generated json fields", {name: value for name in FORM_NAMES}),
            _as_json("generated json text", {name: text for name in FORM_NAMES}),
        ):
            responses.append(_send_generated(app, world, path, "POST", probe, token, findings))
    _unchanged_unless_accepted(app, before, responses, findings)
    assert not findings.problems, "\n".join(findings.problems[:20])


@GENERATED
@given(text=UTF8_TEXT)
def test_generated_text_never_gives_a_500(app, world, text):
    """Any text in every query parameter of every GET route, every form field of every POST
    route, and the Referer header; refused wherever it carries a control character."""
    findings = Findings()
    token = csrf_token(world.owner)
    hostile = REFUSED_CHARACTER.search(text) is not None
    before = _counts(app)
    responses = []
    query = "&".join(f"{name}={quote(text)}" for name in QUERY_NAMES)
    referer = ("http://localhost/items/" + text).encode().decode("latin-1")
    for rule in GETS:
        path = _paths(rule, world)[0][0]
        probe = Probe("generated query", query=query)
        responses.append(
            _send_generated(app, world, path, "GET", probe, None, findings, refused=hostile)
        )
    for rule in POSTS:
        path = _paths(rule, world)[0][0]
        probe = _form("generated form", {name: text for name in FORM_NAMES if name != "csrf_token"})
        exempt = _csrf_exempt(app, _endpoint(app, path, "POST") or "")
        refused = hostile and not exempt
        responses.append(
            _send_generated(app, world, path, "POST", probe, token, findings, refused=refused)
        )
        # A header arrives as Latin-1: UTF-8's bytes above 0x7F are no control characters there.
        probe = Probe("generated referer", environ={"HTTP_REFERER": referer})
        refused = HEADER_CONTROL.search(referer) is not None
        responses.append(
            _send_generated(app, world, path, "POST", probe, token, findings, refused=refused)
        )
    _unchanged_unless_accepted(app, before, responses, findings)
    assert not findings.problems, "\n".join(findings.problems[:20])


@pytest.mark.parametrize("path", ["/orders/{}/pay", "/login"])
def test_json_nested_past_the_limit_is_refused_as_such(app, world, path):
    """Past MAX_JSON_DEPTH the body is refused as unreadable (400), whatever the route would
    make of its shape; within it, the route reads it and says what is wrong (422)."""
    from shop.web import MAX_JSON_DEPTH

    client = world.owner
    path = path.format(world.online_number)
    for depth, status in [(MAX_JSON_DEPTH - 2, 422), (MAX_JSON_DEPTH + 1, 400)]:
        nested = "[" * depth + "]" * depth
        response = client.post(
            path,
            data=f'{{"payment_method": {nested}, "email": {nested}}}',
            headers={"Content-Type": JSON, "X-CSRFToken": csrf_token(client)},
        )
        assert response.status_code == status, depth
