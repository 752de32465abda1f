"""`make mutation`: mutmut over shared/contracts and the pure domain packages, one package at a time, judged
by the fast unit tests alone; prints the mutation score per package and in total.

    python -m tests.mutation                      # every package
    python -m tests.mutation services.intake      # only these (a prefix of the mutant names)
    python -m tests.mutation --report             # scores of the last runs, running nothing
    python -m tests.mutation services.intake --again   # re-judge only what the last run did not kill

Mutants are named after the module they live in (`services.intake.domain.x_triage__mutmut_3`), so a
package is a prefix. A mutant no unit test notices (survived, or covered by no test at all) lowers the
score; a truly equivalent one is marked in the source with `# pragma: no mutate` and the reason.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections import Counter

from deploy.processes import ROOT

PACKAGES = ("shared.contracts", "shared.failures", "services.intake.domain", "services.matching.domain",
            "services.notifications.domain", "services.reporting.domain", "services.reporting.disclosure",
            "services.reporting.outlook", "services.reporting.qualitative.domain")
DETECTED = ("killed", "timeout", "caught by type check", "segfault")
MISSED = ("survived", "no tests", "suspicious")
THRESHOLD = 80.0


def mutmut(*args: str) -> subprocess.CompletedProcess:
    # The `mutmut` script, not `python -m mutmut`: the latter imports the original modules first.
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), "mutmut"), *args], cwd=ROOT,
                          capture_output=True, text=True)


def results() -> dict[str, str]:
    """Every mutant mutmut knows of, by name, with its status ("killed", "survived", ...)."""
    out = mutmut("results", "--all", "true")
    found = {}
    for line in out.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            found[name] = status
    return found


def package_of(mutant: str) -> str | None:
    return next((p for p in PACKAGES if mutant.startswith(p + ".")), None)


def score(statuses: Counter) -> float | None:
    judged = sum(statuses[s] for s in DETECTED + MISSED)
    return 100.0 * sum(statuses[s] for s in DETECTED) / judged if judged else None


def report(by_name: dict[str, str], packages: list[str]) -> bool:
    """Print the table; True when every package reached the threshold."""
    total: Counter = Counter()
    ok = True
    print(f"\n{'package':32} {'mutants':>8} {'killed':>7} {'survived':>9} {'no tests':>9} {'timeout':>8} {'score':>7}")
    for package in packages:
        statuses = Counter(s for n, s in by_name.items() if package_of(n) == package)
        total += statuses
        value = score(statuses)
        ok &= value is not None and value >= THRESHOLD
        shown = f"{value:6.1f}%" if value is not None else "   n/a"
        print(f"{package:32} {sum(statuses.values()):8} {statuses['killed']:7} {statuses['survived']:9} "
              f"{statuses['no tests']:9} {statuses['timeout']:8} {shown:>7}")
    value = score(total)
    print(f"{'total':32} {sum(total.values()):8} {total['killed']:7} {total['survived']:9} {total['no tests']:9} "
          f"{total['timeout']:8} {value or 0:6.1f}%")
    if total["not checked"]:
        print(f"({total['not checked']} mutants not checked yet: run without --report/--again to judge them)")
    return ok


def run(package: str, children: int, *, only: list[str] | None = None) -> None:
    print(f"mutating {package}{f' ({len(only)} mutants not killed last time)' if only else ''} ...", flush=True)
    done = mutmut("run", "--max-children", str(children), *(only or [f"{package}.*"]))
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-4000:], sep="\n")
        raise SystemExit(f"mutmut failed on {package}")


def survivors(by_name: dict[str, str], packages: list[str]) -> list[str]:
    return sorted(n for n, s in by_name.items() if s in MISSED and package_of(n) in packages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", help=f"prefixes of {', '.join(PACKAGES)}")
    parser.add_argument("--report", action="store_true", help="print the last results, run nothing")
    parser.add_argument("--survivors", action="store_true", help="also list the mutants no test noticed")
    parser.add_argument("--children", type=int, default=1,
                        help="parallel mutant runs (1: the machine is shared; each run stays one process)")
    parser.add_argument("--again", action="store_true",
                        help="re-judge only the mutants the last run did not kill (after adding tests)")
    args = parser.parse_args(argv)
    chosen = [p for p in PACKAGES if not args.packages or any(p.startswith(a) for a in args.packages)]
    if not args.report:
        last = results() if args.again else {}
        for package in chosen:  # one at a time: each run's clean test pass and stats stay small
            only = survivors(last, [package]) if args.again else None
            if only != []:
                run(package, args.children, only=only)
    by_name = results()
    ok = report(by_name, chosen)
    if args.survivors:
        print("\n".join(["", "not noticed by any test (mutmut show NAME):", *survivors(by_name, chosen)]))
    print(f"\nthreshold {THRESHOLD:.0f}% per package: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
