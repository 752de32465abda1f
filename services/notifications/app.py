"""Notifications' process: Kafka subscribers (wired in bootstrap) and HTTP routes only."""

from __future__ import annotations

from typing import Literal
from urllib.parse import parse_qsl
from uuid import UUID

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from services.notifications import handlers, pages, repository
from services.notifications.bootstrap import bootstrap
from services.notifications.config import NotificationsSettings
from services.notifications.domain import replies
from services.notifications.domain.directory import Kind, Recipient
from services.notifications.views import (
    ApiReplyBody,
    DeliveryCount,
    DeliveryDetail,
    DeliveryLine,
    RecipientBody,
    RecipientOut,
    ReplyBody,
    ReplyLine,
    ReplyResult,
)
from shared.auth import Caller, require
from shared.db import transaction
from shared.http import Id, Limit, Offset, Text, field_errors, problems
from shared.runtime import http_app

DESCRIPTION = """Tells municipalities, provinces, the coordinator and the ministry's MIRT contact what they need to
know about a case — exactly once, NDA-safe (code name and ranges; the company only after its consent), within a
per-recipient budget (overflow goes into a digest). Keeps the delivery log and records recipients' replies.

Authenticate with `Authorization: Bearer <token>`. The coordinator reads the delivery log and edits the directory;
a municipality or province (token organisation = its CBS code, e.g. `GM0153`, `PV23`) answers with an offer or a
decline. Reply links in the mails carry a signed token and need no account. A 422 lists every problem as
`{"field": "email", "reason": "..."}`."""
Status = Literal["pending", "sending", "sent", "dead"]
BAD_LINK = "The link is not valid (tampered with, or expired)"


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    deps = bootstrap(settings or NotificationsSettings())
    settings, runtime, directory_cache = deps.settings, deps.runtime, deps.directory
    app = http_app(runtime, title="Groeiruimte notifications", description=DESCRIPTION)
    app.state.deps = deps
    caller_of = app.state.caller

    def coordinator(caller: Caller = Depends(caller_of)) -> Caller:
        return require(caller, "coordinator")

    def recipient_role(caller: Caller = Depends(caller_of)) -> Caller:
        return require(caller, "municipality", "province")

    @app.get("/deliveries", tags=["delivery log"], response_model=list[DeliveryLine],
             summary="The delivery log, newest first (coordinator)")
    async def deliveries(case_id: UUID | None = None, status: Status | None = None, recipient: Text | None = None,
                         template: Text | None = None, limit: Limit = 100, offset: Offset = 0,
                         _: Caller = Depends(coordinator)) -> list[DeliveryLine]:
        async with runtime.sessions() as session:
            rows = await repository.deliveries(session, case_id=case_id, status=status, recipient_code=recipient,
                                               template=template, limit=limit, offset=offset)
        return [DeliveryLine.model_validate(r) for r in rows]

    @app.get("/deliveries/summary", tags=["delivery log"], response_model=list[DeliveryCount],
             summary="Mails per template and status (coordinator)")
    async def delivery_summary(_: Caller = Depends(coordinator)) -> list[DeliveryCount]:
        async with runtime.sessions() as session:
            return [DeliveryCount.model_validate(r) for r in await repository.summary(session)]

    @app.get("/deliveries/{delivery_id}", tags=["delivery log"], response_model=DeliveryDetail,
             summary="One mail as sent, with both parts", responses=problems(404, d404="No such delivery"))
    async def delivery(delivery_id: Id, _: Caller = Depends(coordinator)) -> DeliveryDetail:
        async with runtime.sessions() as session:
            row = await repository.delivery_detail(session, delivery_id)
        if row is None:
            raise HTTPException(404, f"no delivery {delivery_id}")
        return DeliveryDetail.model_validate(row)

    @app.get("/cases/{case_id}/replies", tags=["replies"], response_model=list[ReplyLine],
             summary="The answers recipients gave about a case, newest first (coordinator)")
    async def case_replies(case_id: UUID, _: Caller = Depends(coordinator)) -> list[ReplyLine]:
        # The coordinator's alone: a municipality must not learn which others were asked, or what they said.
        async with runtime.sessions() as session:
            rows = await repository.replies_of_case(session, case_id)
        return [ReplyLine.model_validate(r | {"site_id": r["site_key"] or None}) for r in rows]

    @app.get("/recipients", tags=["directory"], response_model=list[RecipientOut],
             summary="The recipient directory (coordinator)")
    async def list_recipients(kind: Kind | None = None, _: Caller = Depends(coordinator)) -> list[dict]:
        async with runtime.sessions() as session:
            return await repository.recipients(session, kind=kind)

    @app.get("/recipients/{code}", tags=["directory"], response_model=RecipientOut,
             responses=problems(404, d404="No such entry"), summary="One directory entry (coordinator)")
    async def get_recipient(code: Text, _: Caller = Depends(coordinator)) -> dict:
        async with runtime.sessions() as session:
            found = [r for r in await repository.recipients(session) if r["code"] == code]
        if not found:
            raise HTTPException(404, f"no recipient {code!r}")
        return found[0]

    @app.put("/recipients/{code}", tags=["directory"], response_model=RecipientOut,
             summary="Create or replace a directory entry (coordinator); the file no longer overrides it")
    async def put_recipient(code: Text, body: RecipientBody, caller: Caller = Depends(coordinator)) -> dict:
        try:
            entry = Recipient(code=code, **body.model_dump())
        except ValidationError as err:
            # The entry's own check (does the code fit the kind?) has no field of its own: it is the kind's.
            raise RequestValidationError([e | {"loc": e["loc"] or ("kind",)} for e in err.errors()]) from err
        async with transaction(runtime.sessions) as session:
            saved = await repository.put_recipient(session, entry, by=caller.organisation)
        directory_cache.invalidate()
        return saved

    @app.delete("/recipients/{code}", tags=["directory"], status_code=204,
                responses=problems(404, d404="No such entry"),
                summary="Deactivate a directory entry (coordinator); pending mails to it are dead-lettered")
    async def delete_recipient(code: Text, caller: Caller = Depends(coordinator)) -> None:
        async with transaction(runtime.sessions) as session:
            if not await repository.deactivate_recipient(session, code, by=caller.organisation):
                raise HTTPException(404, f"no recipient {code!r}")
        directory_cache.invalidate()

    @app.post("/replies", tags=["replies"], response_model=ReplyResult,
              responses=problems(404, d404="The caller was not notified about this case"),
              summary="Answer a notification with an offer or a decline (municipality or province)")
    async def reply(body: ApiReplyBody, caller: Caller = Depends(recipient_role)) -> ReplyResult:
        async with transaction(runtime.sessions) as session:
            if not await repository.notified_about(session, body.case_id, caller.organisation):
                raise HTTPException(404, f"{caller.organisation} was not notified about case {body.case_id}")
            changed = await _answer(session, deps, case_id=body.case_id, recipient=caller.organisation,
                                    via="api", **body.model_dump(exclude={"case_id"}))
        return ReplyResult(case_id=body.case_id, recipient=caller.organisation, response=body.response,
                           changed=changed)

    def grant_of(token: str) -> replies.ReplyGrant:
        try:
            return replies.verify(settings.reply_secret.get_secret_value().encode(), token)
        except replies.BadToken as err:
            raise HTTPException(403, str(err)) from err

    @app.get("/replies/{token}", tags=["replies"], response_class=HTMLResponse, responses=problems(403, d403=BAD_LINK),
             summary="The page a reply link opens: a form (a link preview never records anything)")
    async def reply_form(token: Text) -> HTMLResponse:
        grant = grant_of(token)
        async with runtime.sessions() as session:
            told = (await repository.notified_sites(session, grant.case_id)).get(grant.recipient, set())
        return HTMLResponse(pages.reply_form(grant, sorted(told)))

    @app.post("/replies/{token}", tags=["replies"], summary="Record the answer from a reply link's form or JSON",
              responses={200: {"model": ReplyResult, "description": "JSON when JSON was sent, else a thank-you page",
                               "content": {"text/html": {"schema": {"type": "string"}}}}}
              | problems(403, 422, d403=BAD_LINK))
    async def reply_by_link(token: Text, request: Request):
        grant = grant_of(token)
        body = await _reply_body(request)
        async with transaction(runtime.sessions) as session:
            changed = await _answer(session, deps, case_id=grant.case_id, recipient=grant.recipient,
                                    via="link", **body.model_dump())
        result = ReplyResult(case_id=grant.case_id, recipient=grant.recipient, response=body.response,
                             changed=changed)
        if "json" in request.headers.get("content-type", ""):
            return result
        return HTMLResponse(pages.reply_thanks(result))

    return app


async def _answer(session, deps: handlers.Deps, **answer) -> bool:
    try:
        return await handlers.record_answer(deps.unit_of_work(session), deps=deps, **answer)
    except handlers.UnknownSite as err:
        raise HTTPException(422, [{"field": "site_id", "reason": str(err)}]) from err


async def _reply_body(request: Request) -> ReplyBody:
    """Form fields (from the reply page) or JSON; a bad field answers 422 naming it."""
    raw = await request.body()
    try:
        if "json" in request.headers.get("content-type", ""):
            return ReplyBody.model_validate_json(raw)
        fields = dict(parse_qsl(raw.decode(errors="strict"), keep_blank_values=True))
        return ReplyBody.model_validate({k: v for k, v in fields.items() if v != "" or k == "message"})
    except (ValidationError, UnicodeDecodeError) as err:
        detail = field_errors(err.errors()) if isinstance(err, ValidationError) else [
            {"field": "(body)", "reason": "not UTF-8"}]
        raise HTTPException(422, detail) from err
