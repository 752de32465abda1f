"""Scan the logs a run leaves behind for a company's identity: no log line may carry a company name or a KvK number.

What a run writes: the service processes' logs (`artifacts/logs/*.log`: the end-to-end tests, the fault run,
benchmarks) and the local stack's server logs (PostgreSQL's `server.log`, each Kafka node's `server.log` and
`stdout.log`, under the stack's state directory). Every company of the tests, the fault run and the benchmarks is
named "... B.V." and every KvK number is 8 digits; a log line holding either is a leak. An 8-digit number that
reads as a date (YYYYMMDD, as in a compiler's version string) is not counted, nor are numbers in Kafka's own logs
(sizes; a broker never logs a record's content).

`python -m tests.log_scan [DIR ...]` prints what it found and exits 1 on any finding (the last test of the suite,
`tests/zz_after_all/test_logs_hold_no_identity.py`, and the fault run use it).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

COMPANY_NAME = re.compile(r"B\.V\.")
KVK_NUMBER = re.compile(r"(?<![\w.:/-])\d{8}(?![\w.:/-])")


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"  # never the value itself


def log_files(roots: Iterable[Path]) -> list[Path]:
    """The logs under each root: service logs, PostgreSQL's and Kafka's server logs (not Kafka's data segments)."""
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found += [p for p in root.rglob("*.log") if "data" not in p.relative_to(root).parts[:-1]
                      or p.name == "server.log"]
    return sorted(set(found))


def findings(paths: Iterable[Path]) -> Iterator[Finding]:
    for path in paths:
        # Kafka's own logs never see a record's content, and are full of 8-digit sizes (maxBytes=10485760):
        # only names are looked for there.
        numbers = "kafka" not in path.parts
        with path.open(errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                if COMPANY_NAME.search(line):
                    yield Finding(path, number, "a company name")
                if numbers and any(not _a_date(m.group()) for m in KVK_NUMBER.finditer(line)):
                    yield Finding(path, number, "an 8-digit number (a KvK number?)")


def _a_date(digits: str) -> bool:
    try:
        return 1990 <= datetime.strptime(digits, "%Y%m%d").year <= 2100
    except ValueError:
        return False


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path("artifacts/logs"), Path(".local")]
    paths = log_files(roots)
    found = list(findings(paths))
    for f in found[:50]:
        print(f)
    print(f"{len(paths)} log files scanned, {len(found)} lines with a company's identity")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
