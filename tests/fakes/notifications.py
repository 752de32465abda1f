"""An in-memory `services.notifications.unit_of_work.NotificationsUnitOfWork`: the same answers as the PostgreSQL
repository (services/notifications/repository/), in dicts."""

from __future__ import annotations

import json
from copy import deepcopy
from datetime import datetime
from typing import Any
from uuid import UUID

from services.notifications.domain import Recipient
from services.notifications.repository.cases import ERASED
from tests.fakes import FakeUnitOfWork


class FakeCases:
    def __init__(self, deliveries: FakeDeliveries) -> None:
        self.rows: dict[UUID, dict] = {}
        self._deliveries = deliveries

    async def lock_case(self, case_id: UUID) -> dict | None:
        # As the SQL does: the row is created on first sight, so every column is there (None until set).
        row = self.rows.setdefault(case_id, {"case_id": case_id})
        return deepcopy(row)

    async def save_case(self, case_id: UUID, **values: Any) -> None:
        if values:
            self.rows[case_id].update(deepcopy(values))

    async def redact_case_mails(self, case_id: UUID, secrets: list[str]) -> int:
        touched = 0
        for mail in self._deliveries.mails:
            if mail["case_id"] != case_id:
                continue
            text = json.dumps(mail["context"], ensure_ascii=False)
            redacted = text
            for secret in secrets:
                redacted = redacted.replace(json.dumps(secret, ensure_ascii=False)[1:-1], ERASED)
            if redacted != text:
                mail["context"] = json.loads(redacted)
                touched += 1
        return touched


class FakeDeliveries:
    def __init__(self) -> None:
        self.mails: list[dict] = []  # each recorded mail: event_id, case_id, recipient_code, email, template, context
        self.used: dict[tuple[str, datetime], int] = {}
        self.digests: dict[tuple[str, datetime], list[dict]] = {}  # (recipient, period start): items
        self.digests_sent: set[tuple[str, datetime]] = set()  # what a test says has gone out already

    async def add_delivery(self, *, event_id: UUID, case_id: UUID | None, recipient_code: str, email: str,
                           template: str, context: dict[str, Any]) -> bool:
        if any((m["event_id"], m["recipient_code"], m["template"]) == (event_id, recipient_code, template)
               for m in self.mails):
            return False
        self.mails.append({"event_id": event_id, "case_id": case_id, "recipient_code": recipient_code,
                           "email": email, "template": template, "context": deepcopy(context)})
        return True

    async def use_budget(self, recipient_code: str, period_start: datetime) -> int:
        key = (recipient_code, period_start)
        self.used[key] = self.used.get(key, 0) + 1
        return self.used[key]

    async def add_to_digest(self, *, recipient_code: str, email: str, period_start: datetime, due_at: datetime,
                            event_id: UUID, case_id: UUID | None, context: dict[str, Any]) -> bool:
        key = (recipient_code, period_start)
        if key in self.digests_sent:
            return False
        items = self.digests.setdefault(key, [])
        if all(i["event_id"] != event_id for i in items):
            items.append({"event_id": event_id, "case_id": case_id, "context": deepcopy(context)})
        return True

    async def notified_sites(self, case_id: UUID) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        told = [(m["recipient_code"], m["context"]) for m in self.mails
                if m["case_id"] == case_id and m["template"] == "match_proposed"]
        told += [(code, i["context"]) for (code, _), items in self.digests.items() for i in items
                 if i["case_id"] == case_id]
        for code, context in told:
            out.setdefault(code, set()).update(p["site_id"] for p in context.get("proposals", ()))
        return out

    def to(self, recipient_code: str, template: str | None = None) -> list[dict]:
        """The mails recorded for a recipient (of one template)."""
        return [m for m in self.mails if m["recipient_code"] == recipient_code
                and (template is None or m["template"] == template)]


class FakeReplies:
    def __init__(self) -> None:
        self.rows: dict[tuple[UUID, str, str], dict] = {}

    async def record_reply(self, *, case_id: UUID, recipient_code: str, site_id: str | None, response: str,
                           message: str, via: str) -> bool:
        key = (case_id, recipient_code, site_id or "")
        current = self.rows.get(key)
        if current and (current["response"], current["message"]) == (response, message):
            return False
        self.rows[key] = {"response": response, "message": message, "via": via}
        return True


class FakeNotificationsUnitOfWork(FakeUnitOfWork):
    """`directory` is whatever the test gives (by code); callbacks run after a commit, as SQLAlchemy's do."""

    def __init__(self, directory: dict[str, Recipient]) -> None:
        super().__init__()
        self.deliveries = FakeDeliveries()
        self.cases = FakeCases(self.deliveries)
        self.replies = FakeReplies()
        self._directory = directory
        self._after_commit: list = []

    async def directory(self) -> dict[str, Recipient]:
        return self._directory

    def after_commit(self, callback) -> None:
        if callback not in self._after_commit:
            self._after_commit.append(callback)

    async def commit(self) -> None:
        await super().commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback(None)
