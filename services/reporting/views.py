"""HTTP response bodies of reporting's own routes (the published figures' views: disclosure/views.py,
outlook/views.py; the notes': qualitative/api.py)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, RootModel

from services.reporting.disclosure.views import Band, Published


class EventCounts(RootModel[dict[str, int]]):
    """How many events of each type reporting has counted, by topic (every topic, 0 when none yet)."""

    model_config = {"json_schema_extra": {"examples": [{"lead-registered": 12, "case-opened": 9}]}}


class Correction(BaseModel):
    indicator: str
    reported_value: float | None
    reported_band: Band | None
    current_value: float | None
    current_band: Band | None


class SnapshotSummary(BaseModel):
    period: str
    as_of: str
    reported_by: str
    reported_at: datetime


class Frozen(BaseModel):
    period: str
    as_of: date
    figures: Published


class ReportedPeriod(BaseModel):
    period: str
    as_of: str
    reported_at: datetime
    reported_by: str
    as_reported: Published
    current: Published
    corrections: list[Correction]
    late_events_since_report: int = Field(description="Events of the half-year that arrived after it was reported")
    late_events_by_topic: dict[str, int]
