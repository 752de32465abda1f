"""`python -m services.reporting rebuild [--from-kafka] | report --period 2026-H2 --out DIR`.

(serve and migrate as every service)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.reporting.config import ReportingSettings

console = Console(stderr=True)


def _rebuild(settings: ReportingSettings, *, from_kafka: bool) -> int:
    from services.reporting.rebuild import rebuild_from_facts, rebuild_from_kafka

    if not from_kafka:
        with console.status("folding the stored facts into fresh projections"):
            result = asyncio.run(rebuild_from_facts(settings))
        console.print(f"[green]rebuilt[/green] from the fact table: {result.facts} facts folded"
                      + ("" if result.facts else " (the fact table is empty: --from-kafka replays the topics)"))
        return 0
    columns = (TextColumn("replaying topics"), BarColumn(), MofNCompleteColumn(), TextColumn("events"),
               TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("replay", total=None)
        result = asyncio.run(rebuild_from_kafka(
            settings, progress=lambda done, total: bar.update(task, completed=done, total=total)))
    console.print(f"[green]rebuilt[/green]: {result.records} events read, {result.facts} facts stored, "
                  f"{result.skipped_invalid} invalid skipped")
    return 0


def _report(settings: ReportingSettings, period: str, out: Path, pdf: bool, as_reported: bool) -> int:
    from services.reporting.reports import write_report

    with console.status(f"building the report for {period}"):
        written = asyncio.run(write_report(settings, period, out, pdf=pdf, as_reported=as_reported))
    for path in written:
        console.print(f"[green]wrote[/green] {path}")
    return 0


def run(argv: list[str]) -> int | None:
    """Handle reporting's own commands; None means 'not ours' (serve/migrate go to the shared main)."""
    if not argv or argv[0] not in ("rebuild", "report"):
        return None
    parser = argparse.ArgumentParser(prog="python -m services.reporting")
    sub = parser.add_subparsers(dest="command", required=True)
    rebuild = sub.add_parser("rebuild", help="fresh projections from the stored facts (reporting's event store)")
    rebuild.add_argument("--from-kafka", action="store_true",
                         help="replay every topic from the beginning into fresh facts and projections instead "
                              "(a lost fact table, or a change to what a fact keeps of its event)")
    report = sub.add_parser("report", help="the June/December progress report (and the annual report in December)")
    report.add_argument("--period", required=True, help="half-year, e.g. 2026-H2")
    report.add_argument("--out", type=Path, default=Path("reports"), help="folder to write HTML and PDF into")
    report.add_argument("--no-pdf", action="store_true", help="HTML only (no headless Chromium needed)")
    report.add_argument("--as-reported", action="store_true",
                        help="the half-year's figures as frozen when reported, not the corrected ones")
    args = parser.parse_args(argv)
    settings = ReportingSettings()
    try:
        if args.command == "rebuild":
            return _rebuild(settings, from_kafka=args.from_kafka)
        return _report(settings, args.period, args.out, pdf=not args.no_pdf, as_reported=args.as_reported)
    except ValueError as err:
        console.print(f"[red]error[/red]: {err}")
        return 2


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]) or 0)
