"""The pure rules of webhooks: which addresses an endpoint may reach (SSRF), what a URL must
look like, the signature (checked against the standardwebhooks library), the retry schedule
and the settings' defaults per environment."""

import ipaddress
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from shop.config import Config
from shop.errors import InvalidInput
from shop.notify import webhook_http, webhooks
from shop.notify.webhook_http import Unresolvable, UnsafeUrl, address_allowed, check_url, parse_url
from shop.notify.webhooks import SCHEDULE

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "10.255.255.255",
        "172.16.0.1",
        "192.168.1.10",
        "127.0.0.1",
        "127.8.8.8",
        "::1",
        "169.254.169.254",  # the clouds' metadata service
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "0.0.0.0",  # noqa: S104  (an address refused, not one bound)
        "::",
        "100.64.0.1",  # carrier-grade NAT
        "224.0.0.1",  # multicast
        "ff02::1",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    ],
)
def test_a_non_public_address_is_refused(address):
    assert not address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_a_public_address_is_allowed(address):
    assert address_allowed(ipaddress.ip_address(address))


def _resolver(*addresses):
    return lambda host, port: list(addresses)


def test_a_name_that_resolves_to_a_private_address_is_refused():
    with pytest.raises(UnsafeUrl, match="10.1.2.3"):
        check_url(
            "https://hooks.example.com/in",
            allow_private=False,
            require_https=True,
            resolver=_resolver("10.1.2.3"),
        )


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    with pytest.raises(UnsafeUrl):
        check_url(
            "https://hooks.example.com/in",
            allow_private=False,
            require_https=True,
            resolver=_resolver("93.184.215.14", "127.0.0.1"),
        )


def test_a_public_name_is_checked_and_its_addresses_kept_for_the_connection():
    target = check_url(
        "https://hooks.example.com:8443/in?x=1",
        allow_private=False,
        require_https=True,
        resolver=_resolver("93.184.215.14", "2606:4700:4700::1111"),
    )
    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "hooks.example.com",
        8443,
        "/in?x=1",
    )
    assert target.addresses == ("93.184.215.14", "2606:4700:4700::1111")


def test_an_ip_literal_is_resolved_to_itself_and_checked():
    with pytest.raises(UnsafeUrl):
        check_url("https://127.0.0.1/", allow_private=False, require_https=True)
    with pytest.raises(UnsafeUrl):
        check_url("https://[::1]:8443/", allow_private=False, require_https=True)


def test_private_addresses_pass_when_allowed():
    target = check_url("http://127.0.0.1:9/x", allow_private=True, require_https=False)
    assert target.addresses == ("127.0.0.1",)


def test_a_host_that_does_not_resolve_is_unresolvable():
    def fail(host, port):
        raise Unresolvable("no such host", field="url")

    with pytest.raises(Unresolvable):
        check_url(
            "https://nowhere.invalid/", allow_private=False, require_https=True, resolver=fail
        )
    with pytest.raises(Unresolvable):
        webhook_http.resolve("nowhere.invalid", 443)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("", InvalidInput),
        ("   ", InvalidInput),
        ("hooks.example.com/in", UnsafeUrl),  # no scheme
        ("ftp://hooks.example.com/", UnsafeUrl),
        ("javascript:alert(1)", UnsafeUrl),
        ("http://hooks.example.com/in", UnsafeUrl),  # https required
        ("https:///in", InvalidInput),
        ("https://user:pass@hooks.example.com/", InvalidInput),
        ("https://hooks.example.com:99999/", InvalidInput),
        ("https://hooks.example.com/a b", InvalidInput),
        ("https://hooks.example.com/\r\nX: y", InvalidInput),
        ("https://hooks.example.com/" + "a" * 2000, InvalidInput),
    ],
)
def test_a_url_that_is_not_an_https_address_is_refused(url, error):
    with pytest.raises(error):
        parse_url(url, require_https=True)


def test_http_is_accepted_when_https_is_not_required():
    assert parse_url("http://localhost:8000", require_https=False) == (
        "http",
        "localhost",
        8000,
        "/",
    )


