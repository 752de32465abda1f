"""Sends recorded mails over SMTP, retrying transient failures with backoff.

The consumer records mails in the same transaction as the processed-event mark; this sender then
delivers them. A crash between the SMTP answer and marking the row sent can send that one mail again;
its Message-ID is deterministic, so the receiving side can recognise the duplicate.
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

import aiosmtplib
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifications import domain, repository
from services.notifications.config import NotificationsSettings

log = structlog.get_logger()


def build_message(row, mail_from: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = row["recipient"]
    msg["Subject"] = row["subject"]
    msg["Message-ID"] = row["message_id"]
    msg.set_content(row["body_text"])
    msg.add_alternative(row["body_html"], subtype="html")
    return msg


class Mailer:
    def __init__(self, settings: NotificationsSettings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions
        self._wake = asyncio.Event()

    def wake(self, *_) -> None:
        self._wake.set()

    async def _send(self, msg: EmailMessage) -> None:
        s = self.settings
        await aiosmtplib.send(msg, hostname=s.smtp_host, port=s.smtp_port, start_tls=s.smtp_starttls,
                              username=s.smtp_username,
                              password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                              timeout=s.smtp_timeout_seconds)

    async def deliver_due(self, limit: int = 50) -> int:
        """Send due mails; returns how many were attempted."""
        async with self.sessions() as session, session.begin():
            rows = await repository.claim_due(session, limit)
            for row in rows:
                await self._deliver(session, row)
        return len(rows)

    async def _deliver(self, session: AsyncSession, row) -> None:
        s = self.settings
        try:
            await self._send(build_message(row, s.mail_from))
        except aiosmtplib.SMTPResponseException as err:
            permanent = 500 <= err.code < 600 or row["attempts"] + 1 >= s.max_attempts
            await repository.mark_failed(session, row["id"], error=f"{err.code} {err.message}",
                                         retry_in=None if permanent else domain.backoff(
                                             row["attempts"] + 1, s.retry_base_seconds, s.retry_max_seconds))
            log.warning("mail_failed", delivery_id=row["id"], code=err.code, permanent=permanent)
            return
        except (aiosmtplib.SMTPException, OSError) as err:
            # Server unreachable or connection dropped: always transient; keep the mail and try later.
            await repository.mark_failed(session, row["id"], error=str(err) or type(err).__name__, retry_in=(
                domain.backoff(row["attempts"] + 1, s.retry_base_seconds, s.retry_max_seconds)))
            log.warning("mail_delayed", delivery_id=row["id"], error=str(err))
            return
        await repository.mark_sent(session, row["id"])
        log.info("mail_sent", delivery_id=row["id"], template=row["template"])

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                attempted = await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("mailer_failed")
                attempted = 0
                await asyncio.sleep(1.0)
            if attempted:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.retry_base_seconds / 2)
            except TimeoutError:
                pass
