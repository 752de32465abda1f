"""Pure notification logic: the directory, the rules, NDA-safe content and reply links. No I/O."""

from __future__ import annotations

from services.notifications.domain.content import (
    Mail,
    backoff,
    budget_period,
    case_view,
    language_of,
    message_id,
    render,
    templates,
)
from services.notifications.domain.directory import Recipient, load_directory, province_code
from services.notifications.domain.rules import Notice, for_proposal

__all__ = ["Mail", "Notice", "Recipient", "backoff", "budget_period", "case_view", "for_proposal", "language_of",
           "load_directory", "mails_for_proposal", "message_id", "province_code", "render", "templates"]


def mails_for_proposal(data, directory, env, *, threshold: float = 0.0) -> list[Mail]:
    """The municipalities' proposal mails for an event, rendered without a case profile (code name only)."""
    outcome = for_proposal(data, directory, threshold=threshold, provinces=False)
    return [render(env, n.template, directory[n.recipient],
                   n.context | {"code_name": data.code_name, "reply_url": None,
                                "case": case_view(None, directory[n.recipient], "nl")})
            for n in outcome.notices]
