"""The supply catalogue held in memory as numpy columns, so one case is scored against all sites at once."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from services.matching.domain.sites import ACCESS, CONGESTION, DOMAINS, ENV_CATEGORIES, REGIONS, Site

NEVER = np.iinfo(np.int32).max  # a date that never comes (no planned land, no reinforcement)
ALWAYS = np.iinfo(np.int32).min  # available since forever
NAN = np.float32("nan")

# Numeric columns (float32, NaN = unknown) and the Site attribute each one reads.
FLOATS = {"floor_now": "floor_space_m2", "planned_m2": "planned_floor_space_m2", "lot": "largest_lot_m2",
          "cleanroom_m2": "cleanroom_m2", "mw_now": "grid_mw_available", "mw_after": "grid_mw_after_reinforcement",
          "grads_mbo": "graduates_mbo", "grads_hbo": "graduates_hbo", "grads_wo": "graduates_wo",
          "tightness": "labour_market_tightness", "housing": "housing_pressure",
          "knowledge_km": "knowledge_distance_km"}
DAYS = {"planned_from": ("planned_available_from", NEVER), "available_from": ("available_from", ALWAYS),
        "reinforce_from": ("grid_reinforcement_date", NEVER)}
SMALL = ("iso", "vibration", "env_max", "facility", "congestion", "fieldlabs", "region")


@functools.lru_cache(maxsize=4096)
def day(value: date | str | None, default: int) -> int:
    """Days since 1970-01-01 (int32 in the columns); remembered, since every case asks for the same few dates
    many times (parsing one through numpy costs more than the rest of a small catalogue's constraint check)."""
    if value is None:
        return default
    return int(np.datetime64(value, "D").astype(np.int64))


def bitmask(values, universe: tuple[str, ...]) -> int:
    return sum(1 << universe.index(str(getattr(v, "value", v))) for v in values)


def _small_values(site: Site) -> dict[str, float]:
    """The coded columns: NaN stands for unknown, except where 'none' is itself a fact."""
    env = site.environmental_category_max
    return {
        "iso": NAN if site.cleanroom_iso_class is None else site.cleanroom_iso_class,
        "vibration": NAN if site.vibration_free is None else float(site.vibration_free),
        "env_max": NAN if env is None else ENV_CATEGORIES.index(str(getattr(env, "value", env))),
        "facility": {None: 0, "shared": 1, "own": 2}[site.cleanroom_facility],
        "congestion": NAN if site.grid_congestion is None else CONGESTION.index(site.grid_congestion),
        "fieldlabs": len(site.fieldlabs),
        "region": REGIONS.index(str(getattr(site.region, "value", site.region))),
    }


def row_of(site: Site) -> dict[str, float | int]:
    """One site as the values of every column."""
    row: dict[str, float | int] = {col: (NAN if getattr(site, attr) is None else getattr(site, attr))
                                   for col, attr in FLOATS.items()}
    row |= {col: day(getattr(site, attr), default) for col, (attr, default) in DAYS.items()}
    row |= _small_values(site)
    row["access"] = bitmask(site.accessibility, ACCESS)
    row["clusters"] = bitmask(site.clusters, DOMAINS)
    return row


DTYPES = {**dict.fromkeys(FLOATS, np.float32), **dict.fromkeys(DAYS, np.int32),
          **dict.fromkeys(("iso", "vibration", "env_max", "congestion"), np.float32),
          "facility": np.int8, "fieldlabs": np.int16, "region": np.int8, "access": np.uint8, "clusters": np.uint16}


class Labels:
    """(name, province, municipality_code) per row, kept as three lists: a million tuples made the garbage
    collector walk them again and again while a national catalogue loaded."""

    def __init__(self, names: list[str], provinces: list[str], municipalities: list[str]) -> None:
        self.names, self.provinces, self.municipalities = names, provinces, municipalities

    @classmethod
    def of(cls, labels) -> Labels:
        if isinstance(labels, Labels):
            return labels
        names, provinces, municipalities = (list(col) for col in zip(*labels, strict=True)) if labels else ([], [], [])
        return cls(names, provinces, municipalities)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: int) -> tuple[str, str, str]:
        return self.names[i], self.provinces[i], self.municipalities[i]

    def __setitem__(self, i: int, label: tuple[str, str, str]) -> None:
        self.names[i], self.provinces[i], self.municipalities[i] = label

    def __delitem__(self, i: int) -> None:
        del self.names[i], self.provinces[i], self.municipalities[i]

    def __iter__(self):
        return zip(self.names, self.provinces, self.municipalities, strict=True)

    def __eq__(self, other) -> bool:
        return list(self) == list(Labels.of(other))

    def append(self, label: tuple[str, str, str]) -> None:
        for column, value in zip((self.names, self.provinces, self.municipalities), label, strict=True):
            column.append(value)

    def kept(self, keep) -> Labels:
        return Labels(*([v for v, k in zip(column, keep, strict=True) if k]
                        for column in (self.names, self.provinces, self.municipalities)))


