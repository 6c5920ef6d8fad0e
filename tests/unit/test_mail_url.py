"""MAIL_URL, read with the standard library (issue #10, point 9): scheme, host, port, TLS,
user and password; anything else refused with a reason that never shows the password."""

import pytest

from shop.notify.mailurl import MailSettings, MailUrlError, parse_mail_url, settings_of


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", MailSettings("mail.example.com", 25)),
        ("smtp://127.0.0.1:8025", MailSettings("127.0.0.1", 8025)),
        (
            "smtp://me:secret@mail.example.com:587?starttls=true",
            MailSettings("mail.example.com", 587, starttls=True, username="me", password="secret"),
        ),
        (
            "smtp+starttls://me:secret@smtp.example.com",
            MailSettings("smtp.example.com", 587, starttls=True, username="me", password="secret"),
        ),
        (
            "smtps://apikey:p%40ss%3Aword@smtp.example.com",
            MailSettings(
                "smtp.example.com", 465, ssl=True, username="apikey", password="p@ss:word"
            ),
        ),
        ("SMTPS://smtp.example.com:2465", MailSettings("smtp.example.com", 2465, ssl=True)),
        ("smtp+starttls://h?starttls=false", MailSettings("h", 587)),
        ("smtp://user%40example.com@h", MailSettings("h", 25, username="user@example.com")),
        ("smtp://h/", MailSettings("h", 25)),
    ],
)
def test_a_mail_url_names_its_settings(url, expected):
    assert parse_mail_url(url) == expected


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://mail.example.com", "scheme"),
        ("mail.example.com:25", "scheme"),
        ("", "scheme"),
        ("smtp://", "no host"),
        ("smtp://h:99999", "port"),
        ("smtp://h:port", "port"),
        ("smtp://h/inbox", "no path"),
        ("smtp://h?tls=1", "unknown parameter"),
        ("smtp://h?starttls=maybe", "true or false"),
        ("smtps://h?starttls=true", "TLS already"),
    ],
)
def test_a_bad_mail_url_is_refused_with_the_reason(url, says):
    with pytest.raises(MailUrlError, match=says):
        parse_mail_url(url)


def test_a_refusal_and_a_repr_never_show_the_password():
    with pytest.raises(MailUrlError) as refused:
        parse_mail_url("smtp://me:hunter2@h:99999")
    assert "hunter2" not in str(refused.value)
    assert "hunter2" not in repr(parse_mail_url("smtp://me:hunter2@h"))


def test_mail_url_wins_over_the_separate_settings_which_keep_working():
    separate = {
        "MAIL_URL": None,
        "MAIL_SERVER": "relay.local",
        "MAIL_PORT": "2525",
        "MAIL_USE_TLS": True,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": "u",
        "MAIL_PASSWORD": "p",
    }
    assert settings_of(separate) == MailSettings("relay.local", 2525, True, False, "u", "p")
    assert settings_of(separate | {"MAIL_URL": "smtps://h"}) == MailSettings("h", 465, ssl=True)
