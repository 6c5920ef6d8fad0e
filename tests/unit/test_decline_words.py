"""The words a shopper reads for a refused card: ours, one table (payments.service), the bank's
reason first, never Stripe's sentences, never a reason that must not be told."""

import pytest

from shop.payments import service
from shop.payments.service import CHECK_CARD, DECLINED, NOT_CONFIRMED, TRY_LATER, decline_words


@pytest.mark.parametrize(
    ("code", "decline_code", "words"),
    [
        ("card_declined", None, DECLINED),
        ("card_declined", "generic_decline", DECLINED),
        ("card_declined", "insufficient_funds", service.DECLINE_WORDS["insufficient_funds"]),
        ("expired_card", None, service.DECLINE_WORDS["expired_card"]),
        ("expired_card", "expired_card", service.DECLINE_WORDS["expired_card"]),
        ("incorrect_cvc", None, service.DECLINE_WORDS["incorrect_cvc"]),
        ("processing_error", None, TRY_LATER),
        ("payment_intent_authentication_failure", None, NOT_CONFIRMED),
        ("card_declined", "authentication_required", NOT_CONFIRMED),
        # The bank's reason wins over the error's code; an unknown reason falls back to it.
        ("card_declined", "try_again_later", TRY_LATER),
        ("processing_error", "no_such_reason", TRY_LATER),
        # What must never be told reads like any decline.
        ("card_declined", "lost_card", DECLINED),
        ("card_declined", "stolen_card", DECLINED),
        ("card_declined", "fraudulent", DECLINED),
        ("card_declined", "pickup_card", DECLINED),
        # Nothing, or something new from Stripe: a plain decline.
        (None, None, DECLINED),
        ("", "", DECLINED),
        ("some_future_code", "some_future_reason", DECLINED),
    ],
)
def test_a_stripe_refusal_reads_in_our_words(code, decline_code, words):
    assert decline_words(code, decline_code) == words


def test_no_word_names_a_reason_that_must_not_be_told():
    for words in service.DECLINE_WORDS.values():
        lowered = words.lower()
        assert not any(word in lowered for word in ("stolen", "lost", "fraud", "blacklist"))


def test_every_sentence_is_short_and_ours():
    stripes = {  # what Stripe (and localstripe) say: never ours
        "Your card was declined.",
        "Your card has insufficient funds.",
        "The provided PaymentMethod has failed authentication.",
        "An error occurred while processing your card. Try again in a little bit.",
    }
    for words in {*service.DECLINE_WORDS.values(), CHECK_CARD}:
        assert words.endswith(".") and len(words) <= 100, words
        assert words not in stripes and "Stripe" not in words and "PaymentMethod" not in words


def test_the_pay_page_gets_the_same_table_and_a_default():
    table = service.browser_words()
    assert table["default"] == CHECK_CARD
    assert {k: v for k, v in table.items() if k != "default"} == service.DECLINE_WORDS
