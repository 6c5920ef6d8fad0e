"""The development mail server (`flask shop mail-server`, started by `make run`): an aiosmtpd
SMTP server that keeps every mail it receives as a `.eml` file in DEV_MAIL_DIR
(`instance/mail/`), for the operator's mail page (/admin/mail) to show. It honours Message-ID
as a receiver should: a repeat of a mail it already holds is acknowledged and dropped, so the
outbox's at-least-once delivery shows each mail once. Not for production."""

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

from shop import clock

NAME = re.compile(r"^[0-9]{8}T[0-9]{6}[0-9]{6}-[0-9a-f]{20}$")


@dataclass(frozen=True)
class StoredMail:
    name: str  # the file's stem: a safe id for URLs
    received_at: datetime
    sender: str
    to: str
    subject: str
    message_id: str
    date: str
    text: str
    html: str | None


class MailStore:
    """A folder of received mails, one `<received>-<digest of Message-ID>.eml` file each."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    @staticmethod
    def _digest(raw: bytes) -> str:
        message_id = message_from_bytes(raw, policy=policy.default).get("Message-ID", "")
        seed = message_id.strip().encode() if message_id.strip() else secrets.token_bytes(16)
        return hashlib.sha256(seed).hexdigest()[:20]

    def save(self, raw: bytes, now: datetime | None = None) -> bool:
        """Keep a received mail; False (and nothing written) if one with the same Message-ID
        is already kept."""
        self.folder.mkdir(parents=True, exist_ok=True)
        digest = self._digest(raw)
        if any(self.folder.glob(f"*-{digest}.eml")):
            return False
        stamp = (now or clock.now()).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{digest}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(raw)
        os.replace(partial, path)  # a reader never sees half a mail
        return True

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(
            (p.stem for p in self.folder.glob("*.eml") if NAME.match(p.stem)), reverse=True
        )

    def recent(self, limit: int = 100) -> list[StoredMail]:
        """The last `limit` mails received, newest first."""
        return [mail for name in self.names()[:limit] if (mail := self.get(name)) is not None]

    def get(self, name: str) -> StoredMail | None:
        """One kept mail by its name, or None (also for a name that isn't one of ours)."""
        if not NAME.match(name or ""):
            return None
        try:
            raw = (self.folder / f"{name}.eml").read_bytes()
        except OSError:
            return None
        mail = message_from_bytes(raw, policy=policy.default)
        text = mail.get_body(preferencelist=("plain",))
        html = mail.get_body(preferencelist=("html",))
        received = datetime.strptime(name[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
        return StoredMail(
            name=name,
            received_at=received,
            sender=str(mail.get("From", "")),
            to=str(mail.get("To", "")),
            subject=str(mail.get("Subject", "")),
            message_id=str(mail.get("Message-ID", "")),
            date=str(mail.get("Date", "")),
            text=text.get_content() if text is not None else "",
            html=html.get_content() if html is not None else None,
        )


class StoringHandler:
    """An aiosmtpd handler that keeps each mail in a MailStore (and drops repeats)."""

    def __init__(self, store: MailStore):
        self.store = store

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        self.store.save(envelope.original_content or envelope.content)
        return "250 OK: kept"


def serve(folder: str | Path, host: str, port: int, wait) -> None:
    """Run the SMTP server on host:port until `wait()` returns (it blocks until asked to
    stop)."""
    from aiosmtpd.controller import Controller

    controller = Controller(StoringHandler(MailStore(folder)), hostname=host, port=port)
    controller.start()
    try:
        wait()
    finally:
        controller.stop()
