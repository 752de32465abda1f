"""What a newcomer meets first: the `make up` banner and the development tokens."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from deploy import run
from deploy.processes import ROOT
from services.notifications.domain import province_code
from shared.auth import SERVICE_ROLE, parse_tokens
from shared.settings import ServiceSettings

DOMAIN_ROMS = {"nom", "oost-nl", "bom", "innovationquarter", "horizon-flevoland"}  # NOM, Oost-NL, BOM, IQ, Horizon
ROLES = {"rom", "coordinator", "municipality", "province", "ministry"}


@dataclass
class FakeProcess:
    name: str
    url: str
    log_path: Path


def banner() -> str:
    out = io.StringIO()  # not a terminal, like `make up > log` or CI
    procs = [FakeProcess(name, f"http://127.0.0.1:{port}", ROOT / ".local" / "logs" / f"{name}-service-log.log")
             for name, port in (("intake", 8001), ("notifications", 8003))]
    run.print_banner(run.make_console(out), procs, kafka="127.0.0.1:9092",
                     database_url="postgresql+asyncpg://postgres@127.0.0.1:54320/groeiruimte-local-development",
                     smtp_port=8025)
    return out.getvalue()


def test_the_banner_is_not_cut_or_wrapped_when_not_on_a_terminal():
    text = banner()
    lines = text.splitlines()
    assert "…" not in text
    for whole in ("http://127.0.0.1:8003/docs", ".local/logs/notifications-service-log.log",
                  "postgresql+asyncpg://postgres@127.0.0.1:54320/groeiruimte-local-development",
                  "curl -H 'Authorization: Bearer dev-ministry' http://127.0.0.1:8004/kpi/event-counts"):
        assert any(whole in line for line in lines), whole


def test_the_banner_prints_the_workbench_url_and_how_to_create_the_first_account():
    (line,) = [line for line in banner().splitlines() if line.startswith("Workbench:")]
    assert "http://127.0.0.1:8005/" in line
    assert "-m services.workbench create-account NAME --role coordinator --organisation taskforce" in line


def test_the_banners_kcat_example_names_a_file_that_exists():
    (kcat,) = [line for line in banner().splitlines() if "kcat" in line]
    command = kcat[kcat.index("kcat"):].split()
    assert command[:4] == ["kcat", "-P", "-b", "127.0.0.1:9092"]
    # As a ROM: its own credentials, its own topic.
    assert command[4] == "-F" and command[5].endswith("kafka/clients/rom-oost-nl.properties")
    assert command[6:9] == ["-t", "lead-signalled.oost-nl", "-k"]
    assert (ROOT / command[-1]).is_file() and command[-1] == "deploy/example-lead.json"


def tokens():
    return parse_tokens(ServiceSettings().api_tokens.get_secret_value())


def reference_site_places() -> tuple[set[str], set[str]]:
    sites = json.loads((ROOT / "services/matching/data/sites.json").read_text())
    sites = sites if isinstance(sites, list) else sites["sites"]
    return {s["municipality_code"] for s in sites}, {province_code(s["province"]) for s in sites}


def test_development_tokens_give_one_caller_per_role_and_organisation():
    callers = list(tokens().values())
    assert {c.role for c in callers} == {*ROLES, SERVICE_ROLE}
    assert {c.organisation for c in callers if c.role == SERVICE_ROLE} == {"notifications"}  # identity keys
    assert len({(c.organisation, c.role) for c in callers}) == len(callers)  # one token each
    by_role = {role: {c.organisation for c in callers if c.role == role} for role in ROLES}
    municipalities, provinces = reference_site_places()
    assert by_role["rom"] == DOMAIN_ROMS
    assert municipalities <= by_role["municipality"] and provinces <= by_role["province"]
    assert by_role["coordinator"] == {"taskforce"} and by_role["ministry"] == {"ministry"}


def test_the_readme_documents_every_development_token():
    readme = (ROOT / "README.md").read_text()
    for token, caller in tokens().items():
        row = re.search(rf"^\|[^\n]*`{re.escape(token)}`[^\n]*$", readme, re.MULTILINE)
        assert row, token
        assert caller.role in row.group(0) and caller.organisation in row.group(0), row.group(0)
