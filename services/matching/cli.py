"""`python -m services.matching import-sites FILE [--set field=value ...] [--dry-run] [--strict]`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from services.matching import domain, importer, repository
from services.matching.config import MatchingSettings
from services.matching.handlers import SOURCE
from services.matching.history import Author, store_sites
from services.matching.orm import outbox as outbox_table
from shared.contracts import SiteChanged, SiteChangedData
from shared.db import make_engine, make_sessionmaker, transaction
from shared.messaging import make_producer
from shared.outbox import Outbox

CHUNK = 500


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m services.matching import-sites",
                                description="Load sites from CSV or GeoJSON; columns are the site fields.")
    p.add_argument("file", type=Path)
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="a value for rows that lack it, e.g. --set region=oost --set province=Overijssel")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                   help="read a column under a site field's name, e.g. --map Beschikbaar_MW=grid_mw_available")
    p.add_argument("--source", default=None, help="where the data comes from (default: the file name)")
    p.add_argument("--dry-run", action="store_true", help="validate and report only")
    p.add_argument("--strict", action="store_true", help="load nothing when any row is invalid")
    return p.parse_args(argv)


def main(argv: list[str], settings: MatchingSettings | None = None, console: Console | None = None) -> int:
    args = parse_args(argv)
    console = console or Console()
    settings = settings or MatchingSettings()
    defaults = dict(item.split("=", 1) for item in args.set)
    try:
        rows = importer.rows_of(args.file, dict(item.split("=", 1) for item in args.map))
    except (OSError, ValueError) as err:
        console.print(f"[red]cannot read {escape(str(args.file))}: {escape(str(err))}")
        return 2
    existing = asyncio.run(_existing(settings, importer.ids_of(rows), console))
    parsed = importer.parse_rows(rows, defaults, existing)
    _print_errors(console, parsed)
    if args.dry_run or (args.strict and parsed.errors):
        console.print(f"{len(parsed.sites)} valid rows, {len(parsed.errors)} invalid; nothing loaded")
        return 1 if parsed.errors else 0
    counts = asyncio.run(load(parsed, settings, args.source or f"import:{args.file.name}",
                              console))
    console.print(f"inserted {counts['inserted']}, updated {counts['updated']}, unchanged {counts['unchanged']}, "
                  f"invalid {len(parsed.errors)}")
    return 1 if parsed.errors else 0


async def _existing(settings: MatchingSettings, ids: list[str], console: Console) -> dict[str, domain.Site]:
    """The stored sites the file mentions: their rows may then give only what changed."""
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            found: dict[str, domain.Site] = {}
            for start in range(0, len(ids), CHUNK):
                found |= await repository.sites_by_id(session, ids[start:start + CHUNK])
            return found
    except (OSError, SQLAlchemyError) as err:
        console.print(f"[yellow]catalogue not reachable ({type(err).__name__}): every row is checked as a new site")
        return {}
    finally:
        await engine.dispose()


def _print_errors(console: Console, parsed: importer.Parsed) -> None:
    if not parsed.errors:
        return
    table = Table("row", "error", title=f"{len(parsed.errors)} invalid rows (not loaded)")
    for number, reason in parsed.errors:
        table.add_row(str(number), escape(reason))  # a rule like [a-z0-9] is text, not rich markup
    console.print(table)


async def load(parsed: importer.Parsed, settings: MatchingSettings, source: str, console: Console) -> dict:
    """Upsert changed sites in chunks; each change also goes out as site-changed, so open cases re-match."""
    engine = make_engine(settings.database_url, pool_size=2)
    sessions = make_sessionmaker(engine)
    box = Outbox(outbox_table, sessions, topic_prefix=settings.topic_prefix)
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    sites = [s for _, s in parsed.sites]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("loading sites", total=len(sites))
            for start in range(0, len(sites), CHUNK):
                chunk = sites[start:start + CHUNK]
                async with transaction(sessions) as session:
                    await _load_chunk(session, chunk, box, source, counts)
                progress.advance(task, len(chunk))
        await _publish(box, settings, console)
    finally:
        await engine.dispose()
    return counts


async def _load_chunk(session, chunk: list[domain.Site], box: Outbox, source: str, counts: dict) -> None:
    before = await repository.sites_by_id(session, [s.id for s in chunk], lock=True)
    changed = [(s, domain.changed_fields(before.get(s.id), s)) for s in chunk]
    await store_sites(session, [(before.get(s.id), s) for s, diff in changed if diff], Author(source, source=source))
    for s, diff in changed:
        counts["unchanged" if not diff else "updated" if s.id in before else "inserted"] += 1
        if diff:
            await box.add(session, SiteChanged(source=f"{SOURCE}/import", subject=s.id,
                                               data=SiteChangedData(site_id=s.id, changed=diff, changed_by=source)))


async def _publish(box: Outbox, settings: MatchingSettings, console: Console) -> None:
    """Publish the staged site-changed events now; if Kafka is away, the service's relay does it later."""
    producer = make_producer(settings, service="matching-import")
    try:
        await producer.start()
        sent = 0
        while batch := await box.publish_pending(producer):
            sent += batch
        console.print(f"published {sent} site-changed events")
    except Exception as err:  # the events stay in the outbox; the running service relays them later
        console.print(f"[yellow]Kafka not reachable ({escape(str(err))}); "
                      "the matching service will publish the changes")
    finally:
        await producer.stop()
