"""A file of sites uploaded over HTTP (the workbench's import page): each row checked as the import command checks
it, and against who may change it, then, when asked, the valid rows loaded as the caller's changes.

The same parser as `import-sites` (importer.py); the same owner rule as PUT/PATCH (a municipality or province only
its own sites, before and after). A preview (`dry_run`) reads and writes nothing; the load is one transaction, each
site stored with its history, emitted as site-changed and re-matched, as a PUT of that site would be.
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from services.matching import domain, importer, site_owners
from services.matching.coordinator import Problem
from services.matching.domain import ownership
from services.matching.handlers import Deps
from services.matching.views import FieldError, SiteImport, SiteImportRow, SiteUpload
from shared.auth import Caller

MAX_ROWS = 2000  # a municipality's or province's register; a national file is a job for the import command
_NEXT_FIELD = re.compile(r"; (?=[\w.()]+: )")


def rows_of(upload: SiteUpload) -> list[tuple[int, dict]]:
    try:
        rows = list(importer.csv_text_rows(upload.content) if upload.format == "csv"
                    else importer.geojson_text_rows(upload.content))
    except ValueError as err:
        raise Problem(422, [{"field": "content", "reason": str(err)}]) from None
    if not rows:
        raise Problem(422, [{"field": "content", "reason": "the file holds no sites", "type": "file_empty"}])
    if len(rows) > MAX_ROWS:
        raise Problem(422, [{"field": "content", "reason": f"{len(rows)} rows; at most {MAX_ROWS} per upload",
                             "type": "too_many_rows", "ctx": {"rows": len(rows), "max": MAX_ROWS}}])
    return rows


async def check_or_load(session: AsyncSession, upload: SiteUpload, caller: Caller, *, deps: Deps) -> SiteImport:
    rows = rows_of(upload)
    if not upload.dry_run:
        await deps.supply.refresh(session)
    existing = await site_owners.stored_sites(session, importer.ids_of(rows), lock=not upload.dry_run)
    parsed = importer.parse_rows(rows, {}, existing)
    raw = dict(rows)
    report = {number: SiteImportRow(row=number, site_id=_text(raw[number].get("id"), 100),
                                    name=_text(raw[number].get("name"), 200),
                                    errors=_errors(reason, parsed.facts.get(number, {})))
              for number, reason in parsed.errors}
    loads: list[tuple[domain.Site | None, domain.Site]] = []
    for number, site in parsed.sites:
        before = existing.get(site.id)
        refused = ownership.refusal(caller.role, caller.organisation, before, site)
        line = SiteImportRow(row=number, site_id=site.id, name=site.name, action=_action(before, site))
        if refused:
            facts = dict(refused.facts)
            line.action, line.errors = None, [FieldError(field=refused.field, reason=refused.reason,
                                                         type=facts.pop("type"), ctx=facts)]
        elif line.action != "unchanged":
            loads.append((before, site))
        report[number] = line
    rematched: set[str] = set()
    if not upload.dry_run:
        for before, after in loads:
            written = await site_owners.store(session, before, after, caller, deps=deps,
                                              source=f"import:{caller.organisation}")
            rematched.update(written.rematched_cases)
    return SiteImport(dry_run=upload.dry_run, rows=[report[n] for n in sorted(report)],
                      rematched_cases=sorted(rematched))


def _text(value, limit: int) -> str | None:
    """A refused row's id or name as given, to recognise the row by (never used as a key)."""
    return str(value).strip()[:limit] or None if value not in (None, "") else None


def _action(before: domain.Site | None, after: domain.Site) -> str:
    if before is None:
        return "create"
    return "change" if domain.changed_fields(before, after) else "unchanged"


def _errors(reason: str, facts: dict[str, dict] | None = None) -> list[FieldError]:
    """The importer's `field: reason; field: reason` as one error per field, with the field's schema facts
    (pydantic's type and limits) where the importer kept them."""
    out = []
    for part in _NEXT_FIELD.split(reason):
        field, sep, text = part.partition(": ")
        out.append(FieldError(field=field, reason=text, **(facts or {}).get(field, {})) if sep and " " not in field
                   else FieldError(field="(row)", reason=part))
    return out
