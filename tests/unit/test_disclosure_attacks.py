"""Attacks on the disclosure policy (docs/disclosure.md) over generated small histories (the programme's scale).

The attacker holds the ministry's view at many as-of dates and subtracts: the same figure at two dates, a
total minus its visible parts, and the CSV. Ground truth — which companies stand behind each figure, and with
what amount — comes from folding each company's own events alone (every figure is a sum of what each company
contributes); no difference may stand for 1 or 2 companies, no amount difference may be dominated by one.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting.disclosure import releases as rel
from services.reporting.disclosure.rules import DOMINANCE_P
from services.reporting.disclosure.views import PARTS, TOTAL, Disclosure, csv_rows, group_cells
from services.reporting.domain.facts import fact_of
from services.reporting.domain.periods import programme_periods
from services.reporting.domain.projection import figures_from_facts
from services.reporting.synthetic import (
    DOMAINS,
    REGIONS,
    case_closed,
    case_opened,
    lead_registered,
    match_proposed,
    relocation_realised,
)

START = datetime(2025, 1, 10, 12, tzinfo=UTC)
PERIOD_ENDS = [p.end for p in programme_periods()]
SINGLE_VALUED = ("leads_by_origin_region", "leads_by_stage", "cases_by_origin_region", "cases_by_stage")

company = st.fixed_dictionaries({
    "day": st.integers(0, 1400), "region": st.sampled_from(REGIONS), "stage": st.sampled_from(["startup", "scale-up"]),
    "domain": st.sampled_from(DOMAINS[:4]), "case_after": st.none() | st.integers(1, 200),
    "moved_after": st.none() | st.integers(1, 400), "destination": st.sampled_from(REGIONS),
    "investment": st.integers(1, 400).map(lambda m: m * 1e6), "verified": st.booleans(),
    "corrected": st.none() | st.integers(1, 300)})


def events_of(companies: list[dict], only: int | None = None):
    for n, c in enumerate(companies):
        if only is not None and n != only:
            continue
        ref, lead, case = f"ref-{n:04d}", uuid.uuid4(), uuid.uuid4()
        at = START + timedelta(days=c["day"])
        yield lead_registered(at, company=ref, region=c["region"], stage=c["stage"], domains=(c["domain"],),
                              lead_id=lead, case_id=case if c["case_after"] else None)
        if not c["case_after"]:
            continue
        opened = at + timedelta(days=c["case_after"])
        yield case_opened(opened, case_id=case, lead_id=lead, company=ref, signalled_at=at, region=c["region"],
                          stage=c["stage"], domains=(c["domain"],))
        yield match_proposed(opened + timedelta(days=3), case_id=case, origin=c["region"], regions=(c["destination"],))
        if c["moved_after"]:
            moved = opened + timedelta(days=c["moved_after"])
            status = "verified" if c["verified"] else "estimated"
            yield relocation_realised(moved, case_id=case, origin=c["region"], destination=c["destination"],
                                      investment=c["investment"], status=status, new_scale_up=True)
            yield case_closed(moved, case_id=case, outcome="relocated", origin=c["region"])
            if c["corrected"]:  # a later record corrects the amount: a change of one company's contribution
                yield relocation_realised(moved + timedelta(days=c["corrected"]), case_id=case, origin=c["region"],
                                          destination=c["destination"], investment=c["investment"] * 1.5,
                                          status=status, new_scale_up=True)


class Truth:
    """The figures of the whole history, and of each company alone (what it contributes to every cell)."""

    def __init__(self, companies: list[dict], dates: list[date]) -> None:
        self.all = figures_from_facts(map(fact_of, events_of(companies)), dates)
        self.solo = [figures_from_facts(map(fact_of, events_of(companies, only=n)), dates)
                     for n in range(len(companies))]

    def __getitem__(self, moment: date):
        return self.all[moment]

    def in_cells(self, moment: date, name: str, keys) -> list[float]:
        """Per company, what it contributes to the sum of these cells of a breakdown."""
        return [sum(group_cells(solo[moment]).get(name, {}).get(k, ZERO).value for k in keys) for solo in self.solo]

    def amounts(self, moment: date, indicator: str) -> list[float]:
        return [solo[moment].impact[indicator].value for solo in self.solo]


class _Zero:
    value = 0


ZERO = _Zero()


def moved(before: list[float], after: list[float]) -> list[float]:
    return [b - a for a, b in zip(before, after, strict=True) if abs(b - a) > 1e-6]


def dominated(parts: list[float]) -> bool:
    sizes = sorted((abs(p) for p in parts), reverse=True)
    return bool(sizes) and sum(sizes[2:]) < DOMINANCE_P * sizes[0]


def views(truth, as_ofs):
    """The ministry's view as of each date, each built as the API builds it: from the release moments before it."""
    out = {}
    for as_of in as_ofs:
        moments = {d: truth[d] for d in PERIOD_ENDS if d <= as_of}
        out[as_of] = Disclosure(moments).publish(truth[as_of])
    return out


