"""The mail channel: an outbox message sent over SMTP (the standard library's smtplib), with the
message's id as its Message-ID, so a receiver that has seen the id can drop a repeat."""

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import current_app

from shop.notify.mailurl import settings_of

log = logging.getLogger(__name__)


def build(message, config) -> EmailMessage:
    """The mail for an outbox message (a `service.Message` of kind `mail`)."""
    payload = message.payload
    mail = EmailMessage()
    mail["From"] = config["MAIL_FROM"]
    mail["To"] = ", ".join(payload["to"])
    mail["Subject"] = payload["subject"]
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = message_id_header(message.id, config["MAIL_FROM"])
    mail.set_content(payload["text"])
    if payload.get("html"):
        mail.add_alternative(payload["html"], subtype="html")
    return mail


def message_id_header(message_id: str, sender: str) -> str:
    """`<outbox id@sender's domain>`: stable across attempts, unique to the message."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{message_id}@{domain}>"


def deliver(message) -> None:
    """Send one mail to the server of MAIL_URL (or MAIL_SERVER:MAIL_PORT): TLS from the first
    byte for smtps://, STARTTLS for smtp+starttls:// (the certificate checked either way),
    logged in when the URL has a user. Raises PermanentFailure when the server refuses the
    recipients or the content for good (a 5xx reply), anything else (a refused connection, a
    4xx "try later", a timeout) for a failure worth retrying."""
    from shop.notify.service import PermanentFailure

    config = current_app.config
    settings = settings_of(config)
    mail = build(message, config)
    timeout = config["MAIL_TIMEOUT_SECONDS"]
    try:
        if settings.ssl:
            connection = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with connection as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            refused = smtp.send_message(mail, from_addr=parseaddr(config["MAIL_FROM"])[1])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _reply in exc.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            raise PermanentFailure(f"every recipient refused: {exc.recipients}") from exc
        raise
    except smtplib.SMTPDataError as exc:
        if exc.smtp_code >= 500:
            raise PermanentFailure(f"the content was refused: {exc.smtp_code} {exc}") from exc
        raise
    if refused:
        # Some recipients took it: sending again would repeat it to them. Record, don't retry.
        log.warning("mail %s: some recipients refused it: %s", message.id, refused)


def describe(payload: dict) -> str:
    return f"mail to {', '.join(payload.get('to') or [])}: {payload.get('subject', '')}"
