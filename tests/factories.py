"""Valid example events for tests; override any field with keyword arguments."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from shared.contracts import LeadSignalled

_N = iter(range(10**9))


def demand(*, floor_space_m2=None, cleanroom_iso_class=None, grid_connection_mw=None, fte_hbo=None,
           needed_by: str | None = None) -> dict:
    """A space demand payload from a few common quantities, all needed by the same date."""
    by = needed_by or (date.today() + timedelta(days=400)).isoformat()
    out: dict = {}
    if floor_space_m2 is not None:
        out["floor_space"] = {"floor_space_m2": floor_space_m2, "cleanroom_iso_class": cleanroom_iso_class,
                              "needed_by": by}
    if grid_connection_mw is not None:
        out["energy"] = {"grid_connection_mw": grid_connection_mw, "needed_by": by}
    if fte_hbo is not None:
        out["talent"] = {"fte_hbo": fte_hbo, "needed_by": by}
    return out


def lead_payload(**overrides) -> dict:
    n = next(_N)
    ref = overrides.pop("reference", f"T-{uuid.uuid4().hex[:8]}-{n}")
    data = {
        "organisation": "oost-nl", "reference": ref,
        "company": {"kvk_number": f"{(12345678 + n) % 10**8:08d}", "name": f"Geheim Fotonica {n} B.V."},
        "stage": "scale-up",
        "technology_domains": ["optical-systems-integrated-photonics"],
        "location": {"municipality_code": "GM0153", "province": "Overijssel", "region": "oost"},
        "demand": demand(floor_space_m2=4000, cleanroom_iso_class=7, grid_connection_mw=1.5),
        "investment_eur": 10_000_000, "investment_status": "estimated",
    }
    for key, value in overrides.items():
        data[key] = value
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/roms/oost-nl/test",
            "type": "nl.groeiruimte.lead-signalled", "subject": ref, "schemaversion": 1, "data": data}


def lead_event(**overrides) -> LeadSignalled:
    return LeadSignalled.model_validate(lead_payload(**overrides))


def random_kvk() -> str:
    """A KvK number no other test uses (8 digits)."""
    return f"{uuid.uuid4().int % 10**8:08d}"


def intake_lead_payload(*, organisation: str = "oost-nl", kvk: str | None = None, name: str | None = None,
                        needed_in_days: int = 400, **overrides) -> dict:
    """A lead-signalled payload for intake tests: its own company unless `kvk` is given."""
    by = (date.today() + timedelta(days=needed_in_days)).isoformat()
    raw = lead_payload(demand=demand(floor_space_m2=2500, grid_connection_mw=2.0, needed_by=by), **overrides)
    raw["data"]["organisation"] = organisation
    raw["data"]["company"] = {"kvk_number": kvk or random_kvk(),
                              "name": name or f"Testbedrijf {uuid.uuid4().hex[:10]} B.V."}
    raw["source"] = f"/roms/{organisation}/test"
    return raw


def case_opened_event(*, demand: dict, region: str = "oost", municipality_code: str = "GM0153",
                      province: str = "Overijssel", domains: tuple[str, ...] = ("semiconductor-technologies",),
                      stage: str = "scale-up", investment_eur: float = 25_000_000):
    """A case-opened event as intake emits it (no company identity), with its own case id."""
    from shared.contracts import CaseOpened

    case_id, lead_id = uuid.uuid4(), uuid.uuid4()
    return CaseOpened.model_validate({
        "source": "/groeiruimte/intake", "subject": str(case_id), "data": {
            "case_id": str(case_id), "lead_id": str(lead_id), "code_name": f"Case {case_id.hex[:6]}",
            "organisation": "oost-nl", "company_ref": uuid.uuid4().hex * 2, "stage": stage,
            "technology_domains": list(domains),
            "origin": {"municipality_code": municipality_code, "province": province, "region": region},
            "demand": demand, "investment_eur": investment_eur, "investment_status": "estimated",
            "signalled_at": "2026-11-30T09:00:00+00:00"}})


def _paths(node, prefix=()) -> list[tuple]:
    """Every key path in a JSON object, nested ones included."""
    out = []
    for key, value in node.items():
        out.append(prefix + (key,))
        if isinstance(value, dict):
            out += _paths(value, prefix + (key,))
    return out


def _mutate(payload: dict, mutations) -> dict:
    for action, path, value, new_key in mutations:
        parent = payload
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(parent, dict):
            continue
        if action == "delete":
            parent.pop(path[-1], None)
        elif action == "add":
            parent[new_key] = value
        else:
            parent[path[-1]] = value
    return payload


def mutated_lead_payloads(*, max_mutations: int = 4):
    """Hypothesis strategy: a valid lead-signalled payload with a few fields set to any JSON, deleted or added.

    Some results stay valid; most are invalid in one or several places at once.
    """
    from hypothesis import strategies as st

    template = intake_lead_payload(contact={"role": "CFO", "email": "a@b.nl"},
                                   leaving_risk={"likelihood": "high", "candidate_countries": ["DE"]})
    scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats()
               | st.text(max_size=30) | st.dates().map(str) | st.sampled_from(["GM0153", "12345678", "scale-up"])
               | st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308, -0.0]))
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=10), inner, max_size=3), max_leaves=6)
    mutation = st.tuples(st.sampled_from(["set", "set", "delete", "add"]), st.sampled_from(_paths(template)),
                         values, st.text(min_size=1, max_size=12))
    return st.lists(mutation, max_size=max_mutations).map(
        lambda muts: _mutate(intake_lead_payload(contact={"role": "CFO", "email": "a@b.nl"}), muts))


def fuzzed_lead_corpus(n: int) -> list[dict]:
    """`n` payloads drawn by hypothesis from mutated_lead_payloads, for pushing through real Kafka or HTTP."""
    from hypothesis import HealthCheck, Phase, given, settings

    drawn: list[dict] = []

    @settings(max_examples=n, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(mutated_lead_payloads())
    def draw(payload):
        drawn.append(payload)

    draw()
    return drawn
