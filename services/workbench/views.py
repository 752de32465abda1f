"""What the coordinator's pages show, composed from the other services' answers (pure: no I/O here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.workbench.casework import Note, Reminder
from shared.geo.map import MapView, MapWords, Marker, site_map


@dataclass(frozen=True)
class BoardFilters:
    q: str = ""
    region: str = ""
    stage: str = ""
    status: str = ""
    owner: str = ""  # a coordinator's username, or NO_OWNER for the cases nobody owns yet

    def keeps(self, row: BoardRow) -> bool:
        return ((not self.q or self.q.casefold() in row.code_name.casefold())
                and (not self.region or row.region == self.region)
                and (not self.stage or row.stage == self.stage)
                and (not self.status or row.status == self.status)
                and (not self.owner or row.owner == ("" if self.owner == NO_OWNER else self.owner)))


NO_OWNER = "-"


@dataclass(frozen=True)
class BoardRow:
    case_id: str
    code_name: str
    status: str
    region: str
    stage: str
    opened_at: datetime
    age_days: int
    origins: int
    proposals: int | None
    owner: str = ""
    follow_up: Reminder | None = None  # the open reminder that comes first


BOARD_PAGE = 100


@dataclass(frozen=True)
class BoardPage:
    """One page of the board's rows (all of them filtered and sorted), and where it lies."""

    rows: list[BoardRow]
    kept: int
    page: int
    pages: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * BOARD_PAGE

    def __iter__(self):  # the rows template iterates the page
        return iter(self.rows)


def board_page(rows: list[BoardRow], page: int) -> BoardPage:
    """The rows of one page (a page past the last: the last)."""
    pages = max(1, -(-len(rows) // BOARD_PAGE))
    page = min(max(page, 1), pages)
    return BoardPage(rows=rows[(page - 1) * BOARD_PAGE:page * BOARD_PAGE], kept=len(rows), page=page, pages=pages)


def last_page(kept: int) -> int:
    return max(1, -(-kept // BOARD_PAGE))


def board_query(filters: BoardFilters, page: int) -> dict[str, Any]:
    """Intake's board query for one page (intake filters its own fields; the owner filter is added by ids)."""
    return {"status": "open", "case_status": filters.status or None, "region": filters.region or None,
            "stage": filters.stage or None, "q": filters.q or None, "order": "oldest",
            "offset": (page - 1) * BOARD_PAGE, "limit": BOARD_PAGE}


def board(cases: Iterable[Mapping[str, Any]], matches: Iterable[Mapping[str, Any]], filters: BoardFilters,
          now: datetime | None = None, *, owners: Mapping[str, str] | None = None,
          follow_ups: Mapping[str, Reminder] | None = None) -> list[BoardRow]:
    """Open cases (intake) with their proposals (matching) and the taskforce's owner and first follow-up
    (the workbench's own), oldest first: the longest waiting come first."""
    now = now or datetime.now(UTC)
    proposals = {m["case_id"]: m["proposals"] for m in matches}
    owners, follow_ups = owners or {}, follow_ups or {}
    rows = []
    for case in cases:
        opened = datetime.fromisoformat(case["opened_at"])
        rows.append(BoardRow(case_id=case["case_id"], code_name=case["code_name"], status=case["case_status"],
                             region=case["region"], stage=case["stage"], opened_at=opened,
                             age_days=max(0, (now - opened).days), origins=case["origins"],
                             proposals=proposals.get(case["case_id"]), owner=owners.get(case["case_id"], ""),
                             follow_up=follow_ups.get(case["case_id"])))
    return sorted((r for r in rows if filters.keeps(r)), key=lambda r: r.opened_at)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    text: str
    detail: str = ""
    by: str = ""
    note: Note | None = None  # the taskforce's own note, when this entry is one


@dataclass
class CasePage:
    dossier: Mapping[str, Any]
    proposals: Mapping[str, Any] | None
    decisions: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)
    owner: Mapping[str, Any] | None = None
    reminders: list[Reminder] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return self.dossier["case_status"] == "closed" or (self.proposals or {}).get("status") == "closed"

    @property
    def demand(self) -> dict[str, Mapping[str, Any]]:
        return {part: values for part, values in (self.dossier["lead"].get("demand") or {}).items() if values}


def case_page(dossier: Mapping[str, Any], proposals: Mapping[str, Any] | None,
              deliveries: Iterable[Mapping[str, Any]], notes: Iterable[Note] = (), *,
              owner: Mapping[str, Any] | None = None, reminders: Iterable[Reminder] = ()) -> CasePage:
    decisions = {d["site_id"]: d for d in (proposals or {}).get("decisions", [])}
    return CasePage(dossier, proposals, decisions, timeline(dossier, proposals, deliveries, notes), owner=owner,
                    reminders=sorted(reminders, key=lambda r: (r.done_at is not None, r.due_on)))


def timeline(dossier: Mapping[str, Any], proposals: Mapping[str, Any] | None,
             deliveries: Iterable[Mapping[str, Any]], notes: Iterable[Note] = ()) -> list[TimelineEntry]:
    """The case's events from every service that knows of them, and the taskforce's own notes, oldest first."""
    entries = [TimelineEntry(_when(dossier["opened_at"]), "case-opened", dossier["code_name"])]
    for origin in dossier["origins"]:
        entries.append(TimelineEntry(_when(origin["joined_at"]), "signalled", origin["organisation"],
                                     origin["reference"]))
    for decision in (proposals or {}).get("decisions", []):
        entries.append(TimelineEntry(_when(decision["decided_at"]), f"proposal-{decision['decision']}",
                                     decision["site_id"], decision["reason"],
                                     by=decision.get("decided_by") or ""))
    for mail in deliveries:
        entries.append(TimelineEntry(_when(mail["sent_at"] or mail["created_at"]), f"mail-{mail['status']}",
                                     mail["recipient_code"], mail["template"]))
    for note in notes:
        entries.append(TimelineEntry(note.created_at, f"note-{note.contact}", note.text,
                                     note.contact_on.isoformat(), by=note.author, note=note))
    return sorted(entries, key=lambda e: e.at)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def case_map(page: CasePage, *, english: bool, title: str, description: str) -> MapView:
    """The proposed sites (numbered by rank) and the company's current location, on the real boundaries."""
    words = MapWords.english() if english else MapWords()
    location = page.dossier["lead"]["location"]
    markers = [Marker(label=words.current, kind="current", municipality_code=location["municipality_code"])]
    markers += [Marker(label=p["site_name"], number=p["rank"], municipality_code=p["municipality_code"])
                for p in (page.proposals or {}).get("proposals", [])]
    return site_map(markers, title=title, description=description, words=words)
