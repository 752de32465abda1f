"""The last test of the suite: after every other test ran, no log it left holds a company's identity.

The suite's companies (B.V.'s with KvK numbers) went through every service, the poison and fuzz tests included;
the service processes' logs and the local stack's PostgreSQL and Kafka logs must hold neither a name nor a
KvK number (tests/log_scan.py). It is a directory of its own so that pytest collects it after all the others.
"""

from __future__ import annotations

from deploy.processes import ROOT
from deploy.stack import STATE
from tests import log_scan


def test_no_log_of_the_run_holds_a_company_name_or_kvk_number():
    paths = log_scan.log_files([ROOT / "artifacts" / "logs", STATE])
    assert paths, "no logs to scan: the suite's services and stack write them"
    leaks = [str(f) for f in log_scan.findings(paths)]
    assert not leaks, f"{len(leaks)} log lines hold a company's identity: " + "; ".join(leaks[:10])
