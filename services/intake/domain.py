"""Pure intake logic: identities, code names and triage. No I/O."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import date

from shared.contracts.events import LeadSignalledData

LEAD_NAMESPACE = uuid.UUID("5d0c1b8e-6a43-4d0e-9a57-6b2a1f3e2c10")
_ADJECTIVES = ("amber", "brisk", "cobalt", "dune", "ember", "fjord", "granite", "heath", "iris", "juniper",
               "kestrel", "linden", "meadow", "north", "opal", "polder", "quartz", "reed", "slate", "tulip")
_NOUNS = ("anchor", "beacon", "canal", "delta", "estuary", "ferry", "gable", "harbour", "island", "jetty",
          "keel", "lock", "mill", "orchard", "pier", "quay", "river", "sluice", "tide", "windmill")


def lead_id(organisation: str, reference: str) -> uuid.UUID:
    """The same organisation and reference always name the same lead."""
    return uuid.uuid5(LEAD_NAMESPACE, f"{organisation}/{reference}")


def case_id(lead: uuid.UUID) -> uuid.UUID:
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


def triage(lead: LeadSignalledData, *, today: date, horizon_years: int = 3) -> Triage:
    """Eligible when growth is blocked now or within the horizon (the contract already requires an NTS domain)."""
    horizon = today.replace(year=today.year + horizon_years)
    if lead.demand.earliest_need > horizon:
        return Triage(False, f"space first needed by {lead.demand.earliest_need}, "
                             f"beyond the {horizon_years}-year horizon")
    return Triage(True, "NTS domain and growth blocked within the horizon")
