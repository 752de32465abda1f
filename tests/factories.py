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
