"""The CSV import CLI on real PostgreSQL and Kafka: a partly bad file imports what is valid, reports the rest."""

from __future__ import annotations

import asyncio
import csv
import uuid

import pytest
from sqlalchemy import select

from services.intake import cli
from services.intake.config import IntakeSettings
from services.intake.domain import lead_id
from services.intake.orm import lead, lead_audit
from shared.contracts.events import LeadRegistered
from shared.db import make_engine, make_sessionmaker
from shared.messaging import ensure_topics
from tests.factories import random_kvk
from tests.kafka import collect_all

pytestmark = pytest.mark.integration
COLUMNS = ("reference,company_name,kvk_number,stage,technology_domains,municipality_code,province,region,"
           "investment_eur,floor_space_m2,floor_space_needed_by,consent")


@pytest.fixture
def settings(service_env, topic_prefix) -> IntakeSettings:
    settings = IntakeSettings(kafka_bootstrap_servers=service_env["KAFKA_BOOTSTRAP_SERVERS"],
                              database_url=service_env["DATABASE_URL"], log_json=False,
                              topic_prefix=f"{topic_prefix}intake-csv-{uuid.uuid4().hex[:6]}.")
    # Where a ROM runs the import, the intake service has created its topics long before; here none runs, and
    # creating them (replicated on three brokers) can take longer than the import waits for an unreachable Kafka.
    asyncio.run(ensure_topics(settings, [e.topic for e in cli.PUBLISHED]))
    return settings


def row(ref: str, *, kvk: str | None = None, domain: str = "quantum-technologies", m2: str = "800",
        by: str = "2027-06-01") -> str:
    return (f"{ref},Kwantum {ref} B.V.,{kvk or random_kvk()},scale-up,{domain},GM0153,Overijssel,oost,"
            f"2500000,{m2},{by},nda")


async def stored(settings: IntakeSettings, refs: list[str]) -> dict:
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as s:
            ids = [lead_id("oost-nl", r) for r in refs]
            leads = {r.reference: r for r in (await s.execute(select(lead).where(lead.c.id.in_(ids)))).all()}
            audits = (await s.execute(select(lead_audit.c.lead_id).where(lead_audit.c.lead_id.in_(ids)))).all()
        return {"leads": leads, "audits": len(audits)}
    finally:
        await engine.dispose()


def test_a_partly_bad_file_imports_the_valid_rows_and_reports_the_rest(settings, tmp_path, capsys):
    tag = uuid.uuid4().hex[:6]
    good = [f"G{tag}-{i}" for i in range(3)]
    lines = [COLUMNS, row(good[0]), row(f"B{tag}-1", kvk="12AB"), row(good[1]), row(f"B{tag}-2", domain="knitting"),
             row(f"B{tag}-3", m2="", by=""), row(good[2])]
    file = tmp_path / "crm-export.csv"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    errors = tmp_path / "errors.csv"

    assert cli.main([str(file), "--organisation", "oost-nl", "--errors", str(errors)], settings) == 1
    out = capsys.readouterr().err
    assert "not published yet" not in out  # they went out now, not left for the service
    assert "3 registered" in out and "3 row(s) rejected" in out
    report = list(csv.DictReader(errors.open(encoding="utf-8")))
    assert [(r["row"], r["column"]) for r in report] == [("3", "kvk_number"), ("5", "technology_domains"),
                                                         ("6", "demand")]
    assert all(r["reason"] for r in report)

    found = asyncio.run(stored(settings, good + [f"B{tag}-{i}" for i in (1, 2, 3)]))
    assert sorted(found["leads"]) == sorted(good) and found["audits"] == 3
    assert {r.status for r in found["leads"].values()} == {"case-opened"}
    # What the import published is on the topic now (it waited for the acknowledgements): read it to its end, with
    # no consumer group to join (a group read for 20 s once came back empty on the loaded replicated cluster).
    published = asyncio.run(collect_all(settings.kafka_bootstrap_servers, settings.topic(LeadRegistered.topic)))
    assert {LeadRegistered.from_json(r.value).data.lead_id for r in published} == {lead_id("oost-nl", g) for g in good}

    # The same export again changes nothing.
    assert cli.main([str(file), "--organisation", "oost-nl"], settings) == 1
    assert "3 unchanged" in capsys.readouterr().err
    assert asyncio.run(stored(settings, good))["audits"] == 3


def test_a_file_without_the_required_columns_is_refused_before_anything_is_stored(settings, tmp_path, capsys):
    file = tmp_path / "wrong.csv"
    file.write_text("naam,kvk\nFoo,12345678\n", encoding="utf-8")
    assert cli.main([str(file), "--organisation", "oost-nl"], settings) == 2
    assert "missing required column(s): reference, company_name" in capsys.readouterr().err


def test_a_second_roms_import_report_reads_like_a_fresh_one(settings, tmp_path, capsys):
    """bom imports a company oost-nl signalled first, and one nobody did: the report cannot tell them apart."""
    tag, kvk = uuid.uuid4().hex[:6], random_kvk()
    first = tmp_path / "oost.csv"
    first.write_text("\n".join([COLUMNS, row(f"O{tag}", kvk=kvk)]) + "\n", encoding="utf-8")
    assert cli.main([str(first), "--organisation", "oost-nl"], settings) == 0
    capsys.readouterr()

    def report_of(kvk_number: str | None, ref: str) -> str:
        file = tmp_path / f"{ref}.csv"
        file.write_text("\n".join([COLUMNS, row(ref, kvk=kvk_number)]) + "\n", encoding="utf-8")
        assert cli.main([str(file), "--organisation", "bom"], settings) == 0
        return capsys.readouterr().err.replace(str(file), "FILE")

    joined, fresh = report_of(kvk, f"J{tag}"), report_of(None, f"F{tag}")
    assert joined == fresh and "1 registered; 0 row(s) rejected" in joined
