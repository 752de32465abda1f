"""Pure matching logic, no I/O: the catalogue as numpy columns, hard constraints, explained weighted scores."""

from __future__ import annotations

from services.matching.domain.batch import cases_per_pass, match_many
from services.matching.domain.catalogue import Catalogue
from services.matching.domain.criteria import CRITERIA, Case, Weights
from services.matching.domain.matching import Cutoffs, MatchResult, match, rank
from services.matching.domain.rematch import could_change
from services.matching.domain.sites import Site, action_of, changed_fields, field_changes, site_key
from shared.contracts.events import CaseOpenedData, Proposal

__all__ = ["CRITERIA", "Case", "Catalogue", "Cutoffs", "MatchResult", "Site", "Weights", "action_of", "case_of",
           "cases_per_pass", "changed_fields", "could_change", "field_changes", "match", "match_many", "propose",
           "rank", "site_key"]


def case_of(data: CaseOpenedData) -> Case:
    """The part of a case-opened payload that matching scores."""
    return Case(demand=data.demand, domains=tuple(data.technology_domains), origin_region=data.origin.region)


def propose(case: CaseOpenedData, sites: list[Site], weights: Weights, top_n: int) -> tuple[list[Proposal], dict]:
    """Convenience for small lists: ranked proposals and, per region without an option, what blocked it."""
    result = match(case_of(case), Catalogue.of(sites), weights, top_n=top_n)
    return result.proposals, result.blocking
