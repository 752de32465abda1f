"""HTTP conventions every service shares: one error shape, documented on every route, and input types.

Error policy (docs/http.md): a 422 lists every problem as `{"detail": [{"field", "reason"}]}`; every other
4xx is `{"detail": "<sentence>"}`. Each route's OpenAPI operation documents every status it can answer: 401
and 403 wherever the bearer token is read, 422 wherever there is input, the rest (404, 409, ...) on the route.

The input types below keep values out that no route can handle (PostgreSQL rejects NUL in text, BIGINT ends
at 2**63-1, no plan runs past 2100) as a 422 naming the field, instead of a 500 from deep inside.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Annotated, Any

from annotated_types import Ge, Le
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, StringConstraints, WithJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.auth import Caller, PersonTokens, authenticate

# --- input types -------------------------------------------------------------------------------------------

MAX_INT64 = 2**63 - 1
NO_NUL = r"^[^\x00]*$"
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)

Text = Annotated[str, StringConstraints(pattern=NO_NUL)]
"""Any string that can be stored: PostgreSQL text cannot hold a NUL character."""
Id = Annotated[int, Ge(1), Le(MAX_INT64)]
"""A database id (BIGINT)."""
Offset = Annotated[int, Ge(0), Le(MAX_INT64)]
Limit = Annotated[int, Ge(1), Le(1000)]
Day = Annotated[date, Ge(FIRST_DAY), Le(LAST_DAY),
                WithJsonSchema({"type": "string", "format": "date",
                                "description": f"YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}."})]
"""A calendar day the programme can be asked about (date arithmetic past year 9999 fails)."""


# --- error bodies --------------------------------------------------------------------------------------------

class FieldError(BaseModel):
    field: str = Field(description="The input at fault as a dotted path (`company.kvk_number`, `offset`); "
                                   "`(body)` for the body as a whole.", examples=["company.kvk_number"])
    reason: str = Field(examples=["String should match pattern '^\\d{8}$'"])
    type: str | None = Field(default=None, examples=["string_pattern_mismatch"],
                             description="pydantic's error type, when the schema refused it (for clients that "
                                         "word the reason themselves, e.g. in Dutch).")
    ctx: dict[str, str | int | float | bool] | None = Field(
        default=None, examples=[{"pattern": "^\\d{8}$"}], description="The limit the input broke (min_length, "
                                                                      "ge, pattern, expected, ...), when known.")


class ValidationProblem(BaseModel):
    """422: the request was understood, but these inputs are wrong (every problem found, not just the first)."""

    detail: list[FieldError]


class Problem(BaseModel):
    """Any other 4xx: what is wrong, in one sentence."""

    detail: str = Field(examples=["role 'rom' may not do this"])


DESCRIPTIONS = {
    400: "The request cannot be read.",
    401: "No bearer token, or an unknown one (`Authorization: Bearer <token>`).",
    403: "The token's role may not do this.",
    404: "Not found (or not visible to the caller).",
    409: "Conflicts with the current state.",
    422: "The field and the reason, for every problem found.",
}


def problems(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with its documented body (`problems(404, d404="no such lead")`)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        model = ValidationProblem if code == 422 else Problem
        out[code] = {"model": model, "description": descriptions.get(f"d{code}", DESCRIPTIONS.get(code, ""))}
    return out


def invalid(field: str, reason: str) -> HTTPException:
    """A 422 for one input that only a route (not the schema) can judge, in the documented shape."""
    return HTTPException(422, [{"field": field, "reason": reason}])


_FIELD_PATH = re.compile(r"^[\w.\[\]-]+$")


def rejections(message: str | list) -> list[dict[str, str]]:
    """A handler's `field: reason[; field: reason]` message as field errors (already a list: unchanged)."""
    if isinstance(message, list):
        return message
    out = []
    for part in filter(None, (p.strip() for p in message.split("; "))):
        field, sep, reason = part.partition(": ")
        out.append({"field": field, "reason": reason} if sep and _FIELD_PATH.match(field)
                   else {"field": "(body)", "reason": part})
    return out or [{"field": "(body)", "reason": "invalid"}]


