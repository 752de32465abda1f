"""The figures as each reader may see them: the ministry's disclosed view and the coordinator's full view.

Input: the figures (with the companies behind every cell) as of the date asked and at every release moment
up to it. National headline counts go out as they are; breakdowns, amounts and lead times as released (see
releases.py). Only numbers and category keys leave this module: no company, lead or case reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from services.reporting.disclosure import releases as rel
from services.reporting.disclosure.rules import DOMINANCE_P, MIN_COMPANIES, band
from services.reporting.domain.figures import Cell, Figures
from services.reporting.domain.periods import TARGETS, pro_rata_target

Reader = Literal["ministry", "coordinator"]
HEADLINE = ("leads_in_portfolio", "cases_in_execution", "realised_other_region", "new_scale_ups")
CONTEXT = ("realised_own_region", "cases_open")
TOTAL = "investment_retained_eur"
PARTS = {"estimated": "investment_retained_estimated_eur", "verified": "investment_retained_verified_eur"}
AMOUNTS = (TOTAL, *PARTS.values())
INDICATORS = (*HEADLINE, *AMOUNTS, *CONTEXT)
# The dimension of each breakdown says what its merged cell is called ("overige regio's", "overige domeinen").
DIMENSIONS = {"origin_region": "region", "destination_region": "region", "technology_domain": "domain",
              "demand_type": "demand_type", "stage": "stage", "flows": "flow", "outcomes": "outcome",
              "bottlenecks": "constraint", "rom": "rom", "signalled": "region", "hotspots_received": "hotspot"}


class Band(BaseModel):
    low: float = Field(description="Lower bound (EUR), inclusive.")
    high: float = Field(description="Upper bound (EUR), exclusive; equal to low for zero.")


class ImpactRow(BaseModel):
    indicator: str
    value: float | None = Field(description="Counts: the exact figure. Amounts: exact for the coordinator only.")
    band: Band | None = Field(None, description="Amounts for the ministry: the band the released amount lies in.")
    suppressed: bool = Field(description="True when nothing may be shown yet.")
    released_as_of: date | None = Field(None, description="Amounts: the release moment the figure stands for.")
    target_pro_rata: float | None = None
    target_2028: float | None = None
    share_of_pro_rata: float | None = None


class GroupCell(BaseModel):
    key: str = Field(description="Category key, or __other__ for the merged cell.")
    value: float
    members: list[str] = Field(default_factory=list, description="For the merged cell: the categories in it.")


class Group(BaseModel):
    dimension: str
    released_as_of: date | None = Field(description="The release moment shown; None: not released yet.")
    cells: list[GroupCell]


class LeadTime(BaseModel):
    cases: int | None
    median: float | None
    mean: float | None
    released_as_of: date | None


class AmountCell(BaseModel):
    key: str
    value: float | None = Field(description="Exact, for the coordinator only.")
    band: Band | None = Field(description="The band, for the ministry.")


class AmountGroup(BaseModel):
    released_as_of: date | None
    cells: list[AmountCell]


class EcosystemCounts(BaseModel):
    """National counts of one coherent ecosystem (shown as they are)."""

    cases: int
    multi_region: int = Field(description="Cases in which more than one region took part.")
    multi_region_share: float | None


class Published(BaseModel):
    """Every figure as one reader may see it, as of one date."""

    as_of: date
    reader: Reader
    impact: list[ImpactRow]
    groups: dict[str, Group]
    lead_times_days: dict[str, LeadTime]
    amount_groups: dict[str, AmountGroup] = Field(description="Investment per ROM (origin, destination).")
    ecosystem: EcosystemCounts
    no_proposition: dict[str, int] = Field(description="National counts of cases with no proposition anywhere.")
    proposal_decisions: dict[str, int]
    release_moments: list[date] = Field(description="When breakdowns and amounts may move (half-year ends and "
                                                    "frozen report dates) up to as_of.")
    policy: str


POLICY = (f"national headline counts exact; breakdowns, amounts and lead times move only at release moments and "
          f"only when at least {MIN_COMPANIES} companies stand behind each figure and its change; amounts shown "
          f"as a band, and only when no company dominates (p% rule, p = {DOMINANCE_P:.0%})")


MULTI_VALUED = ("technology_domain", "demand_type", "bottlenecks", "origin_rom", "proposed_flows")


def group_cells(figures: Figures) -> dict[str, dict[str, Cell]]:
    """Every count breakdown of the figures, by name (bottlenecks flattened to 'region: constraint')."""
    groups = dict(figures.breakdowns)
    groups["bottlenecks"] = {f"{region}: {constraint}": cell for region, cells in figures.bottlenecks.items()
                             for constraint, cell in cells.items()}
    groups |= {f"no_proposition_{name}": cells for name, cells in figures.no_proposition_breakdowns.items()}
    groups["outcomes"] = figures.outcomes
    groups |= {name: cells for name, cells in figures.credit.items() if not name.startswith("investment")}
    eco = figures.ecosystem
    groups |= {"signalled": eco.signalled, "proposed_flows": eco.proposed_flows, "hotspots_received": eco.hotspots}
    return groups


def amount_groups(figures: Figures) -> dict[str, dict[str, Cell]]:
    return {name: cells for name, cells in figures.credit.items() if name.startswith("investment")}


def multi_valued(name: str) -> bool:
    return any(part in name for part in MULTI_VALUED)


def dimension(name: str) -> str:
    return next((d for suffix, d in DIMENSIONS.items() if name.endswith(suffix)), "category")


def _amount(cell: Cell) -> tuple[float, int, tuple[float, ...]]:
    return (cell.value, cell.contributors, tuple(cell.largest))


def _target_fields(indicator: str, value: float | None, as_of: date) -> dict:
    if indicator not in TARGETS:
        return {}
    target = pro_rata_target(indicator, as_of)
    return {"target_pro_rata": round(target, 2), "target_2028": TARGETS[indicator],
            "share_of_pro_rata": round(value / target, 3) if target and value is not None else None}


def _count_row(indicator: str, cell: Cell, as_of: date) -> ImpactRow:
    return ImpactRow(indicator=indicator, value=cell.value, suppressed=False,
                     **_target_fields(indicator, cell.value, as_of))


def _amount_row(indicator: str, released: rel.AmountRelease | None, as_of: date) -> ImpactRow:
    if released is None:
        return ImpactRow(indicator=indicator, value=None, suppressed=True, **_target_fields(indicator, None, as_of))
    low, high = band(released.value)
    middle = (low + high) / 2
    return ImpactRow(indicator=indicator, value=None, band=Band(low=low, high=high), suppressed=False,
                     released_as_of=released.at, **_target_fields(indicator, middle, as_of))


class Disclosure:
    """The releases of one history up to a date, from which the ministry's view at any earlier date follows."""

    def __init__(self, moments: Mapping[date, Figures]) -> None:
        self.moments = dict(sorted(moments.items()))
        series = list(self.moments.items())
        self.amounts = {TOTAL: rel.release_amounts([(d, *_amount(f.impact[TOTAL])) for d, f in series])}
        allowed = {r.at for r in self.amounts[TOTAL]}
        self.parts = rel.release_parts([(d, {part: _amount(f.impact[name]) for part, name in PARTS.items()})
                                        for d, f in series], allowed)
        self.amount_groups = {name: rel.release_parts([(d, {k: _amount(c) for k, c in amount_groups(f).get(name, {})
                                                            .items()}) for d, f in series], allowed)
                              for name in sorted({n for f in self.moments.values() for n in amount_groups(f)})}
        names = sorted({name for f in self.moments.values() for name in group_cells(f)})
        self.groups = {name: rel.release_groups(self._history(name), multi_valued=multi_valued(name))
                       for name in names}
        stats = sorted({name for f in self.moments.values() for name in f.lead_times})
        self.lead_times = {name: rel.release_stats([(d, f.lead_times[name].cases, f.lead_times[name].total_days,
                                                     f.lead_times[name]) for d, f in series if name in f.lead_times])
                           for name in stats}

    def _history(self, name: str) -> list[tuple[date, rel.Counted]]:
        return [(moment, {k: (c.value, c.contributors) for k, c in group_cells(figures).get(name, {}).items()})
                for moment, figures in self.moments.items()]

    def impact(self, now: Figures) -> list[ImpactRow]:
        """The impact table as of `now.as_of` for the ministry."""
        rows = [_count_row(name, now.impact[name], now.as_of) for name in HEADLINE]
        total = rel.latest(self.amounts[TOTAL], now.as_of)
        rows.append(_amount_row(TOTAL, total, now.as_of))
        parts = rel.latest(self.parts, now.as_of)
        if parts is not None and (total is None or parts.at != total.at):
            parts = None  # parts of an older release beside a newer total would read as not adding up
        rows += [_amount_row(name, parts.parts[part] if parts else None, now.as_of) for part, name in PARTS.items()]
        return rows + [_count_row(name, now.impact[name], now.as_of) for name in CONTEXT]

    def group(self, name: str, as_of: date) -> Group:
        released = rel.latest(self.groups.get(name, []), as_of)
        if released is None:
            return Group(dimension=dimension(name), released_as_of=None, cells=[])
        cells = [GroupCell(key=k, value=released.values[k]) for k in released.standalone]
        if released.merged:
            cells.append(GroupCell(key=rel.OTHER, value=released.values[rel.OTHER], members=list(released.merged)))
        return Group(dimension=dimension(name), released_as_of=released.at, cells=cells)

    def lead_time(self, name: str, as_of: date) -> LeadTime:
        released = rel.latest(self.lead_times.get(name, []), as_of)
        if released is None:
            return LeadTime(cases=None, median=None, mean=None, released_as_of=None)
        stat = released.shown
        return LeadTime(cases=stat.cases, median=stat.median, mean=stat.mean, released_as_of=released.at)

    def amount_group(self, name: str, as_of: date) -> AmountGroup:
        released = rel.latest(self.amount_groups.get(name, []), as_of)
        if released is None:
            return AmountGroup(released_as_of=None, cells=[])
        cells = [AmountCell(key=k, value=None, band=Band(low=band(r.value)[0], high=band(r.value)[1]))
                 for k, r in released.parts.items()]
        return AmountGroup(released_as_of=released.at, cells=cells)

    def publish(self, now: Figures) -> Published:
        """The ministry's view as of `now.as_of` (the figures at that date, for the headline counts)."""
        return Published(
            as_of=now.as_of, reader="ministry", impact=self.impact(now),
            groups={name: self.group(name, now.as_of) for name in self.groups},
            lead_times_days={name: self.lead_time(name, now.as_of) for name in self.lead_times},
            amount_groups={name: self.amount_group(name, now.as_of) for name in self.amount_groups},
            ecosystem=ecosystem_counts(now),
            no_proposition={k: int(c.value) for k, c in now.no_proposition.items()},
            proposal_decisions=dict(now.decisions),
            release_moments=[d for d in self.moments if d <= now.as_of], policy=POLICY)


