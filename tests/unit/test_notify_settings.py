"""The settings of time and messages are checked when the app starts (issue #10, points 7 and
9): a reminder outside the pickup window, a MAIL_URL or SMS_URL that can't be read, refuse to
start with the reason; SMS_URL unset means the dev sender in development only."""

import pytest

from shop.config import Config, ConfigError

LONG_KEY = "k" * 40


def _checked(tmp_path, **settings) -> Config:
    config = Config(**settings)
    config.check(tmp_path)
    return config


def test_the_reminder_must_come_inside_the_pickup_window(tmp_path):
    with pytest.raises(ConfigError, match="PICKUP_REMINDER_HOURS=168"):
        _checked(tmp_path, ENV="testing", PICKUP_DAYS=7, PICKUP_REMINDER_HOURS=168)
    assert _checked(tmp_path, ENV="testing", PICKUP_DAYS=7, PICKUP_REMINDER_HOURS=167)


def test_a_mail_url_that_cant_be_read_stops_the_start(tmp_path):
    with pytest.raises(ConfigError, match="MAIL_URL: the scheme 'http'"):
        _checked(tmp_path, ENV="testing", MAIL_URL="http://mail.example.com")
    assert _checked(tmp_path, ENV="testing", MAIL_URL="smtps://u:p@mail.example.com")


def test_an_sms_url_that_cant_be_read_stops_the_start(tmp_path):
    with pytest.raises(ConfigError, match="SMS_URL"):
        _checked(tmp_path, ENV="testing", SMS_URL="sms.example.com")


@pytest.mark.parametrize(("env", "sender"), [("development", "dev"), ("testing", "off")])
def test_unset_sms_url_is_the_dev_sender_in_development_only(tmp_path, monkeypatch, env, sender):
    monkeypatch.delenv("SMS_URL", raising=False)
    config = _checked(tmp_path, ENV=env)
    assert config.SMS_URL == sender  # noqa: SIM300  (a setting, not a constant)


def test_production_sends_no_text_unless_told_and_a_gateway_needs_its_token(tmp_path, monkeypatch):
    monkeypatch.delenv("SMS_URL", raising=False)
    production = {"ENV": "production", "SECRET_KEY": LONG_KEY, "STRIPE_WEBHOOK_SECRET": "whsec_x"}
    assert _checked(tmp_path, **production).SMS_URL == "off"
    with pytest.raises(ConfigError, match="SMS_TOKEN"):
        _checked(tmp_path, **production, SMS_URL="https://sms.example.com/send")
    gateway = _checked(
        tmp_path, **production, SMS_URL="https://sms.example.com/send", SMS_TOKEN="t"
    )
    assert gateway.SMS_URL == "https://sms.example.com/send"
