"""`python -m services.intake import-csv FILE --organisation ORG`: import a ROM's CRM export.

Every row goes through the same validation and handler as a Kafka or HTTP lead, in its own transaction, so
a partly bad file imports what is valid and reports the rest row by row (row, column, reason).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from services.intake import csv_rows, submissions
from services.intake.bootstrap import PUBLISHED, bootstrap
from services.intake.config import IntakeSettings
from services.intake.handlers import Deps
from shared.logging import configure_logging
from shared.messaging import ensure_topics, make_producer

console = Console(stderr=True, soft_wrap=True)  # long paths and reasons stay on one line


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m services.intake import-csv",
                                description="Import leads from a ROM's CSV export (columns: docs/intake.md).")
    p.add_argument("file", type=Path, help="CSV file: a header row, then one lead per row (, ; or tab)")
    p.add_argument("--organisation", required=True, help="the signalling ROM or partner, e.g. oost-nl")
    p.add_argument("--errors", type=Path, help="also write the rejected rows' errors to this CSV file")
    p.add_argument("--dry-run", action="store_true", help="validate only; store nothing")
    return p.parse_args(argv)


def main(argv: list[str], settings: IntakeSettings | None = None) -> int:
    args = parse_args(argv)
    settings = settings or IntakeSettings()
    configure_logging("intake", "ERROR", settings.log_json)  # the progress bar and report say it all
    try:
        text = args.file.read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark
    except (OSError, UnicodeDecodeError) as err:
        console.print(f"[red]cannot read {args.file}: {err}")
        return 2
    missing, unknown = csv_rows.header_problems(csv_rows.header(text))
    if missing:
        console.print(f"[red]{args.file}: missing required column(s): {', '.join(missing)}")
        return 2
    if unknown:
        console.print(f"[yellow]ignoring unknown column(s): {', '.join(unknown)}")
    return asyncio.run(run(text, args, settings))


async def run(text: str, args: argparse.Namespace, settings: IntakeSettings) -> int:
    rows = list(csv_rows.read_rows(text, args.organisation))
    deps = bootstrap(settings)
    try:
        counts, errors = await import_rows(deps, rows, dry_run=args.dry_run)
        if counts and not args.dry_run:
            await flush_outbox(deps)
    finally:
        await deps.runtime.engine.dispose()
    report(counts, errors, args)
    return 1 if errors else 0


async def import_rows(deps: Deps, rows: list[csv_rows.Row], *,
                      dry_run: bool) -> tuple[Counter, list[csv_rows.RowError]]:
    counts: Counter = Counter()
    errors: list[csv_rows.RowError] = []
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[bad]} rejected"), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("importing leads", total=len(rows), bad=0)
        for row in rows:
            outcome = await _import_one(deps, row, dry_run=dry_run)
            if isinstance(outcome, str):
                counts[outcome] += 1
            else:
                errors += outcome
            progress.update(task, advance=1, bad=len({e.row for e in errors}))
    return counts, errors


async def _import_one(deps: Deps, row: csv_rows.Row, *,
                      dry_run: bool) -> str | list[csv_rows.RowError]:
    if row.lead is None:
        return list(row.errors)
    if dry_run:
        return "valid"
    try:
        outcome, _ = await submissions.submit(deps, row.lead, channel="csv")
    except submissions.InvalidLead as err:
        return [csv_rows.RowError(row.number, e["field"], e["reason"]) for e in err.errors]
    return outcome


async def flush_outbox(deps: Deps) -> None:
    """Publish the import's events now; if Kafka is unreachable they wait in the outbox for the service."""
    settings = deps.settings
    producer = make_producer(settings, service="intake-import")
    try:
        await asyncio.wait_for(ensure_topics(settings, [e.topic for e in PUBLISHED]), timeout=15)
        await asyncio.wait_for(producer.start(), timeout=15)
    except Exception as err:  # the events are safe in the outbox either way
        console.print(f"[yellow]events not published yet ({err or type(err).__name__}); "
                      "the intake service will relay them")
        return
    try:
        # A pass with a failed row publishes nothing (0); the row is retried and, after its attempts, parked while
        # later rows go on. So keep passing until nothing moved for more passes than a row's attempts: stopping at
        # the first 0 left the import's own events behind any other failing row, unsaid.
        still = 0
        while still <= settings.outbox_max_attempts:
            still = 0 if await deps.runtime.outbox.publish_pending(producer) else still + 1
    finally:
        await producer.stop()


def report(counts: Counter, errors: list[csv_rows.RowError], args: argparse.Namespace) -> None:
    summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing imported"
    console.print(f"{args.file}: {summary}; {len({e.row for e in errors})} row(s) rejected")
    if errors:
        table = Table("row", "column", "reason", title="rejected rows")
        for e in errors:
            table.add_row(str(e.row), e.field, e.reason)
        console.print(table)
    if errors and args.errors:
        with args.errors.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["row", "column", "reason"])
            writer.writerows([e.row, e.field, e.reason] for e in errors)
        console.print(f"errors written to {args.errors}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
