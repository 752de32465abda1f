"""Builds notifications from settings: the composition root."""

from __future__ import annotations

from functools import partial

from services.notifications import domain, handlers
from services.notifications.config import NotificationsSettings
from services.notifications.mailer import Mailer
from services.notifications.orm import metadata
from shared.contracts import MatchProposed
from shared.messaging import subscribe
from shared.runtime import Runtime


def bootstrap(settings: NotificationsSettings) -> Runtime:
    runtime = Runtime.build("notifications", settings, metadata, topics=[MatchProposed.topic])
    mailer = Mailer(settings, runtime.sessions)
    runtime.workers.append(mailer.run)
    subscribe(runtime.broker, settings, event=MatchProposed, group="notifications",
              handle=partial(handlers.notify_municipalities_of_proposal, runtime=runtime, mailer=mailer,
                             directory=domain.load_directory(settings.recipients_file),
                             env=domain.templates(settings.templates_dir)))
    return runtime
