"""Demo data: a catalog, branches, the distribution center and one login per role (a clerk
for a few branches).

Loading is idempotent: each record is keyed by its slug, code or email and only added when
missing, so a second run changes nothing (and never undoes what someone changed meanwhile)."""

from dataclasses import dataclass

from shop.auth.models import Role

DEMO_PASSWORD = "cliqq-demo-2026"  # noqa: S105  (demo data only; `seed` refuses production)

DEMO_USERS = [
    ("shopper@demo.cliqq.ph", "Juan dela Cruz", Role.SHOPPER),
    ("publisher@demo.cliqq.ph", "Lakbay App (publisher)", Role.PUBLISHER),
    ("merchant@demo.cliqq.ph", "Tindahan Online (merchant)", Role.MERCHANT),
    ("seller@demo.cliqq.ph", "Ate Bing's Crafts (seller)", Role.SELLER),
    ("clerk-0412@demo.cliqq.ph", "Store clerk, Ayala Triangle", Role.CLERK),
    ("clerk-0388@demo.cliqq.ph", "Store clerk, BGC High Street", Role.CLERK),
    ("clerk-0103@demo.cliqq.ph", "Store clerk, Cubao Aurora", Role.CLERK),
    ("dc@demo.cliqq.ph", "Pasig DC receiving", Role.DC),
    ("admin@demo.cliqq.ph", "Operator", Role.ADMIN),
]

# The demo publisher's two apps (shop.demo.service.seed_partners), approved and framable from
# the demo partner page (`flask shop partner-demo`, port 5001): the whole catalog in the shop's
# green, and a snacks-and-kitchen shop in its own colour. Fixed keys: the demo page's snippet.
DEMO_PUBLISHER = "publisher@demo.cliqq.ph"
DEMO_PARTNER_ORIGINS = ["http://localhost:5001", "http://127.0.0.1:5001"]
DEMO_APPS = [
    {
        "key": "app_demo_lakbay",
        "name": "Lakbay travel app",
        "theme_colour": "#00704a",
        "categories": None,
        "default_rate_bp": 500,
    },
    {
        "key": "app_demo_kusina",
        "name": "Kusina recipes",
        "theme_colour": "#8a2be2",
        "categories": ["snacks-drinks", "home-kitchen"],
        "default_rate_bp": 800,
    },
]

# The two demo merchants (DESIGN.md: "two merchants"). The first's console is the demo merchant
# login's (users.merchant_id), with a few shipments in various states, a COD one paid at BGC
# High Street's counter, and a webhook endpoint at the demo partner page (`make run`, port 5001).
DEMO_MERCHANT_LOGIN = "merchant@demo.cliqq.ph"
DEMO_MERCHANTS = [
    {"name": "Tindahan Online", "slug": "tindahan-online", "email": "ops@tindahan.example"},
    {"name": "Bahay Kubo Crafts", "slug": "bahay-kubo-crafts", "email": "hello@bahaykubo.example"},
]
DEMO_WEBHOOK_URL = "http://127.0.0.1:5001/webhooks"
# (reference, payment, centavos to collect, pickup branch, what happens to it)
DEMO_SHIPMENTS = [
    ("TO-10001", "prepaid", 0, "0412", ()),
    ("TO-10002", "cod", 89_900, "0103", ("drop_off",)),
    ("TO-10003", "prepaid", 0, "0412", ("drop_off", "accept", "dispatch")),
    ("TO-10004", "cod", 125_000, "0412", ("drop_off", "accept", "dispatch", "arrive")),
    ("TO-10005", "cod", 45_000, "0388", ("drop_off", "accept", "dispatch", "arrive", "pay")),
    ("TO-10006", "prepaid", 0, "0103", ("cancel",)),
]

# Where each demo clerk and the DC login work (users.branch_id), by branch code: a clerk acts
# only for their own branch, the DC login only at the DC.
DEMO_PLACES = {
    "clerk-0412@demo.cliqq.ph": "0412",
    "clerk-0388@demo.cliqq.ph": "0388",
    "clerk-0103@demo.cliqq.ph": "0103",
    "dc@demo.cliqq.ph": "DC-PASIG",
}


@dataclass
class Loaded:
    categories: int = 0
    items: int = 0
    branches: int = 0
    users: int = 0
    apps: int = 0
    merchants: int = 0

    @property
    def anything(self) -> bool:
        return any(
            (self.categories, self.items, self.branches, self.users, self.apps, self.merchants)
        )
