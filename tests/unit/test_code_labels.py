"""A code's name for the clerk (the seeds' words) and for the shopper (plain words)."""

from shop.codes import CodeType


def test_the_shopper_reads_plain_names_and_the_counter_keeps_the_seeds():
    assert CodeType.REFERENCE.label == "PAY & CLAIM (REFERENCE) CODE"
    assert CodeType.REFERENCE.shopper_label == "pay & claim code"
    assert {kind.shopper_label for kind in CodeType} == {
        "tracking number",
        "pay code",
        "claim code",
        "pay & claim code",
        "return code",
    }