def test_the_signature_verifies_with_the_standard_webhooks_library_and_a_tampered_body_fails():
    secret = webhooks.new_secret()
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 44
    body = (
        '{"id":1,"type":"commission.pending","timestamp":"2026-12-01T00:00:00.000000Z","data":{}}'
    )
    now = int(datetime.now(UTC).timestamp())
    headers = webhook_http.signed_headers(secret, "msg_1", now, body)
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", headers["webhook-signature"])
    assert Webhook(secret).verify(body, headers)["type"] == "commission.pending"
    expected = Webhook(secret).sign("msg_1", datetime.fromtimestamp(now, UTC), body)
    assert headers["webhook-signature"] == expected
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("pending", "paid"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(body, headers)  # another endpoint's secret


def test_two_secrets_differ():
    assert webhooks.new_secret() != webhooks.new_secret()


def test_the_schedule_runs_about_three_days_over_twelve_attempts():
    assert len(SCHEDULE) + 1 == 12
    total = sum(SCHEDULE, timedelta())
    assert timedelta(days=2.5) < total < timedelta(days=3.5)
    assert list(SCHEDULE) == sorted(SCHEDULE)  # the waits never shrink


@pytest.mark.parametrize("docs", [DOCS, DOCS.with_name("api.md")], ids=lambda p: p.name)
def test_the_published_table_is_the_schedule(docs):
    """docs/webhooks.md's table, and the merchants' copy in docs/api.md, list each attempt's
    wait and its time since the first."""
    header = "| attempt | wait after the previous | since the first |"
    table = docs.read_text().split(header, 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \| ([^|]+) \|$", table, re.MULTILINE)
    assert [int(n) for n, _, _ in rows] == list(range(1, len(SCHEDULE) + 2))
    elapsed = timedelta()
    for (_, wait, since), step in zip(rows, (timedelta(), *SCHEDULE), strict=True):
        elapsed += step
        assert _duration(wait) == step, wait
        assert _duration(since) == elapsed, since


def _duration(text: str) -> timedelta:
    text = text.strip()
    if text in ("at once", "—", "0"):
        return timedelta()
    units = {"d": "days", "h": "hours", "min": "minutes", "s": "seconds"}
    total = timedelta()
    for amount, unit in re.findall(r"(\d+)\s*(d|h|min|s)\b", text):
        total += timedelta(**{units[unit]: int(amount)})
    assert total, f"no duration in {text!r}"
    return total


@pytest.mark.parametrize(
    ("env", "private", "https"),
    [("development", True, False), ("testing", True, False), ("production", False, True)],
)
def test_private_addresses_and_plain_http_are_refused_in_production_only(
    env, private, https, monkeypatch, tmp_path
):
    for name in ("WEBHOOK_ALLOW_PRIVATE", "WEBHOOK_REQUIRE_HTTPS", "SHOP_ENV"):
        monkeypatch.delenv(name, raising=False)
    config = Config(ENV=env, SECRET_KEY="k" * 40, STRIPE_WEBHOOK_SECRET="whsec_test", SMS_URL="off")
    config.check(tmp_path)
    assert config.WEBHOOK_ALLOW_PRIVATE is private
    assert config.WEBHOOK_REQUIRE_HTTPS is https


def test_the_settings_can_be_turned_either_way(monkeypatch, tmp_path):
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "yes")
    monkeypatch.setenv("WEBHOOK_REQUIRE_HTTPS", "no")
    config = Config(ENV="production", SECRET_KEY="k" * 40, STRIPE_WEBHOOK_SECRET="whsec_test")
    config.check(tmp_path)
    assert (config.WEBHOOK_ALLOW_PRIVATE, config.WEBHOOK_REQUIRE_HTTPS) == (True, False)


def test_the_webhook_channel_brings_its_schedule_and_the_others_keep_the_backoff():
    from shop.notify import service as notify

    assert notify.CHANNELS["webhook"].schedule == SCHEDULE
    assert notify.CHANNELS["mail"].schedule is None
    assert notify.CHANNELS["sms"].schedule is None


@pytest.mark.parametrize("schedule", [[], [timedelta(0)], [timedelta(seconds=5), -timedelta(1)]])
def test_a_schedule_is_one_or_more_positive_waits(schedule):
    from shop.notify import service as notify

    with pytest.raises(ValueError):
        notify.register("probe-schedule", lambda message: None, schedule=schedule)
    assert "probe-schedule" not in notify.CHANNELS
