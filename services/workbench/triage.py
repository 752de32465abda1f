"""intake's triage of a lead in the reader's language, worded from its facts (`triage`: code, sector, dates,
horizon), never from intake's English `triage_reason` (kept in its API for other clients)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.workbench.explanations import Catalogue, day
from services.workbench.labels import N_
from services.workbench.problems import number

OUT_OF_SCOPE = {
    "no-domain": N_("Out of scope: no technology domain of the NTS and not essential to strategic autonomy"),
    "low-value-production": N_("Out of scope: low-value production"),
    "negative-externalities": N_("Out of scope: many negative external effects"),
}
ELIGIBLE = {"nts-domain": N_("A technology domain of the NTS"),
            "strategic-autonomy": N_("Essential to strategic autonomy")}
SECTOR = N_("sector: {sector}")
WITHOUT_FACTS = {True: N_("Eligible for a case"), False: N_("Not eligible for a case")}


def triage(lead: Mapping[str, Any], catalogue: Catalogue, lang: str) -> str:
    """Why intake did or did not open a case for this lead. A lead triaged before intake kept the facts: only
    whether it was eligible (intake's English sentence is not shown)."""
    _ = catalogue.gettext
    facts = lead.get("triage") or {}
    code = facts.get("code")
    sector = f" ({_(SECTOR).format(sector=facts['sector'])})" if facts.get("sector") else ""
    years = int(facts.get("horizon_years") or 0)
    if code in OUT_OF_SCOPE:
        return _(OUT_OF_SCOPE[code]) + sector
    if code == "beyond-horizon":
        return catalogue.ngettext("Space first needed by {date}, beyond the horizon of {years} year ({horizon})",
                                  "Space first needed by {date}, beyond the horizon of {years} years ({horizon})",
                                  years).format(date=day(facts.get("earliest_need"), lang),
                                                years=number(years, lang), horizon=day(facts.get("horizon"), lang))
    if code in ELIGIBLE:
        need = facts.get("earliest_need")
        when = (catalogue.ngettext("growth blocked by {date}, within {years} year",
                                   "growth blocked by {date}, within {years} years", years) if need
                else catalogue.ngettext("growth blocked now, within {years} year",
                                        "growth blocked now, within {years} years", years))
        when = when.format(date=day(need, lang), years=number(years, lang))
        return f"{_(ELIGIBLE[code])}{sector}; {when}"
    return _(WITHOUT_FACTS[bool(lead.get("eligible"))])
