"""The services' refusals in the reader's language, worded here from their structured parts.

A 422 entry carries pydantic's error `type` and its limits (`ctx`) beside the English `reason` (shared.http): the
workbench words the known types itself, with the limit in the reader's number format, so no English sentence
from a service reaches a Dutch page. An entry without a type (a service's own rule) keeps the service's reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from babel.numbers import format_decimal

from services.workbench.labels import N_
from shared.contracts.geography import municipalities

# pydantic's error type -> plain words; {limit} is the bound the input broke, {expected} the allowed choices.
BY_TYPE = {
    "missing": N_("Fill this in."),
    "string_too_short": N_("Give at least {limit} characters."),
    "string_too_long": N_("Give at most {limit} characters."),
    "too_short": N_("Give at least {limit}."),
    "too_long": N_("Give at most {limit}."),
    "greater_than_equal": N_("Give a number of at least {limit}."),
    "greater_than": N_("Give a number greater than {limit}."),
    "less_than_equal": N_("Give a number of at most {limit}."),
    "less_than": N_("Give a number less than {limit}."),
    "string_pattern_mismatch": N_("This is not in the expected form."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
    "int_parsing": N_("Give a whole number, e.g. 12."),
    "int_from_float": N_("Give a whole number, e.g. 12."),
    "int_type": N_("Give a whole number, e.g. 12."),
    "float_parsing": N_("Give a number, e.g. 2500 or 1.5."),
    "float_type": N_("Give a number, e.g. 2500 or 1.5."),
    "finite_number": N_("Give a number, e.g. 2500 or 1.5."),
    "decimal_parsing": N_("Give a number, e.g. 2500 or 1.5."),
    "bool_parsing": N_("Choose yes or no."),
    "date_parsing": N_("Give a date, e.g. 2027-09-01."),
    "date_from_datetime_parsing": N_("Give a date, e.g. 2027-09-01."),
    "date_type": N_("Give a date, e.g. 2027-09-01."),
    "datetime_parsing": N_("Give a date and time, e.g. 2027-09-01 09:00."),
    "uuid_parsing": N_("This is not a valid identifier."),
    "string_type": N_("Give a text."),
    "list_type": N_("Choose one or more of the options."),
    "extra_forbidden": N_("This field is not part of the form."),
    "value_error": N_("This value is not accepted."),
    # the contracts' own types (shared.contracts): their facts are in ctx
    "string_nul_character": N_("Remove the invisible control character (NUL) from the text."),
    "string_unpaired_surrogate": N_("Remove the character that is not valid text (an unpaired surrogate)."),
    "string_too_long_normalised": N_("Give at most {max} characters (this one has {length} when written out)."),
    "unknown_municipality": N_("Give the CBS code of a municipality of this year, e.g. GM0153 (Enschede)."),
    "province_mismatch": N_("{code} lies in {province}: leave the province out or give that one."),
    "sector_required": N_("Give the company's sector: it is needed when no technology domain says it, or for "
                          "strategic autonomy."),
    "assertion_error": N_("This value is not accepted."),
    # matching's outcome rules (services/matching/coordinator.py): {lacking} is worded below
    "relocation_incomplete": N_("A relocation needs: {lacking}."),
    "reason_required": N_("Give the reason for this outcome."),
    # a file the service cannot read as a whole (intake's CSV import, matching's site import)
    "file_empty": N_("The file holds no rows."),
    "missing_columns": N_("The file lacks required columns: {columns}."),
    "too_many_rows": N_("The file has {rows} rows; at most {max} can be uploaded at once."),
}
# The outcome form's fields, as a relocation names what it lacks (the form's own labels).
OUTCOME_FIELDS = {"investment_retained_eur": N_("Investment retained (EUR)"),
                  "investment_status": N_("Investment status"), "jobs": N_("Jobs"),
                  "new_scale_up": N_("Became a scale-up"), "evidence_ref": N_("Evidence (reference)"),
                  "destination_site_id or destination": N_("Destination site (id)")}
UNKNOWN_TYPE = N_("This value is not accepted.")
_LIMITS = ("min_length", "max_length", "ge", "gt", "le", "lt")


def plain(problem: Mapping[str, Any], gettext: Callable[[str], str], lang: str) -> str | None:
    """A 422 entry's reason in plain words in the reader's language; None when the service gave no type."""
    kind = problem.get("type")
    if not kind:
        return None
    ctx = {k: _numeric(v) for k, v in (problem.get("ctx") or {}).items()}
    limit = next((ctx[k] for k in _LIMITS if k in ctx), None)
    text = gettext(BY_TYPE.get(kind, UNKNOWN_TYPE))
    facts = {k: number(v, lang) if isinstance(v, int | float) and not isinstance(v, bool) else v
             for k, v in ctx.items()}
    if kind == "relocation_incomplete":
        facts["lacking"] = ", ".join(gettext(OUTCOME_FIELDS.get(f, f)) for f in str(ctx.get("lacking")).split(", "))
    try:
        return text.format(**facts, limit=number(limit, lang) if isinstance(limit, int | float) else limit or "")
    except (KeyError, IndexError):  # a type whose facts are not all given: its words without them
        return gettext(UNKNOWN_TYPE)


def _numeric(value: Any) -> Any:
    """A limit a service gave as text ("0.0", "1000") as the number it is, so the reader's format applies."""
    if isinstance(value, str):
        try:
            found = float(value)
        except ValueError:
            return value
        return int(found) if found.is_integer() else found
    return value


def number(value: float, lang: str) -> str:
    """A number as the reader writes it (Dutch: 2.500 and 1,5)."""
    return format_decimal(value, locale=lang)


# matching's refusal of a site change, by its type (domain/ownership.py in matching); {place} is where it lies.
REFUSALS = {
    "not-site-owner": N_("This site lies in {place}; only that municipality, that province or the coordinator may "
                         "change it."),
    "site-out-of-reach-municipality": N_("You may create or move sites only within your own municipality; this "
                                         "site would lie in {place}."),
    "site-out-of-reach-province": N_("You may create or move sites only within your own province; this site would "
                                     "lie in {place}."),
}

REFUSAL_TYPES = ("not-site-owner", "site-out-of-reach")


def refusal(facts: Mapping[str, Any], gettext: Callable[[str], str]) -> str | None:
    """matching's refusal facts (`type`, `municipality_code`, `province`, `role`) in the reader's language."""
    kind = facts.get("type")
    if kind == "site-out-of-reach":
        kind = f"{kind}-{'municipality' if facts.get('role') == 'municipality' else 'province'}"
    if kind not in REFUSALS:
        return None
    code = str(facts.get("municipality_code", ""))
    name = municipalities().get(code.upper(), (code,))[0]
    return gettext(REFUSALS[kind]).format(place=f"{name} ({facts.get('province', '')})")


def site_error(error: Mapping[str, Any], gettext: Callable[[str], str], lang: str) -> str | None:
    """One error of matching's import report (refusal facts in `ctx`, or a schema error) in plain words."""
    if error.get("type") in REFUSAL_TYPES:
        return refusal({**(error.get("ctx") or {}), "type": error["type"]}, gettext)
    return plain(error, gettext, lang)
