"""The lead form: its fields as dotted names (the API's own field paths), to and from the API's JSON.

Input names are the API's field paths (`company.kvk_number`), so the API's 422 `{field, reason}` lands beside
the input it names without any mapping table that could drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.workbench.labels import FIELD_HELP
from services.workbench.problems import plain
from shared.contracts.events import Region, Stage, TechnologyDomain

DEMAND_PARTS: dict[str, tuple[str, ...]] = {
    "floor_space": ("floor_space_m2", "cleanroom_m2", "needed_by"),
    "energy": ("grid_connection_mw", "needed_by"),
    "talent": ("fte_mbo", "fte_hbo", "fte_wo", "needed_by"),
}
NUMBERS = {"investment_eur", "demand.floor_space.floor_space_m2", "demand.floor_space.cleanroom_m2",
           "demand.energy.grid_connection_mw"}
WHOLE_NUMBERS = {"demand.talent.fte_mbo", "demand.talent.fte_hbo", "demand.talent.fte_wo"}
TEXT_FIELDS = ("reference", "company.name", "company.kvk_number", "stage", "sector", "location.municipality_code",
               "location.region", "investment_eur",
               *(f"demand.{part}.{name}" for part, names in DEMAND_PARTS.items() for name in names))
STAGES = [s.value for s in Stage]
REGIONS = [r.value for r in Region]
DOMAINS = [d.value for d in TechnologyDomain]


@dataclass
class LeadForm:
    """What the person typed (kept as typed, to show again beside the errors)."""

    values: dict[str, str] = field(default_factory=lambda: dict.fromkeys(TEXT_FIELDS, ""))
    domains: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: Mapping[str, Any], domains: list[str]) -> LeadForm:
        return cls({name: str(form.get(name, "")).strip() for name in TEXT_FIELDS}, list(domains))

    @classmethod
    def from_lead(cls, lead: Mapping[str, Any]) -> LeadForm:
        values = {name: _text(_lookup(lead, name)) for name in TEXT_FIELDS}
        return cls(values, list(lead.get("technology_domains") or ()))

    def submission(self) -> dict[str, Any]:
        """The JSON body of POST /leads."""
        body: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            if name.startswith("demand.") or not self.values.get(name):
                continue
            _put(body, name, _typed(name, self.values[name]))
        body["technology_domains"] = self.domains
        body["demand"] = {part: values for part in DEMAND_PARTS if (values := self._part(part))}
        return body

    def merge_patch(self, current: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON merge patch of PATCH /leads/{id}: everything the form holds; what it emptied becomes null."""
        patch = self.submission()
        patch.pop("reference", None)
        for name in ("sector", "investment_eur"):
            patch.setdefault(name, None)
        for part in DEMAND_PARTS:
            if part not in patch["demand"] and (current.get("demand") or {}).get(part) is not None:
                patch["demand"][part] = None
        return patch

    def _part(self, part: str) -> dict[str, Any]:
        given = {n: self.values.get(f"demand.{part}.{n}", "") for n in DEMAND_PARTS[part]}
        return {n: _typed(f"demand.{part}.{n}", v) for n, v in given.items() if v}

    def take_errors(self, problems: list[Mapping[str, Any]] | str, gettext=lambda m: m, lang: str = "en") -> None:
        """The API's field errors, each beside its input (or on the form as a whole), in plain words: the form's
        help where it knows what to ask for, else the error type's words with its limit (services.workbench.
        problems); a service's own rule without a type keeps its reason."""
        if isinstance(problems, str):
            self.errors["(body)"] = problems
            return
        for problem in problems:
            name = problem.get("field", "(body)")
            target = name if name in TEXT_FIELDS or name == "technology_domains" else _nearest(name)
            help_text = FIELD_HELP.get(name) if name == target else None
            words = gettext(help_text) if help_text else plain(problem, gettext, lang)
            self.errors.setdefault(target, words or problem.get("reason", ""))


def _nearest(name: str) -> str:
    """A field the form has no input for (e.g. `demand`, `location.province`): its group, or the form."""
    for prefix in ("demand", "location", "company"):
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    if name.startswith("technology_domains"):
        return "technology_domains"
    return "(body)"


def _typed(name: str, value: str) -> Any:
    """Numbers as numbers; what does not read as one is sent as typed, for the API to name the field."""
    try:
        if name in WHOLE_NUMBERS:
            return int(value)
        if name in NUMBERS:
            return float(value.replace(",", "."))
    except ValueError:
        return value
    return value


def _put(body: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        body = body.setdefault(key, {})
    body[last] = value


def _lookup(data: Mapping[str, Any], dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(data, Mapping) or data.get(key) is None:
            return None
        data = data[key]
    return data


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
