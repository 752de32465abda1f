"""Event contracts: CloudEvents 1.0 envelopes around frozen, versioned pydantic v2 payloads."""

from shared.contracts.envelope import Envelope, EventTypeError, parse_event
from shared.contracts.events import (
    EVENT_TYPES,
    CaseOpened,
    CaseOpenedData,
    Company,
    LeadSignalled,
    LeadSignalledData,
    Location,
    MatchProposed,
    MatchProposedData,
    Proposal,
    RelocationRealised,
    RelocationRealisedData,
    SpaceDemand,
)

__all__ = [
    "EVENT_TYPES", "CaseOpened", "CaseOpenedData", "Company", "Envelope", "EventTypeError", "LeadSignalled",
    "LeadSignalledData", "Location", "MatchProposed", "MatchProposedData", "Proposal", "RelocationRealised",
    "RelocationRealisedData", "SpaceDemand", "parse_event",
]
