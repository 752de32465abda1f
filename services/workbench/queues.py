"""The coordinator's queues, composed from the services' answers (pure: no I/O here): the look-alike names to
review (intake), a case's mails and the replies to them (notifications), and the cases without a proposition
anywhere with what blocked each region (matching)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

REVIEW_DECISIONS = ("same-company", "different-companies")


@dataclass(frozen=True)
class ReviewSide:
    lead_id: str
    organisation: str
    reference: str
    company_name: str
    kvk_number: str
    case_id: str | None
    code_name: str | None


@dataclass(frozen=True)
class ReviewPair:
    review_id: int
    similarity: float
    flagged_at: datetime
    lead: ReviewSide | None
    similar: ReviewSide | None


def review_queue(reviews: Iterable[Mapping[str, Any]]) -> list[ReviewPair]:
    """The open look-alike pairs, the most alike first (those most likely one company)."""
    pairs = [ReviewPair(review_id=r["id"], similarity=r["similarity"], flagged_at=_when(r["created_at"]),
                        lead=_side(r.get("lead")), similar=_side(r.get("similar_lead"))) for r in reviews]
    return sorted(pairs, key=lambda p: (-p.similarity, p.flagged_at))


def _side(lead: Mapping[str, Any] | None) -> ReviewSide | None:
    if not lead:
        return None
    return ReviewSide(lead_id=str(lead["lead_id"]), organisation=lead["organisation"], reference=lead["reference"],
                      company_name=lead["company_name"], kvk_number=lead["kvk_number"],
                      case_id=str(lead["case_id"]) if lead.get("case_id") else None, code_name=lead.get("code_name"))


@dataclass(frozen=True)
class MailRow:
    delivery_id: int
    recipient_code: str
    recipient_name: str
    template: str
    state: str  # sent, failed, retrying, waiting (labels.py "delivery-...")
    attempts: int
    at: datetime  # sent, or else created
    next_attempt_at: datetime | None
    last_error: str | None


def delivery_state(status: str, attempts: int) -> str:
    """Notifications' status in the coordinator's words: a mail tried before and not yet sent is being retried."""
    if status == "sent":
        return "sent"
    if status == "dead":
        return "failed"
    return "retrying" if attempts > 0 else "waiting"


def mail_log(deliveries: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> list[MailRow]:
    rows = []
    for d in deliveries:
        state = delivery_state(d["status"], d["attempts"])
        code = d["recipient_code"] or ""
        rows.append(MailRow(delivery_id=d["id"], recipient_code=code, recipient_name=names.get(code, code),
                            template=d["template"], state=state, attempts=d["attempts"],
                            at=_when(d["sent_at"] or d["created_at"]),
                            next_attempt_at=_when(d["next_attempt_at"]) if state == "retrying" else None,
                            last_error=d["last_error"] if state in ("retrying", "failed") else None))
    return sorted(rows, key=lambda r: r.at, reverse=True)


@dataclass(frozen=True)
class ReplyRow:
    recipient_code: str
    recipient_name: str
    site_id: str | None
    response: str
    message: str
    at: datetime


def replies(answers: Iterable[Mapping[str, Any]]) -> list[ReplyRow]:
    return [ReplyRow(recipient_code=a["recipient_code"], recipient_name=a["recipient_name"] or a["recipient_code"],
                     site_id=a["site_id"], response=a["response"], message=a["message"], at=_when(a["updated_at"]))
            for a in answers]


@dataclass(frozen=True)
class StuckCase:
    case_id: str
    code_name: str
    origin_region: str | None
    since: datetime
    blocking: dict[str, list[str]]
    details: dict[str, list[Mapping[str, Any]]]  # matching's blocking_facts: worded by the page
    near_misses: list[Mapping[str, Any]]


def stuck_cases(lines: Iterable[Mapping[str, Any]]) -> list[StuckCase]:
    """Matching's cases without a proposition, the longest waiting first; the company's own region first."""
    cases = []
    for line in lines:
        own = line.get("origin_region")
        order = sorted(line["blocking"], key=lambda region: (region != own, region))
        cases.append(StuckCase(case_id=str(line["case_id"]), code_name=line["code_name"], origin_region=own,
                               since=_when(line["proposed_at"]), blocking={r: line["blocking"][r] for r in order},
                               details=line.get("blocking_facts") or {}, near_misses=line.get("near_misses") or []))
    return sorted(cases, key=lambda c: c.since)


def _when(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
