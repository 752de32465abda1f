"""Reporting: KPI projections built only from events; the ministry pulls aggregates."""
