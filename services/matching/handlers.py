"""What matching does on each event: match new cases, re-match on demand or supply changes, follow closures.

The case use cases take a unit of work (unit_of_work.py) and never commit: the consumer's batch transaction or
the HTTP route that opened it does.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import orjson
import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching import domain, repository
from services.matching.config import MatchingSettings
from services.matching.history import Author, history_entry, store_sites
from services.matching.supply import SEED_SOURCE, Supply, seed_reference
from services.matching.unit_of_work import MatchingUnitOfWork, SqlMatchingUnitOfWork
from shared.contracts import (
    CaseClosed,
    CaseOpened,
    CaseOpenedData,
    LeadUpdated,
    MatchProposed,
    MatchProposedData,
    NearMiss,
    Proposal,
    SiteChanged,
)
from shared.messaging import Rejected
from shared.runtime import Runtime

log = structlog.get_logger()
SOURCE = "/groeiruimte/matching"
DEMAND_FIELDS = ("stage", "technology_domains", "demand", "investment_eur", "investment_status")


@dataclass
class Deps:
    """What every matching handler needs, built once in bootstrap."""

    runtime: Runtime
    settings: MatchingSettings
    supply: Supply

    def unit_of_work(self, session: AsyncSession) -> SqlMatchingUnitOfWork:
        """The unit of work over a transaction someone else owns (a consumer's batch, an HTTP route's)."""
        return SqlMatchingUnitOfWork(session, self.runtime.outbox)

    @property
    def weights(self) -> domain.Weights:
        s = self.settings
        return domain.Weights(space=s.weight_space, capital=s.weight_capital, talent=s.weight_talent,
                              housing=s.weight_housing, energy=s.weight_energy, cluster=s.weight_cluster,
                              knowledge=s.weight_knowledge, own_region=s.weight_own_region)


def result_doc(result: domain.MatchResult) -> dict:
    """The JSON form stored and compared: a re-match that gives the same document emits nothing."""
    return {"proposals": [_json_of(p) for p in result.proposals],
            "near_misses": [_json_of(n) for n in result.near_misses],
            "blocking": result.blocking, "blocking_details": result.blocking_details,
            "blocking_facts": result.blocking_facts}


def _json_of(model: Proposal | NearMiss) -> dict:
    """`model.model_dump(mode="json")` of a proposal or near miss, its facts (the last field) written once per
    fact: they repeat from case to case (explain.py remembers them), and dumping each of their twenty-odd fields
    again (pydantic asks Python whether to leave it out) was the larger part of the document's cost."""
    facts = _FACTS[type(model)]
    out = model.model_dump(mode="json", exclude={facts})
    out[facts] = [_fact_json(f) for f in getattr(model, facts)]
    return out


_FACTS = {Proposal: "explanation_facts", NearMiss: "shortfalls"}
assert all(list(m.model_fields)[-1] == f for m, f in _FACTS.items()), "the facts go last, as pydantic writes them"
_FACT_JSON: dict[int, tuple] = {}  # id(fact) -> (fact, its JSON): holding the fact keeps its id its own


def _fact_json(fact) -> dict:
    """The fact's model_dump(mode="json"), shared by the documents it is in (they are read, never changed)."""
    entry = _FACT_JSON.get(id(fact))
    if entry is None or entry[0] is not fact:
        if len(_FACT_JSON) >= 8192:
            _FACT_JSON.clear()
        entry = _FACT_JSON[id(fact)] = (fact, fact.model_dump(mode="json"))
    return entry[1]


def _same(previous, doc: dict) -> bool:
    return all(_present(previous[key]) == _present(doc[key]) for key in (
        "proposals", "near_misses", "blocking", "blocking_details", "blocking_facts"))


