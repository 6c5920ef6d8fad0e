"""The outbox's pure rules: the backoff schedule, the mail it builds, the dev mail store."""

from datetime import UTC, datetime, timedelta

import pytest

from shop.notify import mail
from shop.notify.devmail import MailStore
from shop.notify.service import Message, backoff

BASE, CAP = 30, 3600


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999999])
def test_backoff_doubles_within_equal_jitter_and_stops_at_the_cap(draw):
    waits = [backoff(n, BASE, CAP, draw=lambda: draw) for n in range(1, 15)]
    for attempt, wait in enumerate(waits, start=1):
        ceiling = min(CAP, BASE * 2 ** (attempt - 1))
        assert timedelta(seconds=ceiling / 2) <= wait <= timedelta(seconds=ceiling)
    assert waits == sorted(waits)  # never shorter than the wait before it
    assert waits[-1] <= timedelta(seconds=CAP)
    assert waits[0] < waits[3]  # it really grows


def test_backoff_jitter_spreads_messages_that_failed_together():
    draws = iter([0.0, 1.0])
    first, second = (backoff(4, BASE, CAP, draw=lambda: next(draws)) for _ in range(2))
    assert first == timedelta(seconds=120) and second == timedelta(seconds=240)


def test_backoff_of_a_huge_attempt_number_is_the_cap():
    assert backoff(10_000, BASE, CAP, draw=lambda: 1.0) == timedelta(seconds=CAP)


CONFIG = {"MAIL_FROM": "CLiQQ Shop <no-reply@shop.example>"}


def _message(**payload) -> Message:
    fields = {"to": ["maria@example.com"], "subject": "Your order", "text": "Thank you."}
    return Message(
        id="0b7c2f4e-0000-4000-8000-000000000001",
        kind="mail",
        payload=fields | payload,
        attempt=1,
        created_at=datetime(2026, 12, 1, 2, 30, tzinfo=UTC),
    )


def test_a_mail_carries_the_outbox_id_as_its_message_id():
    built = mail.build(_message(), CONFIG)
    assert built["Message-ID"] == "<0b7c2f4e-0000-4000-8000-000000000001@shop.example>"
    assert built["From"] == "CLiQQ Shop <no-reply@shop.example>"
    assert built["To"] == "maria@example.com"
    assert built["Date"] == "Tue, 01 Dec 2026 02:30:00 +0000"  # when it was queued, every try
    assert built.get_content_type() == "text/plain"


def test_a_mail_with_html_has_both_parts():
    built = mail.build(_message(html="<p>Thank you.</p>"), CONFIG)
    assert built.get_content_type() == "multipart/alternative"
    assert built.get_body(("html",)).get_content().strip() == "<p>Thank you.</p>"
    assert built.get_body(("plain",)).get_content().strip() == "Thank you."


def _raw(message_id: str, subject: str = "Hello") -> bytes:
    return (
        f"From: a@example.com\r\nTo: b@example.com\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n\r\nBody of {subject}.\r\n"
    ).encode()


def test_the_dev_store_keeps_a_message_id_once(tmp_path):
    store = MailStore(tmp_path / "mail")
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    assert store.save(_raw("<1@x>", "First"), now=moment) is True
    assert store.save(_raw("<1@x>", "First again"), now=moment + timedelta(seconds=1)) is False
    assert store.save(_raw("<2@x>", "Second"), now=moment + timedelta(seconds=2)) is True
    mails = store.recent()
    assert [m.subject for m in mails] == ["Second", "First"]  # newest first
    assert mails[1].message_id == "<1@x>" and mails[1].text.strip() == "Body of First."
    assert store.get(mails[0].name) == mails[0]


@pytest.mark.parametrize("name", ["../secret_key", "", "x" * 40, "20261201T000000000000-zz"])
def test_the_dev_store_reads_only_its_own_names(tmp_path, name):
    store = MailStore(tmp_path)
    (tmp_path / "secret_key").write_text("not a mail")
    assert store.get(name) is None


def test_mail_settings_come_from_the_environment(monkeypatch):
    from shop.config import Config

    for name, value in {
        "MAIL_SERVER": "smtp.example.net",
        "MAIL_PORT": "587",
        "MAIL_USE_TLS": "yes",
        "MAIL_USERNAME": "shop",
        "MAIL_PASSWORD": "s3cret",
        "MAIL_FROM": "CLiQQ Shop <orders@shop.example>",
        "OUTBOX_MAX_ATTEMPTS": "4",
    }.items():
        monkeypatch.setenv(name, value)
    config = Config()
    assert (config.MAIL_SERVER, config.MAIL_PORT, config.MAIL_USE_TLS) == (
        "smtp.example.net",
        587,
        True,
    )
    assert (config.MAIL_USERNAME, config.MAIL_PASSWORD) == ("shop", "s3cret")
    assert config.MAIL_FROM == "CLiQQ Shop <orders@shop.example>"
    assert config.OUTBOX_MAX_ATTEMPTS == 4


@pytest.mark.parametrize(
    "env, server, port", [("development", "127.0.0.1", 8025), ("production", "localhost", 25)]
)
def test_mail_goes_to_the_dev_server_in_development_and_the_host_relay_in_production(
    monkeypatch, env, server, port
):
    from shop.config import Config

    for name in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHOP_ENV", env)
    config = Config()
    where = (config.MAIL_SERVER, config.MAIL_PORT, config.MAIL_USE_TLS)
    assert where == (server, port, False)


def test_a_yes_or_no_setting_refuses_anything_else(monkeypatch):
    from shop.config import Config, ConfigError

    monkeypatch.setenv("MAIL_USE_TLS", "ture")
    with pytest.raises(ConfigError, match="MAIL_USE_TLS='ture' isn't a yes or no"):
        Config()


@pytest.mark.parametrize(
    "name, value",
    [("OUTBOX_MAX_ATTEMPTS", 0), ("OUTBOX_BATCH", 0), ("OUTBOX_LEASE_SECONDS", 0)],
)
def test_outbox_settings_that_would_stop_delivery_are_refused(tmp_path, name, value):
    from shop.config import Config, ConfigError

    config = Config(ENV="testing", SECRET_KEY="k" * 32, **{name: value})
    with pytest.raises(ConfigError, match=name):
        config.check(tmp_path)
