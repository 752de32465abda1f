"""Builds notifications from settings: the composition root."""

from __future__ import annotations

from functools import partial

from services.notifications import domain, handlers
from services.notifications.config import NotificationsSettings
from services.notifications.mailer import Mailer
from services.notifications.orm import metadata
from shared.contracts import MatchProposed
from shared.runtime import Runtime


def bootstrap(settings: NotificationsSettings) -> Runtime:
    runtime = Runtime.build("notifications", settings, metadata, topics=[MatchProposed.topic])
    mailer = Mailer(settings, runtime.sessions)
    runtime.workers.append(mailer.run)
    runtime.consume(MatchProposed, group="notifications",
                    effect=partial(handlers.notify_municipalities_of_proposal, mailer=mailer,
                                   directory=domain.load_directory(settings.recipients_file),
                                   env=domain.templates(settings.templates_dir)))
    return runtime
