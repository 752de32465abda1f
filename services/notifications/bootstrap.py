"""Builds notifications from settings: the composition root."""

from __future__ import annotations

from functools import partial

import structlog

from services.notifications import domain, handlers, repository
from services.notifications.config import NotificationsSettings
from services.notifications.identity_keys import IdentityKeys
from services.notifications.mailer import MailCounters, Mailer
from services.notifications.orm import metadata
from shared.contracts import (
    CaseOpened,
    ConsentGranted,
    IdentityErased,
    LeadUpdated,
    MatchProposed,
    RecipientReplied,
    RelocationRealised,
)
from shared.db import transaction
from shared.runtime import Runtime
from shared.unit_of_work import as_effect

log = structlog.get_logger()
CONSUMED = ((MatchProposed, "notifications", handlers.notify_about_proposal),
            (RelocationRealised, "notifications-relocations", handlers.notify_about_relocation),
            (CaseOpened, "notifications-cases", handlers.keep_case_and_signal_housing),
            (LeadUpdated, "notifications-lead-updates", handlers.follow_lead_update),
            (ConsentGranted, "notifications-consents", handlers.release_identity),
            (IdentityErased, "notifications-erasures", handlers.forget_identity))


def bootstrap(settings: NotificationsSettings) -> handlers.Deps:
    """Notifications' one dependencies object: runtime, settings, the mailer's senders and the directory cache."""
    topics = [event.topic for event, _, _ in CONSUMED] + [RecipientReplied.topic]
    runtime = Runtime.build("notifications", settings, metadata, topics=topics)
    deps = handlers.Deps(settings=settings, runtime=runtime,
                         mailer=Mailer(settings, runtime.sessions, domain.templates(settings.templates_dir),
                                       MailCounters(runtime.metrics.registry)),
                         directory=repository.DirectoryCache(ttl=settings.directory_cache_seconds),
                         identity_keys=IdentityKeys(settings))
    # Each sender claims its own batch (SKIP LOCKED): SMTP is round-trip bound, so connections side by side help.
    runtime.workers.extend([deps.mailer.run] * settings.send_connections)
    runtime.startup_hooks.append(partial(load_directory_file, settings=settings))
    for event, group, effect in CONSUMED:
        runtime.consume(event, group=group, effect=as_effect(effect, deps.unit_of_work, deps=deps))
    return deps


async def load_directory_file(runtime: Runtime, *, settings: NotificationsSettings) -> None:
    """Load the directory file at every start; safe to repeat, and it never undoes an edit made via the API."""
    entries = list(domain.load_directory(settings.recipients_file).values())
    async with transaction(runtime.sessions) as session:
        changed = await repository.load_file_entries(session, entries)
    log.info("directory_loaded", file=str(settings.recipients_file), entries=len(entries), written=changed)
