"""The catalogue this process scores against: numpy columns in memory, kept in step with the site table."""

from __future__ import annotations

import time
import weakref

import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching import domain, repository, site_columns
from services.matching.domain import Catalogue, Site
from services.matching.history import Author, store_sites
from shared.contracts import SiteChanged, SiteChangedData

SEED_SOURCE = "/matching/reference"

log = structlog.get_logger()


class Supply:
    """Loaded once, then patched per changed site; never a query for all sites per case."""

    def __init__(self) -> None:
        self.catalogue = Catalogue.empty()
        # The oldest transaction running at the last refresh (site_columns.read): the next one reads the rows
        # written by it or later. A change number, not a time: a row written with an old timestamp, or committed
        # late by a slow transaction, is read all the same, and nothing else is read again.
        self.watermark: int | None = None
        self._refreshed_in: weakref.ref | None = None

    async def refresh(self, session: AsyncSession) -> int:
        """Apply the rows changed since the last refresh (all of them the first time); once per transaction.
        Returns the number of rows read.

        A Kafka batch is one transaction: one refresh at its start serves all its events (a site changed
        by an event of the batch is patched in memory at once), instead of a query per event.
        """
        txn = session.sync_session.get_transaction() if session is not None else None
        if txn is not None and self.watermark is not None and self._refreshed_in is not None \
                and self._refreshed_in() is txn:
            return 0
        if self.watermark is not None:
            watermark, changed = await site_columns.changed_since(session, self.watermark)
            if not changed:
                self._refreshed(watermark, txn)
                return 0
        started = time.perf_counter()
        read = await site_columns.read(session, since=self.watermark)
        if self.watermark is None:
            self.catalogue = read.catalogue
            log.info("catalogue_loaded", sites=len(self.catalogue), seconds=round(time.perf_counter() - started, 2))
        else:
            self.catalogue.apply(read.catalogue, read.removed)
        self._refreshed(read.watermark, txn)
        return read.rows

    def _refreshed(self, watermark: int, txn) -> None:
        self.watermark = max(watermark, self.watermark or 0)
        self._refreshed_in = weakref.ref(txn) if txn is not None else None

    def patch(self, site: Site, session: AsyncSession | None = None) -> None:
        """Patch one site now (the re-match in the same transaction needs it); if that transaction rolls back,
        the next refresh reloads everything, so memory never keeps a change the table does not have."""
        self.catalogue.upsert(site)
        if session is not None:
            event.listen(session.sync_session, "after_rollback", self._invalidate, once=True)

    def remove(self, site_id: str, session: AsyncSession | None = None) -> None:
        """Take a deleted site out now; a rollback makes the next refresh reload everything, as for patch."""
        self.catalogue.remove(site_id)
        if session is not None:
            event.listen(session.sync_session, "after_rollback", self._invalidate, once=True)

    def _invalidate(self, _session) -> None:
        self.watermark = None


async def seed_reference(session: AsyncSession, outbox=None) -> int:
    """Insert the illustrative sites that are missing, and update those nobody has changed since.

    Idempotent at every start; a site changed through the API or an import keeps its change, and one the
    coordinator deleted stays deleted. With an `outbox`, each seeded change also goes out as site-changed (as an
    import's does), so other services (reporting's regional outlook) learn the catalogue from events.
    """
    wanted = [domain.Site.model_validate(row) for row in repository.reference_sites()]
    stored = await repository.sites_by_id(session, [s.id for s in wanted])
    sources = await repository.sources_by_id(session, [s.id for s in wanted])
    deleted = await repository.deleted_site_ids(session, [s.id for s in wanted if s.id not in sources])
    fresh = [s for s in wanted if (s.id not in sources and s.id not in deleted)
             or (s.id in sources and sources[s.id] == repository.REFERENCE and stored.get(s.id) != s)]
    changed = await store_sites(session, [(stored.get(s.id), s) for s in fresh],
                                Author(repository.REFERENCE, source=repository.REFERENCE))
    if outbox is not None:
        for site in fresh:
            diff = domain.changed_fields(stored.get(site.id), site)
            if diff:
                await outbox.add(session, SiteChanged(source=SEED_SOURCE, subject=site.id, data=SiteChangedData(
                    site_id=site.id, changed=diff, changed_by=repository.REFERENCE)))
    return changed