def partition(group) -> list[frozenset[str]]:
    return [frozenset(c.members) if c.key == rel.OTHER else frozenset([c.key]) for c in group.cells]


histories = st.lists(company, min_size=6, max_size=10)
as_of_days = st.lists(st.integers(0, 1460), min_size=3, max_size=6)
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(histories, as_of_days)
def test_no_difference_of_two_as_of_dates_isolates_a_company(companies, days):
    as_ofs = sorted({date(2025, 1, 1) + timedelta(days=d) for d in days} | set(PERIOD_ENDS))
    truth = Truth(companies, as_ofs)
    seen = views(truth, as_ofs)
    for i, early in enumerate(as_ofs):
        for late in as_ofs[i + 1:]:
            a, b = seen[early], seen[late]
            for name, group in b.groups.items():
                before = a.groups.get(name)
                if before is None or before.released_as_of is None or group.released_as_of is None:
                    continue
                for component in rel.components(partition(before), partition(group)):
                    change = moved(truth.in_cells(before.released_as_of, name, component),
                                   truth.in_cells(group.released_as_of, name, component))
                    assert not sum(change) or len(change) >= 3, (name, early, late, sorted(component), change)
            amounts_a = {r.indicator: r for r in a.impact}
            for row in b.impact:
                old = amounts_a[row.indicator]
                if row.indicator in (TOTAL, *PARTS.values()) and row.band and old.band:
                    change = moved(truth.amounts(old.released_as_of, row.indicator),
                                   truth.amounts(row.released_as_of, row.indicator))
                    assert not change or (len(change) >= 3 and not dominated(change)), (row.indicator, early, late)


@SETTINGS
@given(histories)
def test_every_shown_figure_stands_for_nobody_or_three_companies_and_totals_minus_parts_too(companies):
    truth = Truth(companies, PERIOD_ENDS)
    for as_of, view in views(truth, PERIOD_ENDS).items():
        national = truth[as_of].impact["leads_in_portfolio"].value
        for name, group in view.groups.items():
            if group.released_as_of is None:
                continue
            for cell in group.cells:
                keys = cell.members if cell.key == rel.OTHER else [cell.key]
                behind = [v for v in truth.in_cells(group.released_as_of, name, keys) if v]
                assert not behind or len(behind) >= 3, (name, cell)
            if name == "leads_by_origin_region" and group.released_as_of == as_of:
                visible = sum(c.value for c in group.cells if c.key != rel.OTHER)
                rest = national - visible  # the total minus its visible parts is the merged cell, a safe one
                merged = next((c for c in group.cells if c.key == rel.OTHER), None)
                assert rest == (merged.value if merged else 0)
        for row in view.impact:
            if row.band is not None:
                shares = [v for v in truth.amounts(row.released_as_of, row.indicator) if v]
                assert not shares or (len(shares) >= 3 and not dominated(shares))
                assert row.band.low <= sum(shares) <= max(row.band.high, row.band.low)


@settings(max_examples=15, deadline=None)
@given(histories)
def test_the_csv_carries_only_what_the_view_shows_and_no_reference(companies):
    truth = Truth(companies, PERIOD_ENDS)
    view = views(truth, [date(2028, 12, 31)])[date(2028, 12, 31)]
    text = io.StringIO()
    csv.writer(text).writerows(csv_rows(view))
    body = text.getvalue()
    assert "ref-" not in body
    parsed = list(csv.reader(io.StringIO(body)))
    shown_groups = {(name, c.key): c.value for name, g in view.groups.items() for c in g.cells}
    for section, group, key, value in parsed:
        if section == "breakdown":
            assert float(value) == shown_groups[(group, key)]
        if section == "impact" and group in (TOTAL, *PARTS.values()):
            assert key in ("band_low", "band_high", "released_as_of", "target_pro_rata", "status")


def test_a_planted_leak_is_caught_a_single_new_relocation_between_two_half_years():
    """The test above catches a policy without the change rule: three relocations in H1, one more in H2."""
    companies = [{"day": d, "region": "oost", "stage": "startup", "domain": DOMAINS[0], "case_after": 5,
                  "moved_after": m, "destination": "zuid", "investment": 50e6, "verified": False, "corrected": None}
                 for d, m in ((10, 20), (15, 25), (20, 30), (30, 250))]
    truth = Truth(companies, PERIOD_ENDS)
    h1, h2 = date(2025, 6, 30), date(2025, 12, 31)
    assert len(moved(truth.amounts(h1, TOTAL), truth.amounts(h2, TOTAL))) == 1  # the naive leak exists
    view = views(truth, [date(2025, 6, 30), date(2025, 12, 31)])
    first = {r.indicator: r for r in view[date(2025, 6, 30)].impact}[TOTAL]
    second = {r.indicator: r for r in view[date(2025, 12, 31)].impact}[TOTAL]
    assert first.band is not None and second.released_as_of == first.released_as_of == date(2025, 6, 30)
    assert view[date(2025, 12, 31)].impact[0].value == 4  # the headline count itself goes out as it is
