"""Where a webhook may go, and how it is sent there (notify.webhooks uses both).

Addresses (SSRF): an endpoint's URL must be https when WEBHOOK_REQUIRE_HTTPS, and every address
its host resolves to must be public unless WEBHOOK_ALLOW_PRIVATE: checked when it is
registered and again at every delivery, which then connects to the very address it checked
(`Target`, through the pinned connections below), not to whatever a second DNS lookup says.
So a name that resolves to a public address at registration and to 127.0.0.1 later (DNS
rebinding) reaches nothing inside. Redirects are not followed.

Signing: Standard Webhooks' `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,` +
base64 HMAC-SHA256 of `id.timestamp.body` under the endpoint's secret)."""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from shop.errors import InvalidInput

MAX_URL = 2000
RESPONSE_LOG_CHARS = 1000  # how much of each answer the delivery log keeps


class UnsafeUrl(InvalidInput):
    """That address is not one the shop will send webhooks to."""

    code = "unsafe_url"


class Unresolvable(InvalidInput):
    """That address's host name could not be found."""

    code = "unresolvable_url"


# --- Addresses (SSRF) -------------------------------------------------------------------------


def address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address on the public internet. Refused: private (10/8, 172.16/12,
    192.168/16, fc00::/7), loopback, link-local (169.254/16 with the clouds' metadata service,
    fe80::/10), multicast, reserved, unspecified (0.0.0.0, ::), shared (100.64/10) and every
    other range IANA marks not global; an IPv4 address written as IPv6 (::ffff:10.0.0.1,
    6to4, Teredo) is judged as the IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if inner is not None and not address_allowed(inner):
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`addresses`, in resolver order) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IP literals resolve to themselves). Raises
    Unresolvable."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise Unresolvable(f"The host {host} could not be found.", field="url") from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


def parse_url(url: str, *, require_https: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an endpoint URL. Raises InvalidInput."""
    value = (url or "").strip()
    if not value:
        raise InvalidInput("Give the address webhooks should be sent to.", field="url")
    if len(value) > MAX_URL or any(ord(char) < 33 or ord(char) == 127 for char in value):
        raise InvalidInput(
            f"That isn't a web address (at most {MAX_URL} characters, no spaces).", field="url"
        )
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput("That isn't a web address.", field="url") from exc
    scheme = parts.scheme.lower()
    allowed = ("https",) if require_https else ("https", "http")
    if scheme not in allowed:
        need = "an https:// address" if require_https else "an http:// or https:// address"
        raise UnsafeUrl(f"Webhooks go to {need}.", field="url")
    if not parts.hostname:
        raise InvalidInput("That address has no host name.", field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(
            "Put no user name or password in the address: check the signature instead.",
            field="url",
        )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def check_url(
    url: str, *, allow_private: bool, require_https: bool, resolver: Resolver | None = None
) -> Target:
    """The URL parsed and its host resolved (with `resolver`, default `resolve`), every address
    checked unless `allow_private`. Raises InvalidInput, UnsafeUrl (an address that isn't
    public: every one must be, since a client may connect to any), Unresolvable."""
    scheme, host, port, path = parse_url(url, require_https=require_https)
    addresses = (resolver or resolve)(host, port)
    if not addresses:
        raise Unresolvable(f"The host {host} could not be found.", field="url")
    if not allow_private:
        for text in addresses:
            try:
                address = ipaddress.ip_address(text.split("%", 1)[0])
            except ValueError as exc:
                raise UnsafeUrl(f"{host} resolves to {text!r}.", field="url") from exc
            if not address_allowed(address):
                raise UnsafeUrl(
                    f"{host} resolves to {address}, which is not a public internet address.",
                    field="url",
                )
    return Target(scheme, host, port, path, tuple(addresses))


# --- Sending -----------------------------------------------------------------------------------


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header's value: `v1,` + base64 HMAC-SHA256 of
    `{id}.{timestamp}.{body}` under the secret's bytes (the base64 after "whsec_")."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "CLiQQ-Shop-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the host name resolves to now."""

    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the checked address; TLS still checks the certificate against the host
    name (SNI and verification use `host`, not the address)."""

    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict, *, timeout: float) -> tuple[int, str]:
    """POST to the first checked address of `target`; (status, start of the answer). Raises
    OSError (refused, timeout, TLS) when no answer came."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target.host, target.port, target.addresses[0], timeout=timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        reply = response.read(RESPONSE_LOG_CHARS * 4)
        return response.status, reply.decode("utf-8", "replace")[:RESPONSE_LOG_CHARS]
    finally:
        connection.close()
