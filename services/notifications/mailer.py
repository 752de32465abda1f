"""Renders recorded mails and sends them over SMTP, retrying transient failures with backoff.

The consumer records mails in the same transaction as the processed-event mark; this sender delivers
them, many over one SMTP connection. Mails are rendered at send time, so a mail waits briefly for its
case's details and shows the company only if consent arrived by then.

Exactly once across crashes: a sender claims a batch for a lease (renewed while it works), then commits each
mail as `sending` just before its SMTP transaction and as `sent` right after its own 250 — one commit between
two mails does both. So a crash (of this process or of PostgreSQL) leaves at most one mail per connection
whose fate is unknown; once the lease runs out it is sent again with the same deterministic Message-ID, so
the receiving side can recognise the repeat. Every other mail is either sent and marked, or not sent.
A refusal (5xx) is permanent: the mail is dead-lettered (status `dead`, logged, visible in the delivery
log). An unreachable server is never permanent: mails wait and go out as soon as it answers again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr

import aiosmtplib
import structlog
from jinja2 import Environment, TemplateError
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifications import domain, repository
from services.notifications.config import NotificationsSettings
from services.notifications.domain import replies
from services.notifications.domain.directory import no_header_breaks
from services.notifications.repository.deliveries import CONNECTION_ERROR
from shared.db import transaction
from shared.failures import raise_if_cancelling, wait_woken

log = structlog.get_logger()
REPLY_KINDS = frozenset({"municipality", "province"})
WAIT = "wait"  # a mail that waits for its case's details


class MailCounters:
    """`groeiruimte_mail_sent_total` and `groeiruimte_mail_failed_total{outcome}` on the service's registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry or CollectorRegistry()
        self.sent = Counter("groeiruimte_mail_sent", "Mails the SMTP server accepted", registry=registry)
        self.failed = Counter("groeiruimte_mail_failed", "Mails not accepted: deferred (4xx, retried), dead (5xx or "
                              "out of attempts), unreachable (connection failed, held)", ["outcome"], registry=registry)
        for outcome in ("deferred", "dead", "unreachable"):
            self.failed.labels(outcome)


class Undeliverable(Exception):
    """This mail can never be built (recipient removed, template broken, unsafe header)."""


def build_message(row, mail: domain.Mail, mail_from: str) -> MIMEMultipart:
    """Plain text and HTML alternatives; every header value is checked for line breaks before it is set.

    The directory and the settings already refuse CR/LF and subjects are forced onto one line; this check is
    the last line of defence. (The MIME classes are an order of magnitude cheaper than EmailMessage here.)
    """
    headers = {"From": mail_from, "To": formataddr((mail.recipient.name, mail.recipient.email), charset="utf-8"),
               "Subject": mail.subject, "Message-ID": row["message_id"],
               "Content-Language": domain.language_of(mail.recipient)}
    for name, value in headers.items():
        no_header_breaks(value, name)
    msg = MIMEMultipart("alternative")
    for name, value in headers.items():
        msg[name] = Header(value, "utf-8") if name == "Subject" else value
    msg.attach(MIMEText(mail.text, "plain", "utf-8"))
    msg.attach(MIMEText(mail.html, "html", "utf-8"))
    return msg


def _prerendered(row) -> domain.Mail:
    """A row recorded before mails were rendered at send time (no recipient code): send it as it was stored."""
    recipient = domain.Recipient.model_construct(code="", kind="municipality", name="", email=row["recipient"],
                                                 language="nl")
    return domain.Mail(recipient=recipient, template=row["template"], subject=row["subject"],
                       text=row["body_text"], html=row["body_html"])


