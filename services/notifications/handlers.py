"""What notifications does on each event."""

from __future__ import annotations

import structlog
from jinja2 import Environment
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import domain, repository
from services.notifications.mailer import Mailer
from shared.contracts import MatchProposed

log = structlog.get_logger()


async def notify_municipalities_of_proposal(session: AsyncSession, evt: MatchProposed, *, mailer: Mailer,
                                            directory: dict[str, domain.Recipient], env: Environment) -> None:
    """Record one NDA-safe mail per municipality with a proposed site; the mailer sends them after commit."""
    mails = domain.mails_for_proposal(evt.data, directory, env)
    for mail in mails:
        await repository.add_delivery(
            session, event_id=evt.id, case_id=evt.data.case_id, recipient=mail.recipient.email,
            template=mail.template, subject=mail.subject, body_text=mail.text, body_html=mail.html,
            message_id=domain.message_id(evt.id, mail.recipient.email, mail.template))
    if not event.contains(session.sync_session, "after_commit", mailer.wake):
        event.listen(session.sync_session, "after_commit", mailer.wake, once=True)
    log.info("municipalities_notified", case_id=str(evt.data.case_id), mails=len(mails))
