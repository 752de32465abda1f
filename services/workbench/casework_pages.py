"""The taskforce's own case work, as routes: assign and hand over a case, notes of contacts, follow-ups, and the
export of a case's timeline. Coordinators only (the taskforce); every write and every export is audited.

These are the workbench's own tables (docs/workbench.md, "Case work"): before anything is read or written the
case is asked of intake as the person signed in, so intake still decides who may see the case at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.workbench import casework_repository as store
from services.workbench import views
from services.workbench.accounts import Account
from services.workbench.bootstrap import Deps
from services.workbench.casework import (
    CONTACTS,
    Note,
    NoteForm,
    Reminder,
    ReminderForm,
    earliest_open,
    owner_error,
    timeline_csv,
    today,
)
from services.workbench.i18n import moment, translations
from services.workbench.labels import LABELS
from services.workbench.render import language
from services.workbench.security import Person
from shared.db import transaction


def coordinators(deps: Deps) -> list[Account]:
    """Who can own a case: the taskforce's coordinators, by name."""
    return sorted((a for a in deps.accounts().values() if a.role == "coordinator"), key=lambda a: a.name)


def names(deps: Deps) -> dict[str, str]:
    """A person's name by username, as the pages show owners and authors."""
    return {a.username: a.name for a in deps.accounts().values()}


async def board_work(session: AsyncSession, case_ids: list[UUID]) -> tuple[dict[str, str], dict[str, Reminder]]:
    owners = await store.owners(session, case_ids)
    first = earliest_open(await store.open_reminders(session, case_ids))
    return owners, {str(case_id): r for case_id, r in first.items()}


async def owner_filter(session: AsyncSession, owner: str, no_owner: str) -> dict[str, list[str]]:
    """The owner filter as intake's board query understands it: the owner's case ids, or those to leave out."""
    if not owner:
        return {}
    if owner == no_owner:
        return {"except_case_ids": await store.owned_cases(session)}
    return {"case_ids": await store.owned_cases(session, owner)}


async def case_work(session: AsyncSession, case_id: UUID):
    return await store.notes(session, case_id), await store.owner_of(session, case_id), \
        await store.reminders(session, case_id)


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}