@dataclass(eq=False)
class Catalogue:
    """Column arrays plus the labels a proposal needs; patched in place when one site changes."""

    cols: dict[str, np.ndarray]
    ids: list[str]
    labels: Labels  # (name, province, municipality_code) per row; a list of tuples is taken too
    _index: dict[str, int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.labels = Labels.of(self.labels)

    @property
    def index(self) -> dict[str, int]:
        """Row of each site id, built when first asked (a patch, a re-match): not part of the start-up time."""
        if self._index is None:
            self._index = dict(zip(self.ids, range(len(self.ids)), strict=True))
        return self._index

    @classmethod
    def empty(cls) -> Catalogue:
        return cls({c: np.empty(0, dtype=t) for c, t in DTYPES.items()}, [], [])

    @classmethod
    def of(cls, sites: list[Site]) -> Catalogue:
        """The catalogue of the sites still in supply (retired ones are left out)."""
        sites = [s for s in sites if not s.retired]
        rows = [row_of(s) for s in sites]
        cols = {c: np.array([r[c] for r in rows], dtype=t) for c, t in DTYPES.items()}
        return cls(cols, [s.id for s in sites], [_label(s) for s in sites])

    @classmethod
    def from_columns(cls, cols: dict[str, np.ndarray], ids: list[str], labels: Labels) -> Catalogue:
        """The catalogue of columns read set-wise (the site table's stored records); rows that no Site could
        have produced are left out (see `valid`), so a damaged row cannot skew a score."""
        cols = {c: np.asarray(cols[c]).astype(t, copy=False) for c, t in DTYPES.items()}
        ok = valid(cols)
        if not ok.all():
            keep = np.flatnonzero(ok)
            cols = {c: a[keep] for c, a in cols.items()}
            ids, labels = [ids[i] for i in keep], Labels.of(labels).kept(ok)
        return cls(cols, ids, labels)

    def __len__(self) -> int:
        return len(self.ids)

    def apply(self, changed: Catalogue, removed: list[str]) -> None:
        """Many changes at once: drop `removed`, replace the rows of changed sites, append new ones (one copy
        of the columns for all of them, where upsert/remove copy per site)."""
        if not removed and not changed.ids:
            return
        gone = set(removed)
        if gone & self.index.keys():
            keep = np.array([sid not in gone for sid in self.ids], dtype=bool)
            self.cols = {c: a[keep] for c, a in self.cols.items()}
            self.ids = [sid for sid, k in zip(self.ids, keep, strict=True) if k]
            self.labels = self.labels.kept(keep)
            self._index = None
        at = np.array([self.index.get(sid, -1) for sid in changed.ids], dtype=np.int64)
        old, new = np.flatnonzero(at >= 0), np.flatnonzero(at < 0)
        for c, a in self.cols.items():
            a[at[old]] = changed.cols[c][old]
        for i in old:
            self.labels[at[i]] = changed.labels[i]
        if len(new):
            self.cols = {c: np.concatenate([a, changed.cols[c][new]]) for c, a in self.cols.items()}
            for i in new:
                self.index[changed.ids[i]] = len(self.ids)
                self.ids.append(changed.ids[i])
                self.labels.append(changed.labels[i])

    def upsert(self, site: Site) -> None:
        """Replace the site's row, or append it (appending copies the columns: rare, so fine); a retired site
        leaves the catalogue."""
        if site.retired:
            self.remove(site.id)
            return
        row = row_of(site)
        i = self.index.get(site.id)
        if i is None:
            self.cols = {c: np.append(a, np.array([row[c]], dtype=a.dtype)) for c, a in self.cols.items()}
            self.index[site.id] = len(self.ids)
            self.ids.append(site.id)
            self.labels.append(_label(site))
            return
        for c, a in self.cols.items():
            a[i] = row[c]
        self.labels[i] = _label(site)

    def remove(self, site_id: str) -> None:
        """Take a site out (retired or deleted); copies the columns like an append, and keeps the order."""
        i = self.index.get(site_id)
        if i is None:
            return
        self.cols = {c: np.delete(a, i) for c, a in self.cols.items()}
        del self.ids[i], self.labels[i]
        self._index = None

    def region_of(self, i: int) -> str:
        return REGIONS[int(self.cols["region"][i])]


def valid(cols: dict[str, np.ndarray]) -> np.ndarray:
    """Rows a validated Site can produce: a known region, no negative quantity, a housing pressure in 0..1, codes
    in range (NaN, unknown, passes every check)."""
    ok = (cols["region"] >= 0) & (cols["region"] < len(REGIONS))
    for c in FLOATS:
        ok &= ~(cols[c] < 0)
    ok &= ~(cols["housing"] > 1) & ~(cols["iso"] < 1) & ~(cols["iso"] > 9)
    ok &= ~(cols["env_max"] < 0) & ~(cols["congestion"] < 0) & (cols["facility"] >= 0) & (cols["facility"] <= 2)
    return ok


def _label(site: Site) -> tuple[str, str, str]:
    return site.name, site.province, site.municipality_code