def ecosystem_counts(now: Figures) -> EcosystemCounts:
    eco = now.ecosystem
    share = eco.multi_region_share
    return EcosystemCounts(cases=int(eco.cases.value), multi_region=int(eco.multi_region.value),
                           multi_region_share=round(share, 3) if share is not None else None)


def full_view(now: Figures) -> Published:
    """The coordinator's view: every figure exact, as of the date itself (the taskforce knows every company)."""
    impact = [ImpactRow(indicator=name, value=now.impact[name].value, suppressed=False,
                        **_target_fields(name, now.impact[name].value, now.as_of)) for name in INDICATORS]
    groups = {name: Group(dimension=dimension(name), released_as_of=now.as_of,
                          cells=[GroupCell(key=k, value=c.value) for k, c in cells.items()])
              for name, cells in group_cells(now).items()}
    lead_times = {name: LeadTime(cases=s.cases, median=s.median, mean=s.mean, released_as_of=now.as_of)
                  for name, s in now.lead_times.items()}
    amounts = {name: AmountGroup(released_as_of=now.as_of, cells=[AmountCell(key=k, value=c.value, band=None)
                                                                   for k, c in cells.items()])
               for name, cells in amount_groups(now).items()}
    return Published(as_of=now.as_of, reader="coordinator", impact=impact, groups=groups, lead_times_days=lead_times,
                     amount_groups=amounts, ecosystem=ecosystem_counts(now),
                     no_proposition={k: int(c.value) for k, c in now.no_proposition.items()},
                     proposal_decisions=dict(now.decisions), release_moments=[], policy="unsuppressed")