def add_routes(web: APIRouter, deps: Deps, *, coordinator: Callable, show_case: Callable[..., Awaitable[Response]],
               case_page: Callable[[Person, UUID], Awaitable[views.CasePage]]) -> None:
    async def known_case(person: Person, case_id: UUID) -> None:
        """Intake's answer for this person: its 403/404 stands (UpstreamError), nothing here is touched."""
        await deps.upstream.read(person, "intake", f"/cases/{case_id}")

    @web.post("/cases/{case_id}/owner")
    async def assign(request: Request, case_id: UUID, person: Person = Depends(coordinator)) -> Response:
        owner = (await _form(request)).get("owner", "").strip()
        await known_case(person, case_id)
        error = owner_error(owner, (a.username for a in coordinators(deps)))
        if error:
            await deps.audit(person, "case-assigned", target=str(case_id), outcome="refused", owner=owner[:64])
            return await show_case(request, person, case_id, status=422, errors={"owner": _(request, error)},
                                   form={"owner": owner})
        async with transaction(deps.db) as session:
            before = await store.assign(session, case_id=case_id, owner=owner, by=person.username,
                                        now=datetime.now(UTC))
        await deps.audit(person, "case-assigned", target=str(case_id), owner=owner, before=before)
        return RedirectResponse(f"/cases/{case_id}?notice=assigned#owner", status_code=303)

    async def refused(request: Request, person: Person, case_id: UUID, prefix: str, form, fields) -> Response:
        """The case page again (422): each error beside its field, and what was typed kept."""
        errors = {f"{prefix}-{k}": _(request, v) for k, v in form.errors.items()}
        return await show_case(request, person, case_id, status=422, errors=errors,
                               form={f"{prefix}-{k}": getattr(form, k) for k in fields})

    @web.post("/cases/{case_id}/notes")
    async def add_note(request: Request, case_id: UUID, person: Person = Depends(coordinator)) -> Response:
        form = NoteForm.from_form(await _form(request))
        await known_case(person, case_id)
        checked = form.check(today())
        if checked is None:
            return await refused(request, person, case_id, "note", form, ("contact", "contact_on", "text"))
        contact, day, text = checked
        async with transaction(deps.db) as session:
            note_id = await store.add_note(session, case_id=case_id, author=person.username, contact=contact,
                                           contact_on=day, text=text, now=datetime.now(UTC))
        # The audit says that a note was made and by whom, never what it says (that stays in the note).
        await deps.audit(person, "note-created", target=f"{case_id}/{note_id}", contact=contact)
        return RedirectResponse(f"/cases/{case_id}?notice=note-saved#timeline", status_code=303)

    async def own_note(person: Person, case_id: UUID, note_id: UUID) -> Note:
        await known_case(person, case_id)
        async with deps.db() as session:
            note = await store.note(session, case_id=case_id, note_id=note_id)
        if note is None:
            raise HTTPException(404, "note")
        if not note.editable_by(person.username):
            await deps.audit(person, "note-edited", target=f"{case_id}/{note_id}", outcome="refused")
            raise HTTPException(403, "note")
        return note

    async def edit_page(request: Request, person: Person, case_id: UUID, note: Note, form: NoteForm, *,
                        status: int = 200) -> Response:
        page = await case_page(person, case_id)
        errors = {f"note-{k}": _(request, v) for k, v in form.errors.items()}
        return deps.pages.render(request, "note_edit.html.j2", person=person, status=status, case=page, note=note,
                                 form=form, errors=errors, contacts=CONTACTS, today=today(), names=names(deps))

    @web.get("/cases/{case_id}/notes/{note_id}/edit")
    async def edit_note_form(request: Request, case_id: UUID, note_id: UUID,
                             person: Person = Depends(coordinator)) -> Response:
        note = await own_note(person, case_id, note_id)
        form = NoteForm(contact=note.contact, contact_on=note.contact_on.isoformat(), text=note.text)
        return await edit_page(request, person, case_id, note, form)

    @web.post("/cases/{case_id}/notes/{note_id}")
    async def edit_note(request: Request, case_id: UUID, note_id: UUID,
                        person: Person = Depends(coordinator)) -> Response:
        note = await own_note(person, case_id, note_id)
        form = NoteForm.from_form(await _form(request))
        checked = form.check(today())
        if checked is None:
            return await edit_page(request, person, case_id, note, form, status=422)
        contact, day, text = checked
        async with transaction(deps.db) as session:
            changed = await store.edit_note(session, note_id=note_id, author=person.username, contact=contact,
                                            contact_on=day, text=text, now=datetime.now(UTC))
        await deps.audit(person, "note-edited", target=f"{case_id}/{note_id}",
                         outcome="done" if changed else "refused", contact=contact)
        if not changed:
            raise HTTPException(403, "note")
        return RedirectResponse(f"/cases/{case_id}?notice=note-saved#timeline", status_code=303)

    @web.post("/cases/{case_id}/reminders")
    async def add_reminder(request: Request, case_id: UUID, person: Person = Depends(coordinator)) -> Response:
        form = ReminderForm.from_form(await _form(request))
        await known_case(person, case_id)
        checked = form.check(today())
        if checked is None:
            return await refused(request, person, case_id, "reminder", form, ("due_on", "text"))
        due_on, text = checked
        async with transaction(deps.db) as session:
            reminder_id = await store.add_reminder(session, case_id=case_id, due_on=due_on, text=text,
                                                   by=person.username, now=datetime.now(UTC))
        await deps.audit(person, "reminder-created", target=f"{case_id}/{reminder_id}", due_on=due_on.isoformat())
        return RedirectResponse(f"/cases/{case_id}?notice=reminder-saved#follow-ups", status_code=303)

    @web.post("/cases/{case_id}/reminders/{reminder_id}/done")
    async def finish_reminder(case_id: UUID, reminder_id: UUID, person: Person = Depends(coordinator)) -> Response:
        await known_case(person, case_id)
        async with transaction(deps.db) as session:
            done = await store.finish_reminder(session, case_id=case_id, reminder_id=reminder_id,
                                               by=person.username, now=datetime.now(UTC))
        await deps.audit(person, "reminder-done", target=f"{case_id}/{reminder_id}",
                         outcome="done" if done else "refused")
        if not done:
            raise HTTPException(404, "reminder")
        return RedirectResponse(f"/cases/{case_id}?notice=reminder-done#follow-ups", status_code=303)

    @web.get("/cases/{case_id}/timeline.csv")
    async def export_csv(request: Request, case_id: UUID, person: Person = Depends(coordinator)) -> Response:
        page = await case_page(person, case_id)
        lang = language(request)
        gettext = translations(lang).gettext
        body = timeline_csv(page.timeline, gettext=gettext, moment=lambda at: moment(at, lang),
                            kind_label=lambda kind: gettext(LABELS.get(_kind(kind), kind)))
        await deps.audit(person, "timeline-exported", target=str(case_id), format="csv", entries=len(page.timeline))
        name = f"tijdlijn-{page.dossier['code_name']}.csv".replace(" ", "-")
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{_ascii(name)}"'})

    @web.get("/cases/{case_id}/timeline")
    async def export_page(request: Request, case_id: UUID, person: Person = Depends(coordinator)) -> Response:
        page = await case_page(person, case_id)
        await deps.audit(person, "timeline-exported", target=str(case_id), format="page",
                         entries=len(page.timeline))
        return deps.pages.render(request, "timeline_print.html.j2", person=person, case=page,
                                 printed_at=datetime.now(UTC), names=names(deps))


def _kind(kind: str) -> str:
    return kind + "-event" if kind == "case-opened" else kind


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in name)


def _(request: Request, message: str) -> str:
    return translations(language(request)).gettext(message)