_LOCATIONS = ("body", "query", "path", "header", "cookie")


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """pydantic errors as [{field, reason}]: a dotted path without FastAPI's location prefix, a readable reason."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in _LOCATIONS:
            loc = loc[1:]
        if err.get("type") == "json_invalid":  # loc holds the character position, not a field
            out.append({"field": "(body)", "reason": f"{err['msg']} (at character {'.'.join(loc) or 0})"})
            continue
        out.append({"field": ".".join(loc) or "(body)", "reason": _reason(err), **error_facts(err)})
    return out


def error_facts(err: Mapping[str, Any]) -> dict[str, Any]:
    """pydantic's error type and the limits it names (JSON scalars only), so a client can word the reason in
    its reader's language; additive to {field, reason}."""
    facts: dict[str, Any] = {"type": err["type"]} if err.get("type") else {}
    ctx = {k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, str | int | float | bool)}
    if ctx:
        facts["ctx"] = ctx
    return facts


def _reason(err: Mapping[str, Any]) -> str:
    if err.get("type") == "string_pattern_mismatch" and (err.get("ctx") or {}).get("pattern") == NO_NUL:
        return "must not contain NUL characters (\\x00)"
    return str(err.get("msg", "invalid")).removeprefix("Value error, ")


async def _invalid_request(_: Request, err: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": field_errors(err.errors())}, status_code=422)


async def _http_problem(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Every HTTPException in its documented shape (a 422 always as a list of field errors)."""
    detail: Any = exc.detail
    if exc.status_code == 422:
        detail = rejections(detail if isinstance(detail, list) else str(detail))
    elif not isinstance(detail, str):
        detail = str(detail)
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


# --- authentication and documentation ----------------------------------------------------------------------

# auto_error=False: a missing token answers our 401 (with WWW-Authenticate), not FastAPI's 403.
bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`; a token is one organisation "
                                                  "with one role (rom, coordinator, municipality, province, ministry)"
                                                  ", or a person's 60-second token signed by the workbench.")


def bearer_caller(tokens: dict[str, Caller], persons: PersonTokens | None = None) -> Callable[..., Caller]:
    """The dependency routes use to learn who calls (declared as HTTP bearer auth in the OpenAPI document):
    a system client by its static token, or a person by the short-lived token the workbench signs for them."""

    def caller(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
        return authenticate(credentials.credentials if credentials else None, tokens, persons)

    return caller


def install_conventions(app: FastAPI) -> None:
    """Error bodies in the shared shape, and every OpenAPI operation listing the errors it answers."""
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_problem)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_REF = "#/components/schemas/{model}"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def document_errors(doc: dict[str, Any]) -> dict[str, Any]:
    """401/403 on every operation that takes the bearer token, 422 as field errors wherever there is input."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, ValidationProblem):
        found = model.model_json_schema(ref_template=_REF)
        schemas.update(found.pop("$defs", {}))
        schemas[model.__name__] = found
    for operation in _operations(doc):
        responses = operation.setdefault("responses", {})
        implied = [401, 403] if operation.get("security") else []
        if operation.get("requestBody"):
            implied.append(400)  # a body that is not text in the declared encoding cannot even be parsed
        if operation.get("parameters") or operation.get("requestBody") or "422" in responses:
            implied.append(422)
        for code in implied:
            if code == 422 or str(code) not in responses:
                responses[str(code)] = _documented(code, responses.get(str(code), {}).get("description"))
        for code, response in responses.items():
            _errors_are_json(code, response)
    if "HTTPValidationError" not in json.dumps(doc["paths"]):  # FastAPI's default shape, no longer answered
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return doc


def _operations(doc: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for item in doc.get("paths", {}).values():
        yield from (item[m] for m in _METHODS if m in item)


def _errors_are_json(code: str, response: dict[str, Any]) -> None:
    """Every 4xx is answered by the handlers above, as JSON in the shared shape: a route that only described it
    (no body), or that answers HTML or CSV otherwise, still documents that body."""
    if not code.startswith("4"):
        return
    content = response.get("content")
    if not content:
        response["content"] = _documented(int(code) if code.isdigit() else 400, None)["content"]
    elif "application/json" not in content:
        response["content"] = {"application/json": next(iter(content.values()))}


def _documented(code: int, description: str | None) -> dict[str, Any]:
    model = ValidationProblem if code == 422 else Problem
    default = DESCRIPTIONS.get(code, "") if code != 422 or description in (None, "Validation Error") else description
    return {"description": default,
            "content": {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}}}
