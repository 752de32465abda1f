"""In-process CPU of the set-based batch path, without Kafka: leads through intake's production `BatchApplier`
(lead-signalled), then the case-opened events intake staged in its outbox through matching's (case-opened), in
batches, against a fresh PostgreSQL database. Prints this process's CPU per lead (intake) and per case
(matching), and the part of matching spent scoring (`domain.match_many`).

`python -m bench.batches [--leads 3000] [--batch 250]`; writes artifacts/bench-batches.json. The catalogue is
matching's reference catalogue (seeded at start, as the pipeline benchmark's matching process has it). PostgreSQL's
own CPU is not in these figures (its backends are other processes): `make bench` measures it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from dataclasses import replace
from pathlib import Path

from aiokafka.structs import ConsumerRecord
from sqlalchemy import select

from deploy import stack
from deploy.databases import create_database, drop_database
from services.matching import handlers

ARTIFACT = Path(__file__).resolve().parent.parent / "artifacts" / "bench-batches.json"


def _items(events, topic: str) -> list:
    return [(ConsumerRecord(topic, 0, n, 0, 0, e.key, e.to_json(), None, 0, 0, []), e) for n, e in enumerate(events)]


async def _never_dead_letter(record, failure, attempts) -> None:
    raise RuntimeError(f"dead-lettered: {failure.reason}")


class ScoringClock:
    """CPU spent inside the scoring function the batch path calls (wrapped for the run, restored after)."""

    def __init__(self, name: str = "match_many") -> None:
        self.seconds, self.calls, self.name = 0.0, 0, name
        self._original = getattr(handlers.domain, name)

    def __enter__(self) -> ScoringClock:
        def timed(*args, **kw):
            started = time.process_time()
            try:
                return self._original(*args, **kw)
            finally:
                self.seconds += time.process_time() - started
                self.calls += 1

        setattr(handlers.domain, self.name, timed)
        return self

    def __exit__(self, *_exc) -> None:
        setattr(handlers.domain, self.name, self._original)


async def _apply_in_batches(applier, events: list, topic: str, size: int) -> float:
    started = time.process_time()
    for at in range(0, len(events), size):
        await applier(_items(events[at:at + size], topic), _never_dead_letter)
    return time.process_time() - started


async def run(leads: int, size: int, db_url: str) -> dict:
    from services.intake import orm as intake_orm
    from services.intake.bootstrap import bootstrap as intake_bootstrap
    from services.intake.config import IntakeSettings
    from services.matching.bootstrap import bootstrap as matching_bootstrap
    from services.matching.config import MatchingSettings
    from shared.contracts import CaseOpened, LeadSignalled
    from tests.factories import lead_payload

    intake = intake_bootstrap(IntakeSettings(database_url=db_url))
    matching = matching_bootstrap(MatchingSettings(database_url=db_url))
    try:
        await handlers.load_catalogue(matching.runtime, deps=matching)
        signalled = [LeadSignalled.model_validate(lead_payload()) for _ in range(leads)]
        intake_s = await _apply_in_batches(intake.runtime.appliers["intake"], signalled, "lead-signalled", size)
        async with intake.runtime.sessions() as session:
            payloads = (await session.execute(select(intake_orm.outbox.c.payload).where(
                intake_orm.outbox.c.topic == CaseOpened.topic).order_by(intake_orm.outbox.c.seq))).scalars().all()
        cases = [CaseOpened.model_validate_json(p) for p in payloads]
        applier = replace(matching.runtime.appliers["matching"])
        with ScoringClock(os.environ.get("BENCH_SCORING", "match_many")) as clock:
            matching_s = await _apply_in_batches(applier, cases, "case-opened", size)
    finally:
        await intake.runtime.engine.dispose()
        await matching.runtime.engine.dispose()
    return {"leads": leads, "batch": size, "cases": len(cases), "sites": len(matching.supply.catalogue),
            "intake_cpu_ms_per_lead": round(intake_s * 1000 / leads, 3),
            "matching_cpu_ms_per_case": round(matching_s * 1000 / max(len(cases), 1), 3),
            "scoring_cpu_ms_per_case": round(clock.seconds * 1000 / max(len(cases), 1), 3),
            "scoring_calls": clock.calls}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.batches", description=__doc__)
    p.add_argument("--leads", type=int, default=3000)
    p.add_argument("--batch", type=int, default=250)
    args = p.parse_args(argv)
    from shared.logging import configure_logging

    configure_logging("bench", "WARNING", False)  # as the pipeline benchmark runs the services
    os.environ.setdefault("GROEIRUIMTE_ENV", "development")  # the services' development tokens, as the tests use
    ends = stack.up()
    name = f"groeiruimte_bench_batches_{uuid.uuid4().hex[:8]}"
    load_before = os.getloadavg()
    db_url = asyncio.run(create_database(ends.database_url, name, services=["intake", "matching"]))
    try:
        result = asyncio.run(run(args.leads, args.batch, db_url))
    finally:
        asyncio.run(drop_database(ends.database_url, name))
    result |= {"load_before": load_before, "load_after": os.getloadavg(), }
    print(f"{result['leads']:,} leads in batches of {result['batch']}, {result['sites']} sites: "
          f"intake {result['intake_cpu_ms_per_lead']:.2f} ms CPU per lead; matching "
          f"{result['matching_cpu_ms_per_case']:.2f} ms per case, of which scoring "
          f"{result['scoring_cpu_ms_per_case']:.2f} ms (load average {load_before[0]:.1f} -> "
          f"{result['load_after'][0]:.1f})")
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
