"""The sms channel: a text message of the outbox, handed to the sender SMS_URL chooses.

- `https://...` (or `http://` outside production): a production SMS gateway, sent one JSON POST
  per text, `{"id", "to", "text"}`, with `Authorization: Bearer <SMS_TOKEN>` and the message's
  id as `Idempotency-Key` (a gateway that honours it sends a repeat once), within
  SMS_TIMEOUT_SECONDS. A 2xx is delivered; 408, 429 and 5xx, a timeout or a refused
  connection are retried by the outbox; any other 4xx is a refusal for good (parked).
- `dev`: the development sender, which keeps each text as a JSON file in DEV_TEXT_DIR
  (`instance/texts/`), one per message id (a repeat is dropped, as a receiver would), shown
  next to the mail on the operator's Messages page (/admin/mail).
- `off`: no sender. The shop then queues no text and promises none (`texts_enabled()`).

`sender_kind(url)` is the pure rule of which sender a setting names (unit-tested)."""

import json
import logging
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app

from shop import clock

log = logging.getLogger(__name__)

KINDS = ("off", "dev", "http")
NAME = re.compile(r"^[0-9]{8}T[0-9]{6}[0-9]{6}-[A-Za-z0-9_-]{1,64}$")
RETRYABLE_STATUS = (408, 425, 429)
MAX_TEXT = 480  # three SMS segments: a text says one thing, the link carries the rest


class SmsUrlError(ValueError):
    """SMS_URL names no sender this shop knows."""


def sender_kind(url: str | None) -> str:
    """Which sender SMS_URL names: "off" (unset, empty, off/none/false), "dev", or "http" (an
    http:// or https:// address with a host). Raises SmsUrlError for anything else."""
    value = (url or "").strip()
    if value.lower() in ("", "off", "none", "false", "0"):
        return "off"
    if value.lower() == "dev":
        return "dev"
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme.lower() in ("http", "https") and parts.hostname:
        return "http"
    raise SmsUrlError(f"{value!r} is neither off, dev, nor an http(s):// gateway address")


def enabled(config) -> bool:
    """True when a sender is configured: only then are texts queued or promised."""
    return sender_kind(config.get("SMS_URL")) != "off"


def deliver(message) -> None:
    """Send one text (an outbox `service.Message` of kind `sms`) with the configured sender.
    Raises PermanentFailure when no sender is configured any more (the message is parked
    for the operator) or the gateway refuses it for good; anything else is retried."""
    from shop.notify.service import PermanentFailure

    config = current_app.config
    kind = sender_kind(config.get("SMS_URL"))
    if kind == "off":
        raise PermanentFailure("no SMS sender is configured (SMS_URL=off)")
    if kind == "dev":
        TextStore(config["DEV_TEXT_DIR"]).save(message.id, message.payload)
        return
    send_http(
        config["SMS_URL"],
        config.get("SMS_TOKEN"),
        message.id,
        message.payload,
        timeout=config["SMS_TIMEOUT_SECONDS"],
    )


def send_http(url: str, token: str | None, message_id: str, payload: dict, *, timeout: float):
    """POST one text to a gateway as JSON. Raises PermanentFailure for a refusal for good, a
    RuntimeError (retried) for a failure worth another try."""
    from shop.notify.service import PermanentFailure

    body = json.dumps({"id": message_id, "to": payload["to"], "text": payload["text"]}).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": message_id,
        "User-Agent": "CLiQQ-Shop",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read(4096)
    except urllib.error.HTTPError as exc:
        status = exc.code
        reply = exc.read(500).decode("utf-8", "replace") if exc.fp else ""
        if 400 <= status < 500 and status not in RETRYABLE_STATUS:
            raise PermanentFailure(f"the SMS gateway refused the text: {status} {reply}") from exc
        raise RuntimeError(f"the SMS gateway answered {status}: try later") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise RuntimeError(f"the SMS gateway could not be reached: {exc}") from exc


def describe(payload: dict) -> str:
    return f"text to {mask(payload.get('to', ''))}: {payload.get('text', '')[:60]}"


def mask(phone: str) -> str:
    """+63 917 ••• 4567: enough for the operator to tell texts apart, not the number."""
    digits = str(phone)
    return digits[:-7] + "•••" + digits[-4:] if len(digits) > 8 else "•••"


# --- the development sender's store -----------------------------------------------------------


@dataclass(frozen=True)
class StoredText:
    name: str
    received_at: datetime
    to: str
    text: str
    message_id: str


class TextStore:
    """A folder of texts the dev sender kept, one `<received>-<message id>.json` file each."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def save(self, message_id: str, payload: dict, now: datetime | None = None) -> bool:
        """Keep a text; False (and nothing written) if the same message id is already kept."""
        safe = re.sub(r"[^A-Za-z0-9_-]", "", message_id)[:64] or "text"
        self.folder.mkdir(parents=True, exist_ok=True)
        if any(self.folder.glob(f"*-{safe}.json")):
            return False
        stamp = (now or clock.now()).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{safe}.json"
        partial = path.with_suffix(".part")
        record = {"id": message_id, "to": payload["to"], "text": payload["text"]}
        partial.write_text(json.dumps(record, ensure_ascii=False))
        os.replace(partial, path)
        return True

    def recent(self, limit: int = 100) -> list[StoredText]:
        """The last `limit` texts kept, newest first."""
        if not self.folder.is_dir():
            return []
        names = sorted(
            (p.stem for p in self.folder.glob("*.json") if NAME.match(p.stem)), reverse=True
        )
        texts = []
        for name in names[:limit]:
            try:
                record = json.loads((self.folder / f"{name}.json").read_text())
            except (OSError, ValueError):
                continue
            received = datetime.strptime(name[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
            texts.append(
                StoredText(
                    name=name,
                    received_at=received,
                    to=str(record.get("to", "")),
                    text=str(record.get("text", "")),
                    message_id=str(record.get("id", "")),
                )
            )
        return texts
