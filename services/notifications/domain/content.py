"""What a mail says: the NDA-safe view of a case, rendered from Jinja2 template files."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notifications.domain import blocking
from services.notifications.domain.directory import Recipient
from services.notifications.domain.ranges import FTE_EDGES, as_range, demand_lines

LANGUAGES = ("nl", "en")
# Only these recipients may learn a company's identity, and only after the company consented.
IDENTITY_KINDS = frozenset({"municipality", "province"})

DOMAIN_LABELS = {
    "en": {"optical-systems-integrated-photonics": "optical systems and integrated photonics",
           "quantum-technologies": "quantum technologies", "process-technology": "process technology",
           "biomolecular-cell-technologies": "biomolecular and cell technologies",
           "imaging-technologies": "imaging technologies",
           "mechatronics-optomechatronics": "mechatronics and optomechatronics",
           "artificial-intelligence-data-science": "artificial intelligence and data science",
           "energy-materials": "energy materials", "semiconductor-technologies": "semiconductor technologies",
           "cybersecurity-technologies": "cybersecurity technologies",
           "strategic-pharmaceuticals": "pharmaceuticals (strategic autonomy)",
           "strategic-defence": "defence industry (strategic autonomy)"},
    "nl": {"optical-systems-integrated-photonics": "optische systemen en geïntegreerde fotonica",
           "quantum-technologies": "quantumtechnologie", "process-technology": "procestechnologie",
           "biomolecular-cell-technologies": "biomoleculaire en celtechnologie",
           "imaging-technologies": "beeldvormende technologie",
           "mechatronics-optomechatronics": "mechatronica en opto-mechatronica",
           "artificial-intelligence-data-science": "artificiële intelligentie en datawetenschap",
           "energy-materials": "energiematerialen", "semiconductor-technologies": "halfgeleidertechnologie",
           "cybersecurity-technologies": "cybersecuritytechnologie",
           "strategic-pharmaceuticals": "geneesmiddelen (strategische autonomie)",
           "strategic-defence": "defensie-industrie (strategische autonomie)"},
}


@dataclass(frozen=True)
class Mail:
    recipient: Recipient
    template: str
    subject: str
    text: str
    html: str


def templates(directory: Path) -> Environment:
    """Templates live in files; HTML is autoescaped, so event text can never become markup."""
    env = Environment(loader=FileSystemLoader(directory), undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, autoescape=select_autoescape(enabled_extensions=("html.j2",),
                                                                       default=False))
    env.filters["fte"] = lambda value, lang: as_range(value, FTE_EDGES, "FTE", lang)
    env.globals["blocking_per_region"] = blocking.per_region
    return env


def language_of(recipient: Recipient) -> str:
    return recipient.language if recipient.language in LANGUAGES else "nl"


def case_view(profile: dict[str, Any] | None, recipient: Recipient, lang: str) -> dict[str, Any]:
    """What this recipient may know of a case: code name, domains, ranges, quarters; identity only by consent."""
    if not profile:
        return {"known": False, "code_name": None, "domains": "", "demand": [], "identity": None}
    identity = None
    if recipient.kind in IDENTITY_KINDS and profile.get("consent_at") and profile.get("company_name"):
        identity = {"name": profile["company_name"], "kvk_number": profile["kvk_number"]}
    labels = DOMAIN_LABELS[lang]
    return {"known": bool(profile.get("demand")), "code_name": profile.get("code_name"),
            "domains": ", ".join(labels.get(d, d) for d in profile.get("technology_domains") or ()),
            "demand": demand_lines(profile.get("demand") or {}, lang), "identity": identity}


def render(env: Environment, template: str, recipient: Recipient, context: dict[str, Any]) -> Mail:
    """Subject and both parts in the recipient's language; the subject is forced onto one line."""
    lang = language_of(recipient)
    ctx = {**context, "recipient": recipient, "lang": lang}
    text_t = env.get_template(f"{template}.{lang}.txt.j2")
    subject = "".join(text_t.blocks["subject"](text_t.new_context(ctx)))
    return Mail(recipient=recipient, template=template, subject=" ".join(subject.split())[:250],
                text=text_t.render(ctx),
                html=env.get_template(f"{template}.{lang}.html.j2").render(ctx))


def message_id(event_id, recipient: str, template: str) -> str:
    """Deterministic Message-ID: a resend after a crash is recognisable as the same mail."""
    digest = hashlib.sha256(f"{event_id}/{recipient}/{template}".encode()).hexdigest()[:32]
    return f"<{digest}@groeiruimte.example>"


def backoff(attempts: int, base: float, cap: float) -> float:
    return min(cap, base * 2 ** max(0, attempts - 1))


def budget_period(at: datetime, seconds: int) -> tuple[datetime, datetime]:
    """The epoch-aligned (UTC) budget period holding `at`: its start, and its end when the digest goes out."""
    start = int(at.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(start + seconds, UTC)
