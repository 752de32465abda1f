"""The pipeline benchmark's backlog summary: per stage the mean and peak of the leads waiting there."""

from __future__ import annotations

from bench.pipeline import STAGES, Backlog


def test_each_stage_gets_the_mean_and_peak_of_its_own_column() -> None:
    backlog = Backlog("postgresql://unused", sent=100)
    backlog.samples = [(100, 0, 0, 0), (40, 10, 30, 2), (0, 0, 8, 40)]
    summary = backlog.summary()
    assert list(summary) == list(STAGES)
    assert [s["peak"] for s in summary.values()] == [100, 10, 30, 40]
    assert [round(s["mean"], 2) for s in summary.values()] == [46.67, 3.33, 12.67, 14.0]


def test_no_samples_give_zeros_not_an_error() -> None:
    assert all(s == {"mean": 0.0, "peak": 0} for s in Backlog("postgresql://unused", sent=1).summary().values())


def test_the_machine_is_busy_for_what_is_neither_idle_nor_waiting_nor_stolen() -> None:
    from collections import namedtuple

    from bench.pipeline import _busy

    times = namedtuple("scputimes", "user system idle iowait steal guest")
    before, after = times(10, 5, 100, 1, 0, 0), times(70, 15, 120, 11, 40, 7)  # 60+10 busy, 20+10 not, 40 stolen
    assert _busy(before, after) == 70 / 100
    assert _busy(before, before) == 0.0
