"""What templates may show of the shop's rules, each read from its one source when shown.

Nothing is decided here: the rules live in settings (shop/config.py) and in the constants of
the feature that owns them, and their sentences in that feature's service (why a payment
method is not offered, why an item can't be picked up). This is the one window templates look
through for a bare number (the `rules` global), so no page restates one. Every value is read
at render time: a setting an operator changes, or a constant a test monkeypatches, is what
every page says."""

from datetime import timedelta

from shop import codes
from shop.branches import service as branches
from shop.catalog import service as catalog
from shop.checkout import service as checkout
from shop.counter import service as counter
from shop.fulfillment import packing
from shop.fulfillment import service as ecms
from shop.money import Money
from shop.sellers import service as sellers


class ShownRules:
    """`rules.pickup_days`, `rules.hold_minutes`, ... in any template."""

    @property
    def pickup_days(self) -> int:
        """Days a package waits at its branch (the PICKUP_DAYS setting)."""
        return ecms.pickup_days()

    @property
    def return_days(self) -> int:
        """Days after pickup a package may be returned (the RETURN_DAYS setting)."""
        return ecms.returns.return_days()

    @property
    def return_limits(self) -> str:
        """A return package's limits, "45 × 30 × 30 cm, 10 kg" (packing's RETURN_BOX_MM and
        RETURN_MAX_WEIGHT_G)."""
        return ecms.returns.return_limits_text()

    @property
    def kiosk_lookup_length(self) -> int:
        """The longest order number, UID or tracking number the kiosk takes as typed."""
        return ecms.returns.LOOKUP_LENGTH

    @property
    def hold_minutes(self) -> int:
        """Minutes an unpaid online order holds its items (ONLINE_PAYMENT_HOLD_MINUTES)."""
        return checkout.hold_period() // timedelta(minutes=1)

    @property
    def pay_code_hours(self) -> int:
        """Hours a PAY CODE can be paid (PAY_CODE_HOURS)."""
        return checkout.pay_code_period() // timedelta(hours=1)

    @property
    def package_limits(self) -> str:
        """A branch package's limits, "30 × 30 × 30 cm, 10 kg" (packing's BRANCH_BOX_MM and
        BRANCH_MAX_WEIGHT_G)."""
        return packing.branch_limits_text()

    @property
    def shipping_fee(self) -> Money:
        """The shipping fee per package (checkout's SHIPPING_FEE_PER_PACKAGE)."""
        return checkout.SHIPPING_FEE_PER_PACKAGE

    @property
    def item_search_length(self) -> int:
        """The longest item search, in characters (catalog's MAX_QUERY)."""
        return catalog.MAX_QUERY

    @property
    def counter_text_length(self) -> int:
        """The longest terminal or shift name (counter's COUNTER_TEXT_LENGTH)."""
        return counter.COUNTER_TEXT_LENGTH

    @property
    def measure_length(self) -> int:
        """The longest measurement as typed at inspection (counter's MEASURE_LENGTH)."""
        return counter.MEASURE_LENGTH

    @property
    def note_length(self) -> int:
        """The longest inspection note (counter's NOTE_LENGTH)."""
        return counter.NOTE_LENGTH

    @property
    def code_length(self) -> int:
        """The longest code a box takes as typed, separators included (codes' MAX_INPUT_CHARS)."""
        return codes.MAX_INPUT_CHARS

    @property
    def void_minutes(self) -> int:
        """Minutes a clerk may void their own release (VOID_MINUTES)."""
        return ecms.void_minutes()

    @property
    def void_reason_length(self) -> int:
        """The longest reason for a void (the ECMS's voids.REASON_LENGTH)."""
        from shop.fulfillment import voids

        return voids.REASON_LENGTH

    @property
    def cash_length(self) -> int:
        """The longest cash amount as typed at the counter (counter's CASH_LENGTH)."""
        return counter.CASH_LENGTH

    @property
    def branch_search_length(self) -> int:
        """The longest branch search, in characters (branches' MAX_QUERY)."""
        return branches.MAX_QUERY

    # --- store-to-store (shop.sellers) and the APO (shop.counter) ---

    @property
    def seller_measure_length(self) -> int:
        """The longest parcel measurement as typed (sellers' MEASURE_LENGTH)."""
        return sellers.MEASURE_LENGTH

    @property
    def seller_contents_length(self) -> int:
        """The longest description of a parcel's contents (sellers' CONTENTS_LENGTH)."""
        return sellers.CONTENTS_LENGTH

    @property
    def seller_amount_length(self) -> int:
        """The longest COD amount as typed (sellers' AMOUNT_LENGTH)."""
        return sellers.AMOUNT_LENGTH

    @property
    def seller_max_cod(self) -> Money:
        """The most a buyer pays in cash at pickup (sellers' MAX_COD)."""
        return sellers.MAX_COD

    @property
    def courier_length(self) -> int:
        """The longest courier's name on an APO's release (counter's COURIER_LENGTH)."""
        return counter.COURIER_LENGTH

    @property
    def branch_code_length(self) -> int:
        """The longest branch code (branches' CODE_LENGTH)."""
        return branches.CODE_LENGTH


def init_app(app) -> None:
    app.jinja_env.globals["rules"] = ShownRules()
