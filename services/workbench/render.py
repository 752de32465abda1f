"""Pages from Jinja2 templates, in the reader's language, each with this browser's CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.workbench import explanations, i18n, triage
from services.workbench.labels import COLUMN_LABELS, FIELD_LABELS, LABELS, column_key, municipality
from services.workbench.security import CSRF_FIELD, CSRF_HEADER, Csrf, Person

TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE = "wb_lang"


def language(request: Request) -> str:
    return i18n.choose(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                       request.headers.get("accept-language"))


class Pages:
    def __init__(self, csrf: Csrf, *, asset_version: str) -> None:
        self.csrf = csrf
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["j2", "html"]),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.asset_version = asset_version

    def render(self, request: Request, template: str, *, person: Person | None, status: int = 200,
               **context: Any) -> HTMLResponse:
        lang = language(request)
        catalogue = i18n.translations(lang)
        gettext = catalogue.gettext
        binding, new = self.csrf.binding(request)
        html = self.env.get_template(template).render(
            _=gettext, ngettext=catalogue.ngettext, lang=lang, person=person, csrf_field=CSRF_FIELD,
            csrf_header=CSRF_HEADER,
            csrf_token=self.csrf.token(binding), path=request.url.path, moment=lambda v: i18n.moment(v, lang),
            label=lambda value: gettext(LABELS[value]) if value in LABELS else value,
            field_label=lambda name: gettext(FIELD_LABELS[name]) if name in FIELD_LABELS else name,
            column_label=lambda name: (gettext(COLUMN_LABELS[column_key(name)]) if column_key(name) in COLUMN_LABELS
                                       else name),
            what_if=lambda miss: explanations.counterfactuals(miss, gettext, lang),
            why_it_fits=lambda proposal: explanations.why_it_fits(proposal, catalogue, lang),
            triage=lambda lead: triage.triage(lead, catalogue, lang),
            decimal=lambda value, places=2: explanations.decimal(value, places, lang),
            in_region=lambda fact: explanations.in_region(fact, catalogue, lang),
            day=lambda value: explanations.day(value, lang), number=lambda value: explanations.number(value, lang),
            municipality=municipality, assets=self.asset_version, **context)
        response = HTMLResponse(html, status_code=status)
        if new:
            self.csrf.set_cookie(response, binding)
        if request.query_params.get("lang") in i18n.LOCALES:
            response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="lax", max_age=365 * 24 * 3600,
                                secure=not self.csrf.settings.development)
        return response