def csv_rows(published: Published) -> list[tuple[str, str, str, str]]:
    """(section, group, key, value) rows of a view: what it shows and nothing else."""
    rows: list[tuple[str, str, str, str]] = []
    for r in published.impact:
        if r.band is not None:
            rows += [("impact", r.indicator, "band_low", f"{r.band.low:.0f}"),
                     ("impact", r.indicator, "band_high", f"{r.band.high:.0f}"),
                     ("impact", r.indicator, "released_as_of", str(r.released_as_of))]
        elif r.suppressed:
            rows.append(("impact", r.indicator, "status", "not released yet"))
        else:
            rows.append(("impact", r.indicator, "value", f"{r.value:g}"))
        if r.target_pro_rata is not None:
            rows.append(("impact", r.indicator, "target_pro_rata", f"{r.target_pro_rata:g}"))
    for name, group in published.groups.items():
        rows += [("breakdown", name, c.key, f"{c.value:g}") for c in group.cells]
        if group.released_as_of:
            rows.append(("released_as_of", name, "", str(group.released_as_of)))
    for name, t in published.lead_times_days.items():
        if t.released_as_of:
            rows += [("lead_time_days", name, part, "" if v is None else f"{v:g}")
                     for part, v in (("cases", t.cases), ("median", t.median), ("mean", t.mean))]
    rows += [("no_proposition", "cases", k, str(v)) for k, v in published.no_proposition.items()]
    return rows


class TrendPoint(BaseModel):
    period: str
    as_of: date
    future: bool = Field(False, description="A half-year still to come: targets only.")
    impact: list[ImpactRow]


def future_points(as_of: date) -> list[TrendPoint]:
    """The half-years after `as_of`: no figures yet, only the pro-rata targets due by their end."""
    from services.reporting.domain.periods import programme_periods

    return [TrendPoint(period=p.name, as_of=p.end, future=True, impact=[
        ImpactRow(indicator=name, value=None, suppressed=False, **_target_fields(name, None, p.end))
        for name in TARGETS]) for p in programme_periods() if p.start > as_of]
