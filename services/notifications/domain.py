"""Pure notification logic: who hears about a proposal, and what the email says. No I/O."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from shared.contracts import MatchProposedData

SUBJECTS = {"nl": "Locatievoorstel voor case {code}", "en": "Site proposal for case {code}"}


@dataclass(frozen=True)
class Recipient:
    code: str
    name: str
    email: str
    language: str = "nl"


@dataclass(frozen=True)
class Mail:
    recipient: Recipient
    template: str
    subject: str
    text: str
    html: str


def load_directory(path: Path) -> dict[str, Recipient]:
    return {r["code"]: Recipient(**r) for r in json.loads(path.read_text())["recipients"]}


def templates(directory: Path) -> Environment:
    return Environment(loader=FileSystemLoader(directory), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False))


def mails_for_proposal(data: MatchProposedData, directory: dict[str, Recipient], env: Environment) -> list[Mail]:
    """One mail per municipality with a proposed site, in its language; never the company's identity."""
    by_municipality: dict[str, list] = {}
    for p in data.proposals:
        by_municipality.setdefault(p.municipality_code, []).append(p)
    mails = []
    for code, props in sorted(by_municipality.items()):
        recipient = directory.get(code)
        if recipient is None:
            continue
        ctx = {"recipient": recipient, "code_name": data.code_name, "proposals": props,
               "domains": ", ".join(d.value for d in data.technology_domains)}
        lang = recipient.language if recipient.language in SUBJECTS else "nl"
        mails.append(Mail(recipient=recipient, template="match_proposed",
                          subject=SUBJECTS[lang].format(code=data.code_name),
                          text=env.get_template(f"match_proposed.{lang}.txt.j2").render(ctx),
                          html=env.get_template(f"match_proposed.{lang}.html.j2").render(ctx)))
    return mails


def message_id(event_id, recipient: str, template: str) -> str:
    """Deterministic Message-ID: a resend after a crash is recognisable as the same mail."""
    digest = hashlib.sha256(f"{event_id}/{recipient}/{template}".encode()).hexdigest()[:32]
    return f"<{digest}@groeiruimte.example>"


def backoff(attempts: int, base: float, cap: float) -> float:
    return min(cap, base * 2 ** max(0, attempts - 1))
