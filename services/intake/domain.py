"""Pure intake logic: identities, code names, triage, name matching and change detection. No I/O."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from typing import Any

from shared.contracts.events import LeadSignalledData, TechnologyDomain

LEAD_NAMESPACE = uuid.UUID("5d0c1b8e-6a43-4d0e-9a57-6b2a1f3e2c10")
_ADJECTIVES = ("amber", "brisk", "cobalt", "dune", "ember", "fjord", "granite", "heath", "iris", "juniper",
               "kestrel", "linden", "meadow", "north", "opal", "polder", "quartz", "reed", "slate", "tulip")
_NOUNS = ("anchor", "beacon", "canal", "delta", "estuary", "ferry", "gable", "harbour", "island", "jetty",
          "keel", "lock", "mill", "orchard", "pier", "quay", "river", "sluice", "tide", "windmill")

STRATEGIC_AUTONOMY = frozenset({TechnologyDomain.PHARMA, TechnologyDomain.DEFENCE, TechnologyDomain.STRATEGIC_AUTONOMY})
NTS_DOMAINS = frozenset(TechnologyDomain) - STRATEGIC_AUTONOMY
# Legal forms and filler words that say nothing about which company it is.
_LEGAL_FORMS = frozenset({"bv", "b v", "nv", "n v", "vof", "holding", "holdings", "groep", "group", "ltd", "gmbh",
                          "inc", "the", "de", "het", "cv", "ug", "sa", "ag", "llc"})
NAME_MATCH_THRESHOLD = 0.85


def lead_id(organisation: str, reference: str) -> uuid.UUID:
    """The same organisation and reference always name the same lead."""
    return uuid.uuid5(LEAD_NAMESPACE, f"{organisation}/{reference}")


def case_id(lead: uuid.UUID) -> uuid.UUID:
    """A case is named after the lead that opened it."""
    return uuid.uuid5(LEAD_NAMESPACE, f"case/{lead}")


def company_ref(kvk_number: str, key: bytes) -> str:
    """Keyed hash of the KvK number: joins cases across ROMs without revealing the company."""
    return hmac.new(key, kvk_number.encode(), hashlib.sha256).hexdigest()


def code_name(case: uuid.UUID) -> str:
    """A neutral name for all outside communication, stable for the case."""
    n = case.int
    return f"{_ADJECTIVES[n % 20].title()} {_NOUNS[(n >> 8) % 20].title()} {(n >> 16) & 0xFFFF:04X}"


@dataclass(frozen=True)
class Triage:
    eligible: bool
    reason: str
    in_scope: bool | None = None  # in the programme's scope whatever the horizon (None: not known here)
    # `reason` as facts (views.TriageFacts): `code` and what it depends on, for clients that word it themselves.
    facts: dict[str, Any] | None = None


def _horizon(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February in a year that has none
        return today.replace(year=today.year + years, day=28)


def triage(lead: LeadSignalledData, *, today: date, horizon_years: int = 3) -> Triage:
    """Eligible: an NTS or strategic-autonomy domain, growth blocked within the horizon, and not out of scope."""
    need, sector = lead.demand.earliest_need, lead.sector or None
    if not set(lead.technology_domains) & (NTS_DOMAINS | STRATEGIC_AUTONOMY):
        return Triage(False, "out of scope: no NTS technology domain and not essential to strategic autonomy"
                             + _sector(lead), in_scope=False, facts={"code": "no-domain", "sector": sector})
    if lead.low_value_production:
        return Triage(False, "out of scope: low-value production", in_scope=False,
                      facts={"code": "low-value-production"})
    if lead.negative_externalities:
        return Triage(False, "out of scope: many negative external effects", in_scope=False,
                      facts={"code": "negative-externalities"})
    horizon = _horizon(today, horizon_years)
    if need > horizon:
        return Triage(False, f"space first needed by {need}, beyond the {horizon_years}-year horizon ({horizon})",
                      in_scope=True, facts={"code": "beyond-horizon", "earliest_need": need.isoformat(),
                                            "horizon_years": horizon_years, "horizon": horizon.isoformat()})
    strategic = set(lead.technology_domains) <= STRATEGIC_AUTONOMY
    kind = "strategic autonomy" + _sector(lead) if strategic else "NTS domain"
    when = "now" if need <= today else f"by {need}"
    return Triage(True, f"{kind}; growth blocked {when}, within {horizon_years} years", in_scope=True,
                  facts={"code": "strategic-autonomy" if strategic else "nts-domain",
                         "sector": sector if strategic else None,
                         "earliest_need": None if need <= today else need.isoformat(),
                         "horizon_years": horizon_years})


def _sector(lead: LeadSignalledData) -> str:
    # The contract bounds the sector (100 characters), so the reason fits its column (300).
    return f" (sector: {lead.sector})" if lead.sector else ""


def name_key(name: str) -> str:
    """A company name reduced to what identifies it: lower case, no accents, punctuation or legal form."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    plain = re.sub(r"\b([a-z])\.(?=[a-z]\.?)", r"\1", plain)  # b.v. -> bv, n.v. -> nv
    words = re.sub(r"[^a-z0-9]+", " ", plain).split()
    kept = [w for w in words if w not in _LEGAL_FORMS]
    return " ".join(kept or words)


def name_similarity(a: str, b: str) -> float:
    """How alike two name keys are (0..1); names with different numbers never match (Fab 1 is not Fab 2)."""
    if re.findall(r"\d+", a) != re.findall(r"\d+", b):
        return 0.0
    return SequenceMatcher(None, a, b).ratio()


def names_look_alike(a: str, b: str) -> bool:
    return name_similarity(a, b) >= NAME_MATCH_THRESHOLD


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Top-level lead fields whose value differs: name -> {"old": ..., "new": ...} (JSON values)."""
    return {k: {"old": old.get(k), "new": new.get(k)}
            for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)}


def patched_lead(stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A stored lead with a ROM's merge patch applied. A new municipality without a province drops the stored
    one: it was derived from the old municipality and is derived again from the new."""
    merged = merge_patch(stored, patch)
    moved = patch.get("location") if isinstance(patch.get("location"), dict) else {}
    if "municipality_code" in moved and "province" not in moved and isinstance(merged.get("location"), dict):
        merged["location"].pop("province", None)
    return merged


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge, null removes a field (back to its default), the rest replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


# Erasure on request (GDPR art. 17): what of a lead identifies the company or a person, and what replaces it.
ERASED = "(gewist op verzoek)"
ERASED_COMPANY = {"kvk_number": "00000000", "name": ERASED}
IDENTITY_FIELDS = ("company", "contact")


def erased_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A stored lead without its identity: the company's name and KvK number replaced, the contact person gone.
    What the figures need (stage, domains, demand, location, investment) stays."""
    kept = {k: v for k, v in payload.items() if k != "contact"}
    return kept | {"company": ERASED_COMPANY}


def erased_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """An audit entry's changes without the identity: a registered payload is erased, a changed identity field
    keeps only that it changed."""
    out = dict(changes)
    if isinstance(out.get("new"), dict) and "company" in out["new"]:
        out["new"] = erased_payload(out["new"])
    for name in IDENTITY_FIELDS:
        if name in out:
            out[name] = {"old": ERASED, "new": ERASED}
    return out
