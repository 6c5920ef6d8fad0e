"""Demo catalog for CLiQQ Shop: categories and items.

Plain data, loaded by the demo seeder. Brands are invented. Prices are integer centavos
(4950 is PHP 49.50), dimensions are millimetres of the packaged product and weights are grams.
Frozen items all fit a 300 x 300 x 300 mm box under 10 kg; virtual items (load, game credits,
vouchers) have no package, so their dimensions and weight are 0. The "Big & Bulky" items are
deliberately too large or too heavy for a single 30 x 30 x 30 cm / 10 kg pickup package.
"""

CATEGORIES = [
    {"slug": "snacks-drinks", "name": "Snacks & Drinks", "position": 1},
    {"slug": "frozen-food", "name": "Frozen Food", "position": 2},
    {"slug": "home-kitchen", "name": "Home & Kitchen", "position": 3},
    {"slug": "gadgets", "name": "Gadgets", "position": 4},
    {"slug": "personal-care", "name": "Personal Care", "position": 5},
    {"slug": "toys-hobbies", "name": "Toys & Hobbies", "position": 6},
    {"slug": "load-vouchers", "name": "Load & Vouchers", "position": 7},
    {"slug": "big-bulky", "name": "Big & Bulky", "position": 8},
]

ITEMS = [
    {
        "slug": "sarap-crunch-cheese-chips",
        "name": "Sarap Crunch Cheese Potato Chips 150 g",
        "category": "snacks-drinks",
        "description": (
            "Thick-cut potato chips dusted with sharp cheddar-style cheese. Big enough to "
            "share during movie night, if you are feeling generous."
        ),
        "price": 8950,
        "stock": 120,
        "length_mm": 280,
        "width_mm": 200,
        "height_mm": 70,
        "weight_g": 165,
        "frozen": False,
        "virtual": False,
        "image": "img/items/sarap-crunch-cheese-chips.svg",
    },
    {
        "slug": "kapeng-bukid-barako-3in1",
        "name": "Kapeng Bukid Barako 3-in-1 Coffee, 30 sachets",
        "category": "snacks-drinks",
        "description": (
            "Strong Batangas-style barako blended with creamer and brown sugar. Just add hot "
            "water for a bold morning cup."
        ),
        "price": 23500,
        "stock": 80,
        "length_mm": 260,
        "width_mm": 180,
        "height_mm": 90,
        "weight_g": 900,
        "frozen": False,
        "virtual": False,
        "image": "img/items/kapeng-bukid-barako-3in1.svg",
    },
    {
        "slug": "isla-dried-mangoes",
        "name": "Isla Dried Mangoes 200 g",
        "category": "snacks-drinks",
        "description": (
            "Sweet, chewy slices of sun-ripened mango in a resealable pouch. A favorite "
            "pasalubong for friends abroad."
        ),
        "price": 16500,
        "stock": 64,
        "length_mm": 220,
        "width_mm": 160,
        "height_mm": 30,
        "weight_g": 215,
        "frozen": False,
        "virtual": False,
        "image": "img/items/isla-dried-mangoes.svg",
    },
    {
        "slug": "mainit-pork-siomai-20",
        "name": "Mainit Pork Siomai, 20 pieces",
        "category": "frozen-food",
        "description": (
            "Juicy pork and shrimp dumplings ready to steam in 15 minutes. Comes with a sachet "
            "of chili-garlic oil."
        ),
        "price": 18500,
        "stock": 60,
        "length_mm": 220,
        "width_mm": 160,
        "height_mm": 50,
        "weight_g": 520,
        "frozen": True,
        "virtual": False,
        "image": "img/items/mainit-pork-siomai-20.svg",
    },
    {
        "slug": "kusinera-5-cup-rice-cooker",
        "name": "Kusinera 5-Cup Rice Cooker",
        "category": "home-kitchen",
        "description": (
            "Cooks fluffy rice for a family of four and keeps it warm until everyone is home. "
            "Non-stick inner pot and steaming tray included."
        ),
        "price": 149900,
        "stock": 25,
        "length_mm": 280,
        "width_mm": 260,
        "height_mm": 250,
        "weight_g": 2300,
        "frozen": False,
        "virtual": False,
        "image": "img/items/kusinera-5-cup-rice-cooker.svg",
    },
    {
        "slug": "kidlat-usb-c-cable-1m",
        "name": "Kidlat USB-C Fast-Charge Cable 1 m",
        "category": "gadgets",
        "description": (
            "Braided nylon cable that survives being yanked out of the socket every morning. "
            "Supports fast charging up to 60 W."
        ),
        "price": 29900,
        "stock": 200,
        "length_mm": 180,
        "width_mm": 100,
        "height_mm": 25,
        "weight_g": 80,
        "frozen": False,
        "virtual": False,
        "image": "img/items/kidlat-usb-c-cable-1m.svg",
    },
    {
        "slug": "mobile-load-100",
        "name": "Prepaid Mobile Load ₱100",
        "category": "load-vouchers",
        "description": (
            "Regular load for any Philippine prepaid mobile number. Credited to the number you "
            "enter at checkout within minutes."
        ),
        "price": 10000,
        "stock": 9999,
        "length_mm": 0,
        "width_mm": 0,
        "height_mm": 0,
        "weight_g": 0,
        "frozen": False,
        "virtual": True,
        "asks_for": "mobile",
        "image": "img/items/mobile-load-100.svg",
    },
    {
        "slug": "gugo-herbal-shampoo",
        "name": "Gugo Herbal Shampoo 340 mL",
        "category": "personal-care",
        "description": (
            "Gentle everyday shampoo made with gugo bark extract, the way lola used it. Leaves "
            "hair soft and lightly scented."
        ),
        "price": 18500,
        "stock": 95,
        "length_mm": 80,
        "width_mm": 50,
        "height_mm": 210,
        "weight_g": 380,
        "frozen": False,
        "virtual": False,
        "image": "img/items/gugo-herbal-shampoo.svg",
    },
    {
        "slug": "biyahe-jeepney-die-cast",
        "name": "Biyahe Jeepney Die-Cast Model 1:36",
        "category": "toys-hobbies",
        "description": (
            "A shiny metal jeepney with chrome trim, side mirrors and pull-back wheels. Great "
            "for collectors and little drivers alike."
        ),
        "price": 59900,
        "stock": 12,
        "length_mm": 220,
        "width_mm": 100,
        "height_mm": 110,
        "weight_g": 380,
        "frozen": False,
        "virtual": False,
        "image": "img/items/biyahe-jeepney-die-cast.svg",
    },
    {
        "slug": "ani-well-milled-rice-25kg",
        "name": "Ani Well-Milled Rice 25 kg",
        "category": "big-bulky",
        "description": (
            "Clean, well-milled long-grain rice from Nueva Ecija farms. One sack feeds a "
            "family of five for about a month."
        ),
        "price": 135000,
        "stock": 15,
        "length_mm": 700,
        "width_mm": 450,
        "height_mm": 150,
        "weight_g": 25200,
        "frozen": False,
        "virtual": False,
        "image": "img/items/ani-well-milled-rice-25kg.svg",
    },
    {
        "slug": "malamig-ube-keso-ice-cream",
        "name": "Malamig Ube Keso Ice Cream 1.5 L",
        "category": "frozen-food",
        "description": (
            "Creamy purple yam ice cream swirled with bits of sweet cheese. Keep frozen and "
            "serve with a big spoon."
        ),
        "price": 29500,
        "stock": 40,
        "length_mm": 200,
        "width_mm": 130,
        "height_mm": 110,
        "weight_g": 1050,
        "frozen": True,
        "virtual": False,
        "image": "img/items/malamig-ube-keso-ice-cream.svg",
    },
    {
        "slug": "lola-pining-ube-polvoron",
        "name": "Lola Pining Ube Polvoron, box of 24",
        "category": "snacks-drinks",
        "description": (
            "Crumbly milk candy flavored with real ube, each piece wrapped in colorful "
            "cellophane. Melts in your mouth."
        ),
        "price": 18900,
        "stock": 3,
        "length_mm": 200,
        "width_mm": 140,
        "height_mm": 50,
        "weight_g": 420,
        "frozen": False,
        "virtual": False,
        "image": "img/items/lola-pining-ube-polvoron.svg",
    },
    {
        "slug": "init-electric-kettle",
        "name": "Init 1.7 L Electric Kettle",
        "category": "home-kitchen",
        "description": (
            "Boils water for coffee or instant noodles in about four minutes. Shuts off by "
            "itself when done."
        ),
        "price": 89900,
        "stock": 18,
        "length_mm": 230,
        "width_mm": 170,
        "height_mm": 250,
        "weight_g": 1250,
        "frozen": False,
        "virtual": False,
        "image": "img/items/init-electric-kettle.svg",
    },
    {
        "slug": "sulit-power-bank-10000",
        "name": "Sulit 10,000 mAh Power Bank",
        "category": "gadgets",
        "description": (
            "Slim power bank that charges a typical phone two to three times. Two outputs so "
            "you can share with a friend."
        ),
        "price": 89900,
        "stock": 60,
        "length_mm": 160,
        "width_mm": 100,
        "height_mm": 35,
        "weight_g": 290,
        "frozen": False,
        "virtual": False,
        "image": "img/items/sulit-power-bank-10000.svg",
    },
    {
        "slug": "araw-shield-sunscreen-spf50",
        "name": "Araw Shield Sunscreen SPF 50, 100 mL",
        "category": "personal-care",
        "description": (
            "Lightweight, non-sticky sunscreen made for humid days. Water-resistant for up to "
            "80 minutes at the beach."
        ),
        "price": 39900,
        "stock": 48,
        "length_mm": 55,
        "width_mm": 35,
        "height_mm": 160,
        "weight_g": 130,
        "frozen": False,
        "virtual": False,
        "image": "img/items/araw-shield-sunscreen-spf50.svg",
    },
    {
        "slug": "tropika-calamansi-juice-1l",
        "name": "Tropika Calamansi Juice Drink 1 L",
        "category": "snacks-drinks",
        "description": (
            "Tangy and refreshing calamansi drink, lightly sweetened. Best served over lots of ice."
        ),
        "price": 9500,
        "stock": 90,
        "length_mm": 95,
        "width_mm": 65,
        "height_mm": 245,
        "weight_g": 1080,
        "frozen": False,
        "virtual": False,
        "image": "img/items/tropika-calamansi-juice-1l.svg",
    },
    {
        "slug": "lutong-bahay-lumpiang-shanghai",
        "name": "Lutong Bahay Lumpiang Shanghai, 50 pieces",
        "category": "frozen-food",
        "description": (
            "Crispy spring rolls filled with seasoned pork and vegetables. Fry straight from "
            "the freezer for instant party food."
        ),
        "price": 26500,
        "stock": 35,
        "length_mm": 280,
        "width_mm": 200,
        "height_mm": 60,
        "weight_g": 1000,
        "frozen": True,
        "virtual": False,
        "image": "img/items/lutong-bahay-lumpiang-shanghai.svg",
    },
    {
        "slug": "manila-bay-sunset-puzzle",
        "name": "Manila Bay Sunset Jigsaw Puzzle, 1000 pieces",
        "category": "toys-hobbies",
        "description": (
            "A famous orange-and-pink sunset over the bay, printed on thick, snug-fitting "
            "pieces. A relaxing weekend project."
        ),
        "price": 64900,
        "stock": 20,
        "length_mm": 280,
        "width_mm": 200,
        "height_mm": 55,
        "weight_g": 720,
        "frozen": False,
        "virtual": False,
        "image": "img/items/manila-bay-sunset-puzzle.svg",
    },
    {
        "slug": "himig-wireless-earbuds",
        "name": "Himig Wireless Earbuds",
        "category": "gadgets",
        "description": (
            "Compact earbuds with clear sound and up to 20 hours of listening with the "
            "charging case. Splash-resistant for commutes in the rain."
        ),
        "price": 129900,
        "stock": 5,
        "length_mm": 130,
        "width_mm": 100,
        "height_mm": 50,
        "weight_g": 180,
        "frozen": False,
        "virtual": False,
        "image": "img/items/himig-wireless-earbuds.svg",
    },
    {
        "slug": "bulakan-garlic-chicharon",
        "name": "Bulakan Garlic Chicharon 90 g",
        "category": "snacks-drinks",
        "description": (
            "Light, crackly pork rinds with toasted garlic bits. Dip in spiced vinegar for the "
            "full experience."
        ),
        "price": 6500,
        "stock": 150,
        "length_mm": 250,
        "width_mm": 170,
        "height_mm": 60,
        "weight_g": 100,
        "frozen": False,
        "virtual": False,
        "image": "img/items/bulakan-garlic-chicharon.svg",
    },
    {
        "slug": "lalagyan-food-container-set",
        "name": "Lalagyan Food Container Set, 5 pieces",
        "category": "home-kitchen",
        "description": (
            "Stackable, microwave-safe containers with snap-lock lids. Perfect for baon and "
            "leftovers."
        ),
        "price": 34900,
        "stock": 75,
        "length_mm": 240,
        "width_mm": 180,
        "height_mm": 150,
        "weight_g": 650,
        "frozen": False,
        "virtual": False,
        "image": "img/items/lalagyan-food-container-set.svg",
    },
    {
        "slug": "tita-nena-beef-tapa",
        "name": "Tita Nena Beef Tapa 500 g",
        "category": "frozen-food",
        "description": (
            "Thinly sliced beef cured in a sweet-savory marinade. Pan-fry and serve with "
            "garlic rice and a fried egg."
        ),
        "price": 24500,
        "stock": 50,
        "length_mm": 240,
        "width_mm": 170,
        "height_mm": 40,
        "weight_g": 520,
        "frozen": True,
        "virtual": False,
        "image": "img/items/tita-nena-beef-tapa.svg",
    },
    {
        "slug": "laro-points-500",
        "name": "LaroPoints Game Credits ₱500",
        "category": "load-vouchers",
        "description": (
            "Top-up credits for popular mobile and PC games on the LaroPoints platform. The "
            "PIN is sent by email right after payment."
        ),
        "price": 50000,
        "stock": 9999,
        "length_mm": 0,
        "width_mm": 0,
        "height_mm": 0,
        "weight_g": 0,
        "frozen": False,
        "virtual": True,
        "image": "img/items/laro-points-500.svg",
    },
    {
        "slug": "tanawin-32-inch-smart-tv",
        "name": "Tanawin 32-inch HD Smart TV",
        "category": "big-bulky",
        "description": (
            "A bright HD screen with built-in streaming apps and two HDMI ports. Wall-mount "
            "bracket included."
        ),
        "price": 899900,
        "stock": 8,
        "length_mm": 820,
        "width_mm": 130,
        "height_mm": 520,
        "weight_g": 5400,
        "frozen": False,
        "virtual": False,
        "image": "img/items/tanawin-32-inch-smart-tv.svg",
    },
    {
        "slug": "ngiti-soft-toothbrush-4",
        "name": "Ngiti Soft Toothbrushes, 4-pack",
        "category": "personal-care",
        "description": (
            "Soft, slim bristles that are gentle on gums, in four cheerful colors. One for "
            "every member of the family."
        ),
        "price": 15900,
        "stock": 130,
        "length_mm": 240,
        "width_mm": 110,
        "height_mm": 25,
        "weight_g": 90,
        "frozen": False,
        "virtual": False,
        "image": "img/items/ngiti-soft-toothbrush-4.svg",
    },
    {
        "slug": "tunog-mini-speaker",
        "name": "Tunog Mini Bluetooth Speaker",
        "category": "gadgets",
        "description": (
            "Palm-sized speaker with surprisingly big bass for karaoke nights. Up to 10 hours "
            "of playtime per charge."
        ),
        "price": 99900,
        "stock": 35,
        "length_mm": 140,
        "width_mm": 140,
        "height_mm": 90,
        "weight_g": 420,
        "frozen": False,
        "virtual": False,
        "image": "img/items/tunog-mini-speaker.svg",
    },
    {
        "slug": "tsokolate-crunch-wafer-sticks",
        "name": "Tsokolate Crunch Wafer Sticks, pack of 10",
        "category": "snacks-drinks",
        "description": (
            "Crispy wafer rolls filled with rich chocolate cream. A reliable merienda for "
            "school or the office."
        ),
        "price": 5500,
        "stock": 0,
        "length_mm": 190,
        "width_mm": 120,
        "height_mm": 40,
        "weight_g": 250,
        "frozen": False,
        "virtual": False,
        "image": "img/items/tsokolate-crunch-wafer-sticks.svg",
    },
    {
        "slug": "malamig-mango-graham-bars",
        "name": "Malamig Mango Graham Ice Cream Bars, box of 6",
        "category": "frozen-food",
        "description": (
            "Mango ice cream layered with crushed graham, just like the float but on a stick. "
            "Six bars per box."
        ),
        "price": 21500,
        "stock": 4,
        "length_mm": 190,
        "width_mm": 150,
        "height_mm": 60,
        "weight_g": 480,
        "frozen": True,
        "virtual": False,
        "image": "img/items/malamig-mango-graham-bars.svg",
    },
    {
        "slug": "bahay-linis-microfiber-cloths",
        "name": "Bahay Linis Microfiber Cloths, 6-pack",
        "category": "home-kitchen",
        "description": (
            "Soft, absorbent cloths for dusting, drying dishes and wiping the car. Machine "
            "washable and reusable."
        ),
        "price": 19900,
        "stock": 110,
        "length_mm": 200,
        "width_mm": 150,
        "height_mm": 40,
        "weight_g": 240,
        "frozen": False,
        "virtual": False,
        "image": "img/items/bahay-linis-microfiber-cloths.svg",
    },
    {
        "slug": "tulay-building-blocks-500",
        "name": "Tulay Building Blocks, 500 pieces",
        "category": "toys-hobbies",
        "description": (
            "Colorful interlocking bricks for building houses, bridges and anything else you "
            "can imagine. Comes in a handy storage tub."
        ),
        "price": 129900,
        "stock": 14,
        "length_mm": 290,
        "width_mm": 260,
        "height_mm": 90,
        "weight_g": 1100,
        "frozen": False,
        "virtual": False,
        "image": "img/items/tulay-building-blocks-500.svg",
    },
    {
        "slug": "puro-isopropyl-alcohol-500ml",
        "name": "Puro 70% Isopropyl Alcohol 500 mL",
        "category": "personal-care",
        "description": (
            "Fast-drying antiseptic alcohol with a clean scent. Keep one at home and one in "
            "the car."
        ),
        "price": 12900,
        "stock": 150,
        "length_mm": 80,
        "width_mm": 60,
        "height_mm": 200,
        "weight_g": 520,
        "frozen": False,
        "virtual": False,
        "image": "img/items/puro-isopropyl-alcohol-500ml.svg",
    },
    {
        "slug": "hangin-16-inch-stand-fan",
        "name": "Hangin 16-inch Stand Fan",
        "category": "big-bulky",
        "description": (
            "Quiet three-speed stand fan with adjustable height and oscillation. Keeps the "
            "sala cool through the hottest afternoons."
        ),
        "price": 169900,
        "stock": 22,
        "length_mm": 460,
        "width_mm": 180,
        "height_mm": 560,
        "weight_g": 4600,
        "frozen": False,
        "virtual": False,
        "image": "img/items/hangin-16-inch-stand-fan.svg",
    },
    {
        "slug": "kislap-energy-drink-6",
        "name": "Kislap Energy Drink 250 mL, 6 cans",
        "category": "snacks-drinks",
        "description": (
            "Citrus-flavored energy drink with B vitamins for long drives and late study "
            "nights. Best served cold."
        ),
        "price": 21000,
        "stock": 45,
        "length_mm": 200,
        "width_mm": 135,
        "height_mm": 120,
        "weight_g": 1650,
        "frozen": False,
        "virtual": False,
        "image": "img/items/kislap-energy-drink-6.svg",
    },
    {
        "slug": "kusina-norte-garlic-longganisa",
        "name": "Kusina Norte Garlic Longganisa, 12 pieces",
        "category": "frozen-food",
        "description": (
            "Garlicky, slightly tangy Ilocos-style sausages. Fry until the edges caramelize "
            "and enjoy with vinegar."
        ),
        "price": 16500,
        "stock": 70,
        "length_mm": 230,
        "width_mm": 160,
        "height_mm": 45,
        "weight_g": 480,
        "frozen": True,
        "virtual": False,
        "image": "img/items/kusina-norte-garlic-longganisa.svg",
    },
    {
        "slug": "tanaw-phone-tripod",
        "name": "Tanaw Foldable Phone Tripod",
        "category": "gadgets",
        "description": (
            "Lightweight tripod with a phone clamp and Bluetooth remote. Folds small enough "
            "for a sling bag."
        ),
        "price": 45900,
        "stock": 40,
        "length_mm": 280,
        "width_mm": 70,
        "height_mm": 60,
        "weight_g": 350,
        "frozen": False,
        "virtual": False,
        "image": "img/items/tanaw-phone-tripod.svg",
    },
    {
        "slug": "mobile-load-300",
        "name": "Prepaid Mobile Load ₱300",
        "category": "load-vouchers",
        "description": (
            "Regular load for any Philippine prepaid mobile number. Use it for calls, texts or "
            "your favorite promo."
        ),
        "price": 30000,
        "stock": 9999,
        "length_mm": 0,
        "width_mm": 0,
        "height_mm": 0,
        "weight_g": 0,
        "frozen": False,
        "virtual": True,
        "asks_for": "mobile",
        "image": "img/items/mobile-load-300.svg",
    },
    {
        "slug": "presko-face-masks-50",
        "name": "Presko 3-Ply Face Masks, box of 50",
        "category": "personal-care",
        "description": (
            "Breathable disposable masks with soft ear loops and an adjustable nose wire. "
            "Individually folded for easy carrying."
        ),
        "price": 12500,
        "stock": 0,
        "length_mm": 190,
        "width_mm": 100,
        "height_mm": 90,
        "weight_g": 200,
        "frozen": False,
        "virtual": False,
        "image": "img/items/presko-face-masks-50.svg",
    },
    {
        "slug": "ikot-wooden-yoyo",
        "name": "Ikot Classic Wooden Yo-Yo",
        "category": "toys-hobbies",
        "description": (
            "Hand-turned wooden yo-yo with a smooth cotton string. Learn walk-the-dog in an "
            "afternoon."
        ),
        "price": 14900,
        "stock": 140,
        "length_mm": 150,
        "width_mm": 100,
        "height_mm": 45,
        "weight_g": 90,
        "frozen": False,
        "virtual": False,
        "image": "img/items/ikot-wooden-yoyo.svg",
    },
    {
        "slug": "lamig-insulated-tumbler",
        "name": "Lamig Insulated Tumbler 600 mL",
        "category": "home-kitchen",
        "description": (
            "Double-wall steel tumbler that keeps iced coffee cold for 24 hours. Fits most car "
            "cup holders."
        ),
        "price": 49900,
        "stock": 2,
        "length_mm": 100,
        "width_mm": 100,
        "height_mm": 230,
        "weight_g": 420,
        "frozen": False,
        "virtual": False,
        "image": "img/items/lamig-insulated-tumbler.svg",
    },
    {
        "slug": "masa-pro-stand-mixer",
        "name": "Masa Pro 5 L Stand Mixer",
        "category": "big-bulky",
        "description": (
            "Heavy-duty stand mixer with a steel bowl, dough hook, whisk and beater. Makes "
            "short work of ensaymada dough."
        ),
        "price": 1299900,
        "stock": 6,
        "length_mm": 420,
        "width_mm": 300,
        "height_mm": 380,
        "weight_g": 12000,
        "frozen": False,
        "virtual": False,
        "image": "img/items/masa-pro-stand-mixer.svg",
    },
    {
        "slug": "dagat-asul-boneless-bangus",
        "name": "Dagat Asul Boneless Daing na Bangus 450 g",
        "category": "frozen-food",
        "description": (
            "Butterflied milkfish marinated in vinegar, garlic and pepper, with the bones "
            "carefully removed. Fry until golden for breakfast."
        ),
        "price": 22000,
        "stock": 0,
        "length_mm": 290,
        "width_mm": 150,
        "height_mm": 40,
        "weight_g": 470,
        "frozen": True,
        "virtual": False,
        "image": "img/items/dagat-asul-boneless-bangus.svg",
    },
    {
        "slug": "sinag-led-desk-lamp",
        "name": "Sinag LED Desk Lamp",
        "category": "gadgets",
        "description": (
            "Flicker-free desk lamp with three color temperatures and a USB charging port. "
            "Folds flat when not in use."
        ),
        "price": 119900,
        "stock": 22,
        "length_mm": 290,
        "width_mm": 140,
        "height_mm": 80,
        "weight_g": 780,
        "frozen": False,
        "virtual": False,
        "image": "img/items/sinag-led-desk-lamp.svg",
    },
    {
        "slug": "liwanag-led-bulbs-3",
        "name": "Liwanag 9 W LED Bulbs, pack of 3",
        "category": "home-kitchen",
        "description": (
            "Bright daylight bulbs that use a fraction of the power of old incandescents. "
            "Rated for 15,000 hours."
        ),
        "price": 24900,
        "stock": 90,
        "length_mm": 180,
        "width_mm": 65,
        "height_mm": 120,
        "weight_g": 190,
        "frozen": False,
        "virtual": False,
        "image": "img/items/liwanag-led-bulbs-3.svg",
    },
    {
        "slug": "bilis-speed-cube",
        "name": "Bilis 3x3 Speed Cube",
        "category": "toys-hobbies",
        "description": (
            "Smooth-turning puzzle cube with stickerless tiles. Beginner-friendly, yet fast "
            "enough for competitions."
        ),
        "price": 19900,
        "stock": 75,
        "length_mm": 70,
        "width_mm": 70,
        "height_mm": 70,
        "weight_g": 110,
        "frozen": False,
        "virtual": False,
        "image": "img/items/bilis-speed-cube.svg",
    },
    {
        "slug": "pasalubong-gift-voucher-1000",
        "name": "Pasalubong Gift Voucher ₱1,000",
        "category": "load-vouchers",
        "description": (
            "A digital gift voucher that can be spent on anything in the shop. We email it to "
            "the recipient with your message."
        ),
        "price": 100000,
        "stock": 9999,
        "length_mm": 0,
        "width_mm": 0,
        "height_mm": 0,
        "weight_g": 0,
        "frozen": False,
        "virtual": True,
        "asks_for": "email",
        "image": "img/items/pasalubong-gift-voucher-1000.svg",
    },
    {
        "slug": "bukal-purified-water-case",
        "name": "Bukal Purified Water 500 mL, case of 24",
        "category": "big-bulky",
        "description": (
            "Multi-stage purified drinking water in handy bottles. A full case for the office, "
            "the car or the next outing."
        ),
        "price": 19200,
        "stock": 30,
        "length_mm": 400,
        "width_mm": 270,
        "height_mm": 210,
        "weight_g": 12600,
        "frozen": False,
        "virtual": False,
        "image": "img/items/bukal-purified-water-case.svg",
    },
    {
        "slug": "bango-calamansi-hand-wash",
        "name": "Bango Calamansi Hand Wash 250 mL",
        "category": "personal-care",
        "description": (
            "Gentle hand wash with a bright calamansi scent. The pump bottle is refillable."
        ),
        "price": 9900,
        "stock": 85,
        "length_mm": 75,
        "width_mm": 50,
        "height_mm": 190,
        "weight_g": 290,
        "frozen": False,
        "virtual": False,
        "image": "img/items/bango-calamansi-hand-wash.svg",
    },
    {
        "slug": "isla-dried-mangoes-family",
        "name": "Isla Dried Mangoes Family Pack 500 g",
        "category": "snacks-drinks",
        "description": (
            "The same chewy dried mangoes, in a bigger pouch for the whole barkada. Resealable "
            "to keep them fresh."
        ),
        "price": 36500,
        "stock": 28,
        "length_mm": 280,
        "width_mm": 200,
        "height_mm": 40,
        "weight_g": 520,
        "frozen": False,
        "virtual": False,
        "image": "img/items/isla-dried-mangoes-family.svg",
    },
    {
        "slug": "sisiw-crispy-chicken-nuggets",
        "name": "Sisiw Crispy Chicken Nuggets 1 kg",
        "category": "frozen-food",
        "description": (
            "Golden breaded chicken nuggets that kids love. Bake or fry straight from the freezer."
        ),
        "price": 32500,
        "stock": 55,
        "length_mm": 290,
        "width_mm": 220,
        "height_mm": 70,
        "weight_g": 1020,
        "frozen": True,
        "virtual": False,
        "image": "img/items/sisiw-crispy-chicken-nuggets.svg",
    },
    {
        "slug": "oras-fitness-band",
        "name": "Oras Fitness Band",
        "category": "gadgets",
        "description": (
            "Tracks your steps, heart rate and sleep, and buzzes when a message arrives. A "
            "week of battery per charge."
        ),
        "price": 179900,
        "stock": 1,
        "length_mm": 150,
        "width_mm": 90,
        "height_mm": 50,
        "weight_g": 150,
        "frozen": False,
        "virtual": False,
        "image": "img/items/oras-fitness-band.svg",
    },
    {
        "slug": "sungka-travel-board",
        "name": "Sungka Travel Board with Shells",
        "category": "toys-hobbies",
        "description": (
            "A folding wooden sungka board with 98 cowrie-style shells. Bring the classic "
            "Filipino counting game anywhere."
        ),
        "price": 79900,
        "stock": 6,
        "length_mm": 290,
        "width_mm": 110,
        "height_mm": 60,
        "weight_g": 900,
        "frozen": False,
        "virtual": False,
        "image": "img/items/sungka-travel-board.svg",
    },
    {
        "slug": "mobile-data-pass-7-days",
        "name": "Mobile Data Pass 10 GB, 7 days",
        "category": "load-vouchers",
        "description": (
            "Ten gigabytes of mobile data valid for seven days, for any prepaid number. "
            "Activated automatically once paid."
        ),
        "price": 9900,
        "stock": 9999,
        "length_mm": 0,
        "width_mm": 0,
        "height_mm": 0,
        "weight_g": 0,
        "frozen": False,
        "virtual": True,
        "asks_for": "mobile",
        "image": "img/items/mobile-data-pass-7-days.svg",
    },
    {
        "slug": "upuan-monobloc-chairs-4",
        "name": "Upuan Monobloc Chairs, set of 4",
        "category": "big-bulky",
        "description": (
            "Sturdy stackable plastic chairs for birthdays, fiestas and everyday use. Supports "
            "up to 120 kg each."
        ),
        "price": 179900,
        "stock": 0,
        "length_mm": 560,
        "width_mm": 540,
        "height_mm": 900,
        "weight_g": 8400,
        "frozen": False,
        "virtual": False,
        "image": "img/items/upuan-monobloc-chairs-4.svg",
    },
    {
        "slug": "bango-fabric-conditioner-1l",
        "name": "Bango Fabric Conditioner Refill 1 L",
        "category": "home-kitchen",
        "description": (
            "Concentrated fabric conditioner with a fresh sampaguita scent. One refill pouch "
            "lasts about a month of laundry."
        ),
        "price": 14500,
        "stock": 100,
        "length_mm": 260,
        "width_mm": 170,
        "height_mm": 60,
        "weight_g": 1080,
        "frozen": False,
        "virtual": False,
        "image": "img/items/bango-fabric-conditioner-1l.svg",
    },
]
