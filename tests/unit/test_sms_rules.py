"""Which text message sender SMS_URL chooses (issue #10, point 9), and how the operator's
page names a phone: no database, no network."""

import pytest

from shop.notify.sms import SmsUrlError, enabled, mask, sender_kind


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (None, "off"),
        ("", "off"),
        ("off", "off"),
        ("None", "off"),
        ("false", "off"),
        ("dev", "dev"),
        ("DEV", "dev"),
        ("https://sms.example.com/v1/messages", "http"),
        ("http://127.0.0.1:9000/send", "http"),
    ],
)
def test_sms_url_names_the_sender(url, kind):
    assert sender_kind(url) == kind
    assert enabled({"SMS_URL": url}) is (kind != "off")


@pytest.mark.parametrize("url", ["smtp://h", "sms.example.com", "https://", "ftp://h/x", "on"])
def test_an_unknown_sender_is_refused(url):
    with pytest.raises(SmsUrlError):
        sender_kind(url)


def test_a_phone_is_masked_on_the_operators_page():
    assert mask("+639171234567") == "+63917•••4567"
    assert mask("12345") == "•••"
