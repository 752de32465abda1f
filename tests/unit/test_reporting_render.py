"""Dashboard and report pages: self-contained HTML with inline SVG, for any history (even an empty one)."""

from __future__ import annotations

import re
from datetime import date

from services.reporting.domain.disclosure import impact_rows, publish
from services.reporting.domain.facts import fact_of
from services.reporting.domain.periods import parse_period, programme_periods
from services.reporting.domain.projection import figures_from_facts
from services.reporting.projections import future_targets
from services.reporting.render import html
from services.reporting.synthetic import history


def computed(as_of: date, events: int):
    ends = [min(p.end, as_of) for p in programme_periods() if p.start <= as_of]
    got = figures_from_facts(map(fact_of, history(events, seed=3)), [*ends, as_of])
    trend = [{"period": p.name, "as_of": str(min(p.end, as_of)), "impact": impact_rows(got[min(p.end, as_of)])}
             for p in programme_periods() if p.start <= as_of]
    return publish(got[as_of]), trend + future_targets(as_of)


def external_references(page: str) -> list[str]:
    """Anything the browser would fetch: src/href to another origin, CSS imports or url()s."""
    found = re.findall(r'(?:src|href)="(?:https?:)?//[^"]+"|@import|url\((?!#)', page)
    return found


def test_the_dashboard_loads_nothing_from_outside_and_draws_every_chart():
    figures, trend = computed(date(2026, 6, 30), 400)
    page = html.dashboard(figures, trend, csv_link="/metrics/figures.csv?as_of=2026-06-30")
    assert not external_references(page)
    assert page.count("<svg") >= 5 + 5 + 2  # progress bars, trends, map and bottlenecks
    assert "Where leads come from and where they land" in page and "2026-06-30" in page


def test_pages_render_before_the_programme_starts():
    figures, trend = computed(date(2024, 12, 31), 50)
    assert [t['period'] for t in trend] == [p.name for p in programme_periods()]
    assert all(t['future'] for t in trend)
    page = html.report(figures, trend, parse_period("2025-H1"))
    assert "June progress report 2025" in page and not external_references(page)


def test_the_final_report_is_named_so():
    figures, trend = computed(date(2028, 12, 31), 200)
    page = html.report(figures, trend, parse_period("2028-H2"))
    assert "Final report and December progress report 2028" in page and "The year 2028" in page
