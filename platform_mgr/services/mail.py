"""E-mail through an outbox: nothing is sent inside a request, nothing is lost when SMTP is down.

A notification that should be mailed gets an ``OutboxMail`` row in the same transaction that creates
it. The scheduler's tick sends the rows that are due (``jobs.tasks.send_outbox``): it first *claims* a
row with a conditional update (attempts + 1, next attempt pushed back) and commits, then talks to SMTP,
then records the result — so two senders never send the same row, and a failure leaves the row waiting
with its error until a later attempt succeeds. Retries back off (1, 2, 4 … minutes, at most 6 hours)
and never give up. Each mail is bilingual, the recipient's preferred language first.

The functions here flush; the caller commits (the outbox job commits around each SMTP exchange).
"""
from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from ..models import Notification, OutboxMail, User, utcnow
from . import links

FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
SUBJECT_MAX = 400
ERROR_MAX = 1000
SEPARATOR = "\n\n" + "—" * 24 + "\n\n"


@dataclass(frozen=True)
class MailSettings:
    server: str = ""
    port: int = 25
    username: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    sender: str = "platform-mgr@localhost"
    base_url: str = ""
    timeout: float = 30.0
    secret_key: str = ""  # fills in the single-use links of account mails (services.accounts)

    @property
    def enabled(self) -> bool:
        return bool(self.server)


def settings(config: Mapping[str, Any] | None = None) -> MailSettings:
    """Mail settings from a config mapping (default: the current app's; none outside an app: disabled)."""
    if config is None:
        try:
            from flask import current_app

            config = current_app.config
        except RuntimeError:
            return MailSettings()
    return MailSettings(
        server=str(config.get("MAIL_SERVER") or ""),
        port=int(config.get("MAIL_PORT") or 25),
        username=str(config.get("MAIL_USERNAME") or ""),
        password=str(config.get("MAIL_PASSWORD") or ""),
        use_tls=bool(config.get("MAIL_USE_TLS")),
        use_ssl=bool(config.get("MAIL_USE_SSL")),
        sender=str(config.get("MAIL_FROM") or "platform-mgr@localhost"),
        base_url=str(config.get("BASE_URL") or "").rstrip("/"),
        timeout=float(config.get("MAIL_TIMEOUT") or 30),
        secret_key=str(config.get("SECRET_KEY") or ""),
    )


def mail_enabled() -> bool:
    return settings().enabled


def backoff(attempts: int) -> timedelta:
    """The wait after the given number of attempts: 1, 2, 4, 8 … minutes, capped at 6 hours."""
    if attempts <= 0:
        return timedelta(0)
    return min(FIRST_RETRY * (2 ** min(attempts - 1, 20)), MAX_RETRY)


# --- composing ---------------------------------------------------------------------------------------

def _prefers_en(lang: str | None) -> bool:
    return bool(lang) and str(lang).lower().startswith("en")


def compose(row: Mapping[str, Any], lang: str | None, base_url: str = "") -> tuple[str, str]:
    """(subject, body) of a notification, bilingual, the recipient's language first."""
    zh = (row["subject_zh"], row.get("body_zh") or "")
    en = (row["subject_en"], row.get("body_en") or "")
    first, second = (en, zh) if _prefers_en(lang) else (zh, en)
    subject = first[0] if first[0] == second[0] else f"{first[0]} / {second[0]}"
    if len(subject) > SUBJECT_MAX:
        subject = first[0][:SUBJECT_MAX]
    body = first[1] + SEPARATOR + second[1]
    link = row.get("link") or ""
    if link and base_url:
        body += "\n\n" + base_url + link
    return subject, body


def enqueue_for(session: Session, created: Iterable[tuple[int, Mapping[str, Any]]], *, now: datetime) -> int:
    """Queue one mail per (notification id, notification row) for recipients who are active and have an
    address. One query loads the recipients. Returns how many mails were queued."""
    created = list(created)
    if not created:
        return 0
    user_ids = {row["recipient_id"] for _id, row in created}
    users = {u.id: u for u in session.exec(select(User).where(User.id.in_(user_ids))).all()}
    base_url = settings().base_url
    queued = 0
    for notification_id, row in created:
        user = users.get(row["recipient_id"])
        if user is None or not user.active or not user.email:
            continue
        subject, body = compose(row, user.preferred_lang, base_url)
        session.add(OutboxMail(notification_id=notification_id, to_addr=user.email, subject=subject, body=body,
                               next_attempt_at=now, created_at=now))
        queued += 1
    session.flush()
    return queued


