"""MAIL_URL: where and how the worker sends mail, in one setting, parsed with the standard
library (no Flask, no database: a pure rule, unit-tested).

    smtp://host[:port]                   plain SMTP (port 25)
    smtp://user:pass@host:587?starttls=true
    smtp+starttls://user:pass@host[:port]  STARTTLS, the certificate checked (port 587)
    smtps://user:pass@host[:port]        TLS from the first byte (port 465)

The user name and password are percent-decoded (`%40` for an `@` in a password). Without
MAIL_URL the separate MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, MAIL_USE_SSL, MAIL_USERNAME and
MAIL_PASSWORD settings say the same (`settings_of(config)` reads either)."""

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


class MailUrlError(ValueError):
    """MAIL_URL can't be read: the message says what is wrong (never the password)."""


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never a password in a log line or a traceback
        secret = "***" if self.password else None
        return (
            f"MailSettings(host={self.host!r}, port={self.port}, starttls={self.starttls}, "
            f"ssl={self.ssl}, username={self.username!r}, password={secret!r})"
        )


def parse_mail_url(url: str) -> MailSettings:
    """The settings MAIL_URL names. Raises MailUrlError for another scheme, no host, a bad
    port, an unknown query parameter, or STARTTLS asked of an smtps:// URL."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise MailUrlError(
            f"the scheme {parts.scheme or '(none)'!r} isn't one of smtp, smtp+starttls, smtps"
        )
    try:
        port = parts.port
    except ValueError:
        raise MailUrlError("the port isn't a number from 1 to 65535") from None
    if not parts.hostname:
        raise MailUrlError("it names no host (smtp://host:port)")
    if parts.path not in ("", "/"):
        raise MailUrlError("a mail URL has no path: smtp://user:pass@host:port")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"starttls"})
    if unknown:
        raise MailUrlError(f"unknown parameter {unknown[0]!r} (only ?starttls=true)")
    starttls = scheme == "smtp+starttls"
    if "starttls" in query:
        value = query["starttls"][-1].lower()
        if value not in TRUE + FALSE:
            raise MailUrlError("starttls= takes true or false")
        starttls = value in TRUE
    ssl = scheme == "smtps"
    if ssl and starttls:
        raise MailUrlError("smtps:// is TLS already: no starttls with it")
    return MailSettings(
        host=parts.hostname,
        port=port or DEFAULT_PORTS[scheme],
        starttls=starttls,
        ssl=ssl,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def settings_of(config) -> MailSettings:
    """The mail settings in effect: MAIL_URL when set, else the separate MAIL_* settings."""
    if config.get("MAIL_URL"):
        return parse_mail_url(config["MAIL_URL"])
    return MailSettings(
        host=config["MAIL_SERVER"],
        port=int(config["MAIL_PORT"]),
        starttls=bool(config.get("MAIL_USE_TLS")),
        ssl=bool(config.get("MAIL_USE_SSL")),
        username=config.get("MAIL_USERNAME") or None,
        password=config.get("MAIL_PASSWORD"),
    )
