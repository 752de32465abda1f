"""The daily job: mail each case owner the follow-ups that are due (today or overdue), once per reminder per day.

Run it once a day (cron, a Kubernetes CronJob): `python -m services.workbench send-reminders`. Running it twice,
or two at once, sends nothing more: a reminder's mail of the day is claimed (`follow_up_mail`, keyed by reminder
and day) in the same transaction that sends it, and the claim commits only after the SMTP server's 250. A
refused or failed send rolls the claim back, so the next run tries again. Between the 250 and the commit (a crash
there) the next run sends it once more, with the same Message-ID, so a mail client can show it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.workbench import casework_repository as store
from services.workbench.accounts import Account
from services.workbench.casework import Reminder
from services.workbench.config import WorkbenchSettings
from services.workbench.i18n import translations
from shared.db import transaction

log = logging.getLogger("workbench.reminders")


@dataclass(frozen=True)
class RunResult:
    sent: int = 0
    already: int = 0  # mailed earlier today (a second run)
    no_address: int = 0  # the owner's account has no e-mail address
    refused: int = 0  # the SMTP server refused it: the next run tries again


def recipient_of(reminder: Reminder, owner: str | None) -> str:
    """The case's owner; a case nobody owns yet reminds the coordinator who set the reminder."""
    return owner or reminder.created_by


def message(reminder: Reminder, account: Account, today: date, settings: WorkbenchSettings) -> EmailMessage:
    """Dutch first, English below; no company name (mail leaves the system): the case is a link."""
    link = f"{settings.public_url.rstrip('/')}/cases/{reminder.case_id}"
    parts = []
    for lang in ("nl", "en"):
        _ = translations(lang).gettext
        state = _("overdue since {day}") if reminder.due_on < today else _("due today ({day})")
        parts.append("\n".join([_("Follow-up {state}:").format(state=state.format(day=reminder.due_on.isoformat())),
                                "", reminder.text, "", _("Open the case: {link}").format(link=link)]))
    msg = EmailMessage()
    _ = translations("nl").gettext
    msg["Subject"] = _("Follow-up due: {day}").format(day=reminder.due_on.isoformat())
    msg["From"] = settings.mail_from
    msg["To"] = formataddr((account.name, account.email))
    # The same id for the same reminder and day: a copy sent again after a crash is recognisably the same mail.
    msg["Message-ID"] = f"<follow-up-{reminder.id}-{today.isoformat()}@groeiruimte.workbench>"
    msg.set_content("\n\n-----\n\n".join(parts))
    return msg


async def send_due_reminders(db: async_sessionmaker[AsyncSession], settings: WorkbenchSettings,
                             accounts: dict[str, Account], today: date) -> RunResult:
    async with db() as session:
        due = await store.due_reminders(session, today)
    if not due:
        return RunResult()
    sent = already = no_address = refused = 0
    async with _smtp(settings) as smtp:
        for reminder, owner in due:
            recipient = recipient_of(reminder, owner)
            account = accounts.get(recipient)
            if account is None or not account.email:
                no_address += 1
                log.warning("follow-up %s: account %s has no e-mail address", reminder.id, recipient)
                continue
            try:
                async with transaction(db) as session:
                    if not await store.claim_mail(session, reminder_id=reminder.id, today=today,
                                                  recipient=recipient):
                        already += 1
                        continue
                    await smtp.send_message(message(reminder, account, today, settings))  # raises: no claim
            except aiosmtplib.SMTPResponseException as err:  # this mail refused; the connection stands
                refused += 1
                log.warning("follow-up %s: the SMTP server answered %s; the next run tries again", reminder.id,
                            err.code)
                continue
            sent += 1
    log.info("follow-up mails: %d sent, %d already sent today, %d without an address, %d refused", sent, already,
             no_address, refused)
    return RunResult(sent=sent, already=already, no_address=no_address, refused=refused)


def _smtp(settings: WorkbenchSettings) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(hostname=settings.smtp_host, port=settings.smtp_port, start_tls=settings.smtp_starttls,
                           username=settings.smtp_username,
                           password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                           timeout=settings.smtp_timeout_seconds)