def _present(value):
    """The document without absent facts (None, empty): matches stored before facts left them out wrote them
    as nulls, and are the same match all the same (no new revision, nobody told again)."""
    if isinstance(value, dict):
        return {k: _present(v) for k, v in value.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [_present(v) for v in value]
    return value


@dataclass(frozen=True)
class _NewMatch:
    """A case's new match: the row save_match() stores and the match-proposed it emits."""

    row: dict
    event: MatchProposed
    payload: bytes  # the event's JSON (its to_json())


def scored(case: CaseOpenedData, *, deps: Deps, trigger: str, previous=None) -> _NewMatch | None:
    """Score the case; None when the result is the same as the last match's (nothing to store or emit)."""
    started = time.perf_counter()
    result = domain.match(domain.case_of(case), deps.supply.catalogue, deps.weights, top_n=deps.settings.top_n,
                          near_n=deps.settings.near_misses)
    return _new_match(case, result, score_ms=(time.perf_counter() - started) * 1000, trigger=trigger,
                      previous=previous)


def _new_match(case: CaseOpenedData, result: domain.MatchResult, *, score_ms: float, trigger: str,
               previous) -> _NewMatch | None:
    """The row and event of a case's match; None when it is the same as the last match's."""
    score_ms = round(score_ms, 2)
    doc = result_doc(result) | {"cutoffs": dict(vars(result.cutoffs))}  # flat fields: asdict's deep copy costs
    if previous is not None and _same(previous, doc):
        return None
    revision = previous["revision"] + 1 if previous is not None else 1
    row = dict(case_id=case.case_id, code_name=case.code_name, case_payload=case.model_dump(mode="json"),
               result=doc, revision=revision)
    data = MatchProposedData(
        case_id=case.case_id, code_name=case.code_name, technology_domains=case.technology_domains,
        origin_region=case.origin.region, proposals=tuple(result.proposals), no_proposition=result.no_proposition,
        blocking=result.blocking, blocking_details=result.blocking_details, near_misses=tuple(result.near_misses),
        revision=revision, trigger=trigger)
    log.info("match_proposed", case_id=str(case.case_id), proposals=len(result.proposals), revision=revision,
             trigger=trigger, no_proposition=result.no_proposition, score_ms=score_ms)
    evt = MatchProposed(source=SOURCE, subject=str(case.case_id), data=data)
    return _NewMatch(row, evt, _event_json(evt, doc))


def _event_json(evt: MatchProposed, doc: dict) -> bytes:
    """The event's JSON, its proposals and near misses taken from the stored document, so each is serialised once
    for both (writing them again was most of the event's cost); the same bytes as `evt.to_json()`
    (tests/unit/test_matching_batch.py compares them)."""
    body = evt.model_dump(mode="json", exclude={"data": set(_FROM_DOC)})
    data = body["data"]
    body["data"] = {name: doc[name] if name in _FROM_DOC else data[name] for name in MatchProposedData.model_fields}
    return orjson.dumps(body)


_FROM_DOC = ("proposals", "near_misses")


async def match_case(uow: MatchingUnitOfWork, case: CaseOpenedData, *, deps: Deps, trigger: str,
                     previous=None) -> bool:
    """Score the case, store the match and emit match-proposed, unless nothing changed since the last one."""
    new = scored(case, deps=deps, trigger=trigger, previous=previous)
    if new is None:
        return False
    await uow.matches.save_match(**new.row)
    await uow.outbox.add_many([new.event], payloads=[new.payload])
    return True


async def propose_sites_for_case(uow: MatchingUnitOfWork, evt: CaseOpened, *, deps: Deps) -> None:
    """A new case: match it (a case-opened seen again under a new id re-matches, emitting only on change)."""
    await propose_sites_for_cases(uow, [evt], deps=deps)


async def propose_sites_for_cases(uow: MatchingUnitOfWork, events: list[CaseOpened], *, deps: Deps) -> None:
    """A batch of new cases, set-based: their matches read (locked) and their kept demand changes taken in two
    statements, all scored, then stored in one statement and emitted in one; whatever the batch's size."""
    await uow.refresh_supply(deps.supply)
    ids = [evt.data.case_id for evt in events]
    if len(set(ids)) < len(ids):  # the same case twice in a batch: the later one compares with the earlier's match
        for evt in events:
            await propose_sites_for_cases(uow, [evt], deps=deps)
        return
    found = await uow.matches.matches_and_pending(ids)
    todo = [(evt, case, found[evt.data.case_id][0]) for evt in events
            if (case := _case_to_match(evt.data, *found[evt.data.case_id])) is not None]
    new = []
    # Scored together, as many cases per pass over the catalogue as its size allows (domain.match_many). Scoring
    # holds the event loop; a whole batch of it without a pause starved the consumer's heartbeat on a busy
    # machine (the group rebalanced and the batch was redone), so other tasks run between passes.
    step = domain.cases_per_pass(deps.supply.catalogue)
    for at in range(0, len(todo), step):
        part = todo[at:at + step]
        started = time.perf_counter()
        results = domain.match_many([domain.case_of(case) for _, case, _ in part], deps.supply.catalogue,
                                    deps.weights, top_n=deps.settings.top_n, near_n=deps.settings.near_misses)
        score_ms = (time.perf_counter() - started) * 1000 / len(part)  # each case's share of the pass
        for (evt, case, previous), result in zip(part, results, strict=True):
            if m := _new_match(case, result, score_ms=score_ms, trigger="case-opened", previous=previous):
                new.append((evt, m))
        await asyncio.sleep(0)
    await uow.matches.save_matches([m.row for _, m in new])
    await uow.outbox.add_many([m.event for _, m in new], caused_by=[evt for evt, _ in new],
                              payloads=[m.payload for _, m in new])


def _case_to_match(case: CaseOpenedData, previous, pending) -> CaseOpenedData | None:
    """The case as it is to be matched (with a demand change kept for it), or None when it is closed."""
    if previous is not None and previous["status"] != "open":
        log.info("case_already_closed", case_id=str(case.case_id))
        return None
    if pending:
        case = CaseOpenedData.model_validate(case.model_dump(mode="json") | pending)
    return case


async def rematch_for_changed_demand(uow: MatchingUnitOfWork, evt: LeadUpdated, *, deps: Deps) -> None:
    """Intake changed a lead's demand, stage or domains: re-match its open case with the new demand."""
    data = evt.data
    if data.case_id is None:
        return
    changes = data.model_dump(mode="json", include=set(DEMAND_FIELDS))
    previous = await uow.matches.get_match(data.case_id, lock=True)
    if previous is None:
        # Its case-opened has not arrived yet (another topic): keep the change for when it does.
        await uow.matches.keep_pending_update(data.case_id, changes)
        log.info("lead_update_kept_for_unmatched_case", case_id=str(data.case_id))
        return
    if previous["status"] != "open":
        log.info("lead_update_for_closed_case", case_id=str(data.case_id))
        return
    await uow.refresh_supply(deps.supply)
    payload = previous["case_payload"] | changes
    await match_case(uow, CaseOpenedData.model_validate(payload), deps=deps, trigger="lead-updated",
                     previous=previous)


async def rematch_open_cases(uow: MatchingUnitOfWork, changed: list[domain.Site], *, deps: Deps) -> list[str]:
    """Re-match the open cases a supply change could affect; returns the cases that got a new match."""
    mini = domain.Catalogue.of(changed)
    rematched = []
    for row in await uow.matches.open_matches():
        case = CaseOpenedData.model_validate(row["case_payload"])
        shown = {p["site_id"] for p in row["proposals"]} | {n["site_id"] for n in row["near_misses"]}
        cutoffs = domain.Cutoffs(**row["cutoffs"]) if row["cutoffs"] else None
        if not domain.could_change(domain.case_of(case), mini, shown, cutoffs, weights=deps.weights,
                                   top_n=deps.settings.top_n, near_n=deps.settings.near_misses):
            continue
        if await match_case(uow, case, deps=deps, trigger="site-changed", previous=row):
            rematched.append(str(case.case_id))
    return rematched


async def apply_site_change(session: AsyncSession, before: domain.Site | None, after: domain.Site, *, deps: Deps,
                            by: Author) -> list[str]:
    """Store a changed site (with its history), patch the in-memory catalogue and re-match the open cases it
    could affect (a retired site leaves the catalogue, so it is proposed no more)."""
    if before != after:
        await store_sites(session, [(before, after)], by)
    deps.supply.patch(after, session)
    return await rematch_open_cases(deps.unit_of_work(session), [s for s in (before, after) if s is not None],
                                    deps=deps)


async def remove_site(session: AsyncSession, before: domain.Site, *, deps: Deps, by: Author) -> list[str]:
    """Delete a wrong entry: its history keeps it (an audit row with every field), memory and matches drop it."""
    await repository.delete_site(session, before.id)
    await repository.record_site_changes(session, [history_entry(before, None, by)])
    deps.supply.remove(before.id, session)
    return await rematch_open_cases(deps.unit_of_work(session), [before], deps=deps)


def merged_site(before: domain.Site | None, site_id: str, changed: dict) -> domain.Site:
    """The site after a change; raises ValueError naming the bad fields."""
    unknown = sorted(set(changed) - set(domain.Site.model_fields))
    if unknown:
        raise ValueError(f"unknown site fields: {', '.join(unknown)}")
    if "id" in changed and str(changed["id"]).strip().lower() != site_id:
        raise ValueError(f"id: {changed['id']!r} differs from the site addressed ({site_id!r})")
    base = before.as_row() if before else {"id": site_id}
    try:
        return domain.Site.model_validate(base | changed | {"id": site_id})
    except ValidationError as err:
        raise ValueError("; ".join(f"{'.'.join(map(str, e['loc'])) or 'site'}: {e['msg'].removeprefix('Value error, ')}"
                                   for e in err.errors())) from None


async def apply_site_changed_event(session: AsyncSession, evt: SiteChanged, *, deps: Deps) -> None:
    """Supply changed elsewhere (a province, a grid operator, our own API or import): apply and re-match."""
    await deps.supply.refresh(session)
    try:
        site_id = domain.site_key(evt.data.site_id)
    except ValueError as err:
        raise Rejected(f"data.site_id: {err}") from None
    before = (await repository.sites_by_id(session, [site_id], lock=True)).get(site_id)
    if evt.source == SOURCE:
        # Our own API stored and re-matched this change in the transaction that emitted it, and the refresh above
        # brought it into this instance's memory. Applying its `changed` again would undo anything newer: another
        # producer's change that arrived first (this one came through the outbox), or a later edit.
        log.info("site_change_seen", site_id=site_id, deleted=evt.data.deleted)
        return
    if evt.source.startswith(f"{SOURCE}/") or evt.source == SEED_SOURCE:
        # Our import or reference seed stored it (with its history) but left re-matching to us: re-match on what
        # is stored now, which may be newer than this event.
        rematched = await rematch_open_cases(deps.unit_of_work(session), [before], deps=deps) if before else []
        log.info("site_changed", site_id=site_id, rematched=len(rematched))
        return
    if evt.data.deleted and before is None:
        # Our own API deleted it (and re-matched); the refresh above dropped it from memory. Nothing to do, also
        # when the entry was created again since (the newer row stands). Deleting is the coordinator's alone:
        # another producer's deletion is applied as what its `changed` says (a retirement).
        log.info("site_deleted", site_id=site_id, present=before is not None)
        return
    try:
        after = merged_site(before, site_id, dict(evt.data.changed))
    except ValueError as err:
        raise Rejected(f"data.changed: {err}") from None
    by = Author(evt.data.changed_by, source=f"event:{evt.data.changed_by}")
    rematched = await apply_site_change(session, before, after, deps=deps, by=by)
    log.info("site_changed", site_id=after.id, rematched=len(rematched))


async def follow_case_closed(uow: MatchingUnitOfWork, evt: CaseClosed, *, deps: Deps) -> None:
    """A case closed (here or elsewhere): stop re-matching it."""
    if await uow.matches.close_case(evt.data.case_id, evt.data.outcome.value):
        log.info("case_closed", case_id=str(evt.data.case_id), outcome=evt.data.outcome.value)


async def load_catalogue(runtime: Runtime, *, deps: Deps) -> None:
    """Startup: seed the illustrative reference sites (idempotent), then load the catalogue into memory."""
    async with runtime.sessions() as session, session.begin():
        if deps.settings.load_reference_sites:
            seeded = await seed_reference(session, outbox=runtime.outbox)
            log.info("reference_sites_seeded", sites=seeded)
        await deps.supply.refresh(session)
