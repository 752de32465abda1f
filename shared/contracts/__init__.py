"""Event contracts: CloudEvents 1.0 envelopes around frozen, versioned pydantic v2 payloads."""

from shared.contracts.envelope import Envelope, parse_event
from shared.contracts.events import (
    EVENT_TYPES,
    CaseClosed,
    CaseClosedData,
    CaseOpened,
    CaseOpenedData,
    CaseOutcome,
    Company,
    ConsentGranted,
    ConsentGrantedData,
    LeadRegistered,
    LeadRegisteredData,
    LeadSignalled,
    LeadSignalledData,
    LeadUpdated,
    LeadUpdatedData,
    Location,
    MatchProposed,
    MatchProposedData,
    NearMiss,
    Proposal,
    ProposalDecided,
    ProposalDecidedData,
    RecipientReplied,
    RecipientRepliedData,
    RelocationRealised,
    RelocationRealisedData,
    SiteChanged,
    SiteChangedData,
    SpaceDemand,
)

__all__ = [
    "CaseClosed", "CaseClosedData", "CaseOutcome", "ConsentGranted", "ConsentGrantedData", "LeadRegistered",
    "LeadRegisteredData", "LeadUpdated", "LeadUpdatedData", "ProposalDecided", "ProposalDecidedData",
    "RecipientReplied", "RecipientRepliedData", "SiteChanged", "SiteChangedData",
    "EVENT_TYPES", "CaseOpened", "CaseOpenedData", "Company", "Envelope", "LeadSignalled",
    "LeadSignalledData", "Location", "MatchProposed", "MatchProposedData",
    "NearMiss", "Proposal", "RelocationRealised",
    "RelocationRealisedData", "SpaceDemand", "parse_event",
]