def enqueue(session: Session, notification: Notification, *, now: datetime | None = None) -> int:
    row = {name: getattr(notification, name) for name in
           ("recipient_id", "subject_zh", "subject_en", "body_zh", "body_en", "link")}
    return enqueue_for(session, [(notification.id, row)], now=now or utcnow())


# --- the outbox --------------------------------------------------------------------------------------

def due_ids(session: Session, now: datetime, limit: int = 200) -> list[int]:
    """Unsent mails whose next attempt is due, oldest first."""
    return list(session.exec(select(OutboxMail.id)
                             .where(OutboxMail.sent_at.is_(None), OutboxMail.next_attempt_at <= now)
                             .order_by(OutboxMail.next_attempt_at, OutboxMail.id).limit(limit)).all())


def claim(session: Session, mail_id: int, now: datetime) -> OutboxMail | None:
    """Take a due mail for one attempt: attempts + 1 and the next attempt moved past the backoff, in one
    conditional update. None when it was sent or claimed meanwhile (another sender has it)."""
    row = session.exec(select(OutboxMail.attempts).where(OutboxMail.id == mail_id)).first()
    if row is None:
        return None
    attempts = row
    result = session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id, OutboxMail.sent_at.is_(None), OutboxMail.attempts == attempts,
               OutboxMail.next_attempt_at <= now)
        .values(attempts=attempts + 1, next_attempt_at=now + backoff(attempts + 1))
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    mail = session.get(OutboxMail, mail_id)
    session.refresh(mail)
    return mail


def record_sent(session: Session, mail: OutboxMail, now: datetime) -> None:
    session.execute(update(OutboxMail).where(OutboxMail.id == mail.id)
                    .values(sent_at=now, last_error="").execution_options(synchronize_session=False))
    if mail.notification_id is not None:
        session.execute(update(Notification).where(Notification.id == mail.notification_id)
                        .values(sent_at=now).execution_options(synchronize_session=False))
    session.flush()


def record_failure(session: Session, mail: OutboxMail, error: BaseException | str) -> None:
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    session.execute(update(OutboxMail).where(OutboxMail.id == mail.id)
                    .values(last_error=text[:ERROR_MAX]).execution_options(synchronize_session=False))
    session.flush()


def message(mail: OutboxMail, config: MailSettings) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = mail.subject
    msg["From"] = config.sender
    msg["To"] = mail.to_addr
    msg["Date"] = format_datetime(utcnow())
    # the same id on every attempt, so a receiving server can drop a repeat after a lost acknowledgement
    domain = config.sender.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = f"<outbox-{mail.id}.{mail.created_at:%Y%m%d%H%M%S}@{domain}>" if mail.id else make_msgid()
    msg.set_content(links.expand_links(mail.body, config.secret_key, config.base_url), charset="utf-8")
    return msg


class SmtpConnection:
    """One SMTP session for a batch of mails; opened on first use."""

    def __init__(self, config: MailSettings, smtp_class=None):
        self.config = config
        self.smtp_class = smtp_class
        self._smtp = None

    def _open(self):
        cls = self.smtp_class or (smtplib.SMTP_SSL if self.config.use_ssl else smtplib.SMTP)
        smtp = cls(self.config.server, self.config.port, timeout=self.config.timeout)
        try:
            if self.config.use_tls and not self.config.use_ssl:
                smtp.starttls()
            if self.config.username:
                smtp.login(self.config.username, self.config.password)
        except BaseException:
            self._quietly_close(smtp)
            raise
        return smtp

    def send(self, mail: OutboxMail) -> None:
        if self._smtp is None:
            self._smtp = self._open()
        try:
            self._smtp.send_message(message(mail, self.config))
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()  # the next mail reconnects
            raise

    @staticmethod
    def _quietly_close(smtp) -> None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError, socket.error):
            try:
                smtp.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass

    def close(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            self._quietly_close(smtp)
