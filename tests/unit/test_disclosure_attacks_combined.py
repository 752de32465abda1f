"""Attacks on the disclosure policy that combine many releases and several breakdowns (docs/disclosure.md).

The releases are the half-year ends and the dates of frozen reports in between (as the API has them), so a
history has up to eleven. The attacker subtracts any two of them, takes totals minus their visible parts in
every breakdown that adds up to a national count, and combines the region and the technology-domain breakdowns
of the same companies (their contingency table): no figure it gets may stand for one or two companies. Ground
truth, as in test_disclosure_attacks.py: each company's own events folded alone.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting.disclosure import releases as rel
from services.reporting.disclosure.views import PARTS, TOTAL, Disclosure
from tests.unit.test_disclosure_attacks import (
    PERIOD_ENDS,
    SINGLE_VALUED,
    Truth,
    dominated,
    histories,
    moved,
    partition,
)

NATIONAL = {"leads": "leads_in_portfolio", "cases": "cases_in_execution"}
report_days = st.lists(st.integers(0, 1460), min_size=1, max_size=3)
SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def release_moments(days: list[int]) -> list[date]:
    return sorted({date(2025, 1, 1) + timedelta(days=d) for d in days} | set(PERIOD_ENDS))


def disclosures(truth: Truth, moments: list[date]) -> dict[date, Disclosure]:
    """As the API builds the view as of each release: from the release moments up to it."""
    return {m: Disclosure({d: truth[d] for d in moments if d <= m}) for m in moments}


def safe(change: list[float]) -> bool:
    return not sum(change) or len(change) >= 3


@SETTINGS
@given(histories, report_days)
def test_no_two_of_many_releases_subtracted_isolate_a_company(companies, days):
    moments = release_moments(days)
    truth = Truth(companies, moments)
    seen = {m: d.publish(truth[m]) for m, d in disclosures(truth, moments).items()}
    for i, early in enumerate(moments):
        for late in moments[i + 1:]:
            a, b = seen[early], seen[late]
            for name, group in b.groups.items():
                before = a.groups.get(name)
                if before is None or before.released_as_of is None or group.released_as_of is None:
                    continue
                for component in rel.components(partition(before), partition(group)):
                    change = moved(truth.in_cells(before.released_as_of, name, component),
                                   truth.in_cells(group.released_as_of, name, component))
                    assert safe(change), (name, early, late, sorted(component), change)
            old = {r.indicator: r for r in a.impact}
            for row in b.impact:
                if row.indicator in (TOTAL, *PARTS.values()) and row.band and old[row.indicator].band:
                    change = moved(truth.amounts(old[row.indicator].released_as_of, row.indicator),
                                   truth.amounts(row.released_as_of, row.indicator))
                    assert not change or (len(change) >= 3 and not dominated(change)), (row.indicator, early, late)


def national_minus_visible(truth: Truth, view, name: str) -> tuple[float, list[float]] | None:
    """The national count at a breakdown's release minus its visible cells, and who stands behind the rest."""
    group = view.groups.get(name)
    if group is None or group.released_as_of is None:
        return None
    at = group.released_as_of
    national = truth[at].impact[NATIONAL[name.split("_")[0]]].value
    visible = [c.key for c in group.cells if c.key != rel.OTHER]
    rest_keys = sorted({k for k in truth[at].breakdowns[name]} - set(visible))
    behind = [v for v in truth.in_cells(at, name, rest_keys) if v]
    return national - sum(c.value for c in group.cells if c.key != rel.OTHER), behind


@SETTINGS
@given(histories, report_days)
def test_a_national_count_minus_the_visible_cells_of_any_breakdown_stands_for_nobody_or_three(companies, days):
    moments = release_moments(days)
    truth = Truth(companies, moments)
    views = {m: d.publish(truth[m]) for m, d in disclosures(truth, moments).items()}
    for moment, view in views.items():
        for name in SINGLE_VALUED:
            found = national_minus_visible(truth, view, name)
            if found is None:
                continue
            rest, behind = found
            assert rest == sum(behind), (name, moment)  # single-valued: the rest is exactly the others' count
            assert not behind or len(behind) >= 3, (name, moment, behind)
    # And between two releases: the change of the national count minus the change of the visible cells.
    for i, early in enumerate(moments):
        for late in moments[i + 1:]:
            for name in SINGLE_VALUED:
                a, b = views[early].groups.get(name), views[late].groups.get(name)
                if not a or not b or a.released_as_of is None or b.released_as_of is None:
                    continue
                visible = {c.key for c in a.cells if c.key != rel.OTHER} & {c.key for c in b.cells
                                                                            if c.key != rel.OTHER}
                rest = sorted((set(truth[b.released_as_of].breakdowns[name])
                               | set(truth[a.released_as_of].breakdowns[name])) - visible)
                change = moved(truth.in_cells(a.released_as_of, name, rest),
                               truth.in_cells(b.released_as_of, name, rest))
                assert safe(change), (name, early, late, change)


def pinned(rows: list[float], columns: list[float], total: float) -> list[tuple[int, int, float]]:
    """Cells of a table with these margins that the margins pin to 1 or 2 (the Fréchet bounds meet there).

    Any table with non-negative counts, row sums `rows`, column sums `columns` and `total` has cell (i, j)
    between max(0, r + c - total) and min(r, c); where the bounds leave only 1 or 2, the cell is disclosed."""
    found = []
    for i, r in enumerate(rows):
        for j, c in enumerate(columns):
            low, high = max(0.0, r + c - total), min(r, c)
            if 1 <= low and high <= 2:
                found.append((i, j, low))
    return found


def margins(group) -> list[float]:
    return [c.value for c in group.cells]


@SETTINGS
@given(histories, report_days)
def test_region_and_domain_together_never_pin_a_cell_of_their_table_to_one_or_two_companies(companies, days):
    # In these histories every company has one region and one domain, so both breakdowns partition the same
    # companies: an attacker who knows that can bound every region x domain cell from the two (Fréchet).
    moments = release_moments(days)
    truth = Truth(companies, moments)
    views = {m: d.publish(truth[m]) for m, d in disclosures(truth, moments).items()}
    released = []
    for moment, view in views.items():
        regions, domains = view.groups["leads_by_origin_region"], view.groups["leads_by_technology_domain"]
        if regions.released_as_of is None or regions.released_as_of != domains.released_as_of:
            continue
        total = truth[regions.released_as_of].impact["leads_in_portfolio"].value
        assert not pinned(margins(regions), margins(domains), total), (moment, regions, domains)
        released.append((regions, domains, total))
    # The same for what changed between two releases with the same cells (new companies only: leads stay counted).
    for i, (r1, d1, n1) in enumerate(released):
        for r2, d2, n2 in released[i + 1:]:
            if partition(r1) != partition(r2) or partition(d1) != partition(d2):
                continue
            rows = [b - a for a, b in zip(margins(r1), margins(r2), strict=True)]
            columns = [b - a for a, b in zip(margins(d1), margins(d2), strict=True)]
            assert not pinned(rows, columns, n2 - n1), (r1.released_as_of, r2.released_as_of, rows, columns)