class Mailer:
    def __init__(self, settings: NotificationsSettings, sessions: async_sessionmaker[AsyncSession],
                 env: Environment, counters: MailCounters | None = None) -> None:
        self.settings = settings
        self.counters = counters or MailCounters()
        self.sessions = sessions
        self.env = env
        self._wake = asyncio.Event()
        self._unreachable = False  # the last connection attempt failed: probe until the server answers
        self._last_probe = 0.0

    def wake(self, *_) -> None:
        self._wake.set()

    def reply_url(self, case_id, recipient: domain.Recipient) -> str | None:
        if case_id is None or recipient.kind not in REPLY_KINDS:
            return None
        s = self.settings
        token = replies.sign(s.reply_secret.get_secret_value().encode(), case_id, recipient.code,
                             valid_seconds=s.reply_valid_days * 86_400)
        return f"{s.public_base_url.rstrip('/')}/replies/{token}"

    async def deliver_due(self) -> int:
        """Render and send the due mails; returns how many were handled (sent, postponed or failed)."""
        claim, lease = uuid.uuid4(), self.settings.send_lease_seconds
        async with transaction(self.sessions) as session:
            rows = await repository.claim_due(session, self.settings.send_batch_size, claim=claim, lease=lease)
        if not rows:
            return 0
        if unknown := [r["id"] for r in rows if r["status"] == "sending"]:
            log.warning("mails_of_unknown_fate_sent_again", delivery_ids=unknown)
        smtp = self._client()
        try:
            # Connect before rendering: while the server is down, a retry costs one attempt, not a batch's work.
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError) as err:
            self._unreachable = True
            async with transaction(self.sessions) as session:
                await self._delay_all(session, rows, err)
            return len(rows)
        try:
            async with self._claim_kept(claim):
                async with transaction(self.sessions) as session:
                    await self._server_answers(session)
                    ready = await self._prepare_all(session, rows)
                sent = await self._send_all(smtp, ready, claim)
        finally:
            await self._quit(smtp)
        log.info("mails_sent", count=sent)
        return len(rows)

    @asynccontextmanager
    async def _claim_kept(self, claim: uuid.UUID) -> AsyncIterator[None]:
        """Renew the batch's lease while this sender works on it, so no other sender takes a mail it still holds."""
        renewer = asyncio.create_task(self._renew_claim(claim))
        try:
            yield
        finally:
            renewer.cancel()
            with suppress(asyncio.CancelledError):
                await renewer

    async def _renew_claim(self, claim: uuid.UUID) -> None:
        lease = self.settings.send_lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            try:
                async with transaction(self.sessions) as session:
                    await repository.renew_claim(session, claim=claim, lease=lease)
            except Exception as err:  # the database may be down; the lease then simply runs out
                log.warning("mail_claim_not_renewed", error=type(err).__name__)

    async def _prepare_all(self, session: AsyncSession, rows) -> list[tuple]:
        """Messages for the rows that can go now; the rest are postponed or dead-lettered."""
        directory = await repository.active_directory(session)
        known = await repository.profiles(session, [r["case_id"] for r in rows if r["case_id"]])
        ready, rendered, waiting = [], [], []
        for row in rows:
            prepared = await self._prepare(session, row, directory, known)
            if prepared is None:
                continue
            if prepared == WAIT:
                waiting.append(row["id"])
                continue
            ready.append((row, prepared[0]))
            rendered.append(prepared[1])
        await repository.mark_rendered(session, rendered)
        await repository.postpone(session, waiting, 1.0)
        return ready

    async def _prepare(self, session: AsyncSession, row, directory, known):
        """The message for a row and what to log of it; WAIT; or None when it was dead-lettered."""
        try:
            if row["recipient_code"] is None:
                mail = _prerendered(row)
            else:
                recipient = directory.get(row["recipient_code"])
                if recipient is None:
                    raise Undeliverable(f"recipient {row['recipient_code']} is no longer in the directory")
                context = await self._context(session, row, recipient, known.get(row["case_id"]))
                if context is None:
                    return WAIT
                mail = domain.render(self.env, row["template"], recipient, context)
            msg = build_message(row, mail, self.settings.mail_from)
        except (Undeliverable, TemplateError, ValueError) as err:
            await self._dead(session, row, f"cannot build mail: {err}")
            return None
        return msg, {"id": row["id"], "email": mail.recipient.email, "subject": mail.subject,
                     "text": mail.text, "html": mail.html}

    async def _context(self, session: AsyncSession, row, recipient: domain.Recipient, profile) -> dict | None:
        """What the template gets; None while the case's details are still expected."""
        lang = domain.language_of(recipient)
        if row["template"] == "digest":
            return await self._digest_context(session, row, recipient, lang)
        waited = (datetime.now(UTC) - row["created_at"]).total_seconds()
        if not (profile and profile.get("demand")) and waited < self.settings.case_wait_seconds:
            return None
        return self._item_context(row["context"], row["case_id"], profile, recipient, lang)

    def _item_context(self, context: dict, case_id, profile, recipient, lang: str) -> dict:
        view = domain.case_view(profile, recipient, lang)
        code_name = context.get("code_name") or view["code_name"] or str(case_id)[:8]
        return context | {"case": view, "code_name": code_name, "reply_url": self.reply_url(case_id, recipient)}

    async def _digest_context(self, session: AsyncSession, row, recipient, lang: str) -> dict:
        items = await repository.digest_items(session, row["id"])
        known = await repository.profiles(session, [i["case_id"] for i in items])
        return {"reply_url": None, "code_name": "", "case": domain.case_view(None, recipient, lang),
                "items": [self._item_context(i["context"], i["case_id"], known.get(i["case_id"]), recipient, lang)
                          for i in items]}

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, start_tls=s.smtp_starttls,
                               username=s.smtp_username,
                               password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                               timeout=s.smtp_timeout_seconds)

    async def _send_all(self, smtp: aiosmtplib.SMTP, ready: list, claim: uuid.UUID) -> int:
        """Send over one connection, each mail marked `sending` before and `sent` after its own transaction.

        A lost connection delays this and the remaining mails, losing none. Returns how many were sent.
        """
        lease, previous, sent = self.settings.send_lease_seconds, None, 0
        async with self.sessions() as session:
            for i, (row, msg) in enumerate(ready):
                async with session.begin():
                    mine = await repository.hand_over(session, sent=previous, sending=row["id"], claim=claim,
                                                      lease=lease)
                previous = None
                if not mine:
                    continue  # another sender took it after this one's lease ran out: it is theirs now
                try:
                    await smtp.send_message(msg)
                except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as err:
                    async with session.begin():
                        await self._delay_all(session, [r for r, _ in ready[i:]], err)
                    return sent
                except aiosmtplib.SMTPException as err:
                    async with session.begin():
                        await self._refused(session, row, err)
                    continue
                previous, sent = row["id"], sent + 1
                self.counters.sent.inc()
            if previous is not None:
                async with session.begin():
                    await repository.hand_over(session, sent=previous, sending=None, claim=claim, lease=lease)
        return sent

    async def _server_answers(self, session: AsyncSession) -> None:
        """After an outage, every mail held back by it is due now rather than at its backed-off time."""
        if not self._unreachable:
            return
        self._unreachable = False
        released = await repository.release_after_outage(session)
        log.info("smtp_reachable_again", released=released)
        self.wake()

    async def probe(self) -> None:
        """While the server is unreachable and nothing is due: one connection attempt every probe interval."""
        self._last_probe = time.monotonic()
        smtp = self._client()
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError):
            return
        await self._quit(smtp)
        async with self.sessions() as session, session.begin():
            await self._server_answers(session)

    def _probe_due(self) -> bool:
        return self._unreachable and time.monotonic() - self._last_probe >= self.settings.outage_probe_seconds

    async def _quit(self, smtp: aiosmtplib.SMTP) -> None:
        try:
            await smtp.quit()
        except (aiosmtplib.SMTPException, OSError):
            smtp.close()

    async def _refused(self, session: AsyncSession, row, err: aiosmtplib.SMTPException) -> None:
        """The server answered no: 5xx is final (dead letter), 4xx is retried until max_attempts."""
        code = getattr(err, "code", None) or getattr((getattr(err, "recipients", None) or [None])[0], "code", 451)
        s = self.settings
        if 500 <= code < 600 or row["attempts"] + 1 >= s.max_attempts:
            await self._dead(session, row, f"{code} {err}")
            return
        self.counters.failed.labels("deferred").inc()
        await repository.mark_failed(session, row["id"], error=f"{code} {err}", retry_in=domain.backoff(
            row["attempts"] + 1, s.retry_base_seconds, s.retry_max_seconds))
        log.warning("mail_deferred", delivery_id=row["id"], code=code)

    async def _delay_all(self, session: AsyncSession, rows, err: Exception) -> None:
        s = self.settings
        await repository.delay_for_outage(session, [r["id"] for r in rows],
                                          error=f"{CONNECTION_ERROR}{str(err) or type(err).__name__}",
                                          base=s.retry_base_seconds,
                                          cap=min(s.retry_max_seconds, s.outage_retry_max_seconds))
        self.counters.failed.labels("unreachable").inc(len(rows))
        log.warning("mails_delayed_smtp_unreachable", count=len(rows), error=str(err) or type(err).__name__)

    async def _dead(self, session: AsyncSession, row, error: str) -> None:
        await repository.mark_failed(session, row["id"], error=error, retry_in=None)
        self.counters.failed.labels("dead").inc()
        # The dead letter: the coordinator sees it in GET /deliveries?status=dead, operators in the log.
        log.error("mail_dead_lettered", delivery_id=row["id"], recipient=row["recipient_code"],
                  template=row["template"], case_id=str(row["case_id"]), error=error)

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                handled = await self.deliver_due()
                if not handled and self._probe_due():
                    await self.probe()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("mailer_failed")
                handled = 0
                await asyncio.sleep(1.0)
            if handled:
                continue
            raise_if_cancelling()  # the stuck shutdown in CI: a delivery had swallowed the cancellation
            await wait_woken(self._wake, min(1.0, self.settings.retry_base_seconds / 2))
