"""The taskforce's own case work, pure: owners, notes of contacts, follow-up reminders, the timeline export.

Forms are checked here (errors are English message ids the page translates, keyed by the input they belong
beside); the routes are in `casework_pages.py`, the SQL in `casework_repository.py`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from services.workbench.labels import N_

LOCAL_TIME = ZoneInfo("Europe/Amsterdam")  # "today" is the taskforce's day, for the board and the daily mail


def today() -> date:
    return datetime.now(LOCAL_TIME).date()


CONTACTS = ("company", "municipality", "province", "other")
NOTE_MAX = 4000
REMINDER_MAX = 300


def parse_day(value: str) -> date | None:
    """A date as people type it: 2027-03-01, or the Dutch 1-3-2027 / 01-03-2027 (the browser's date input
    sends the first)."""
    value = value.strip()
    for parse in (date.fromisoformat, _dutch_day):
        try:
            return parse(value)
        except ValueError:
            continue
    return None


def _dutch_day(value: str) -> date:
    day, month, year = value.replace("/", "-").split("-")
    if len(year) != 4:
        raise ValueError(value)
    return date(int(year), int(month), int(day))


@dataclass
class NoteForm:
    contact: str = ""
    contact_on: str = ""
    text: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> NoteForm:
        return cls(contact=form.get("contact", "").strip(), contact_on=form.get("contact_on", "").strip(),
                   text=form.get("text", "").strip())

    def check(self, today: date) -> tuple[str, date, str] | None:
        """(contact, day, text) when the note can be kept; otherwise None, with the errors beside their inputs."""
        self.errors = {}
        if self.contact not in CONTACTS:
            self.errors["contact"] = N_("Choose who the contact was with.")
        day = parse_day(self.contact_on)
        if day is None:
            self.errors["contact_on"] = N_("Give the date of the contact, e.g. 2026-11-30.")
        elif day > today:
            self.errors["contact_on"] = N_("A contact cannot be in the future.")
        if not self.text:
            self.errors["text"] = N_("Write what was discussed.")
        elif len(self.text) > NOTE_MAX:
            self.errors["text"] = N_("A note has at most 4000 characters.")
        return None if self.errors else (self.contact, day, self.text)  # type: ignore[return-value]


@dataclass
class ReminderForm:
    due_on: str = ""
    text: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> ReminderForm:
        return cls(due_on=form.get("due_on", "").strip(), text=form.get("text", "").strip())

    def check(self, today: date) -> tuple[date, str] | None:
        self.errors = {}
        day = parse_day(self.due_on)
        if day is None:
            self.errors["due_on"] = N_("Give the date of the follow-up, e.g. 2027-01-15.")
        elif day < today:
            self.errors["due_on"] = N_("A follow-up is today or later.")
        if not self.text:
            self.errors["text"] = N_("Say what to follow up.")
        elif len(self.text) > REMINDER_MAX:
            self.errors["text"] = N_("A follow-up has at most 300 characters.")
        return None if self.errors else (day, self.text)  # type: ignore[return-value]


def owner_error(owner: str, coordinators: Iterable[str]) -> str | None:
    """Why this person cannot own a case (only the taskforce's coordinators own cases), or None."""
    if not owner:
        return N_("Choose the coordinator who owns the case.")
    if owner not in set(coordinators):
        return N_("Only a coordinator of the taskforce can own a case.")
    return None


@dataclass(frozen=True)
class Reminder:
    id: UUID
    case_id: UUID
    due_on: date
    text: str
    created_by: str
    done_at: datetime | None = None

    def state(self, today: date) -> str:
        """'done', 'overdue' (past its date), 'due' (today) or 'later'."""
        if self.done_at is not None:
            return "done"
        if self.due_on < today:
            return "overdue"
        return "due" if self.due_on == today else "later"


def earliest_open(reminders: Iterable[Reminder]) -> dict[UUID, Reminder]:
    """Per case, the open reminder that comes first: the board shows it."""
    first: dict[UUID, Reminder] = {}
    for r in reminders:
        if r.done_at is None and (r.case_id not in first or r.due_on < first[r.case_id].due_on):
            first[r.case_id] = r
    return first


@dataclass(frozen=True)
class Note:
    id: UUID
    case_id: UUID
    author: str
    contact: str
    contact_on: date
    text: str
    created_at: datetime
    edited_at: datetime | None = None

    def editable_by(self, username: str) -> bool:
        """Only its author changes a note: it is their account of a conversation."""
        return self.author == username


# The export's columns: Dutch first, as the taskforce files them; English when the page is read in English.
EXPORT_COLUMNS = (N_("Date and time"), N_("Kind"), N_("What"), N_("Detail"), N_("By"))


def timeline_csv(entries: Iterable[Any], *, gettext: Callable[[str], str], kind_label: Callable[[str], str],
                 moment: Callable[[datetime], str]) -> str:
    """A case's timeline as CSV (';' as Dutch spreadsheets expect, a BOM so they read UTF-8)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([gettext(c) for c in EXPORT_COLUMNS])
    for e in entries:
        detail = kind_label(f"template-{e.detail}") if e.kind.startswith("mail-") else e.detail  # the mail's kind
        writer.writerow([moment(e.at), kind_label(e.kind), _cell(e.text), _cell(detail), _cell(e.by)])
    return out.getvalue()


def _cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection: a note may start with '=')."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
