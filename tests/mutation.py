"""`make mutation`: mutmut over shared/contracts and the pure domain packages, one package at a time, judged
by the fast unit tests alone; prints the mutation score per package and in total.

    python -m tests.mutation                      # every package
    python -m tests.mutation services.intake      # only these (a prefix of the mutant names)
    python -m tests.mutation --report             # scores of the last runs, running nothing
    python -m tests.mutation services.intake --again   # re-judge only what the last run did not kill or reach

Mutants are named after the module they live in (`services.intake.domain.x_triage__mutmut_3`), so a
package is a prefix. A mutant no unit test notices (survived, or covered by no test at all) lowers the
score; a truly equivalent one is marked in the source with `# pragma: no mutate` and the reason.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import shutil
import signal
import subprocess
import sys
import tomllib
from collections import Counter

from deploy.processes import ROOT

PACKAGES = ("shared.contracts", "shared.failures", "services.intake.domain", "services.matching.domain",
            "services.notifications.domain", "services.reporting.domain", "services.reporting.disclosure",
            "services.reporting.outlook", "services.reporting.qualitative.domain")
DETECTED = ("killed", "timeout", "caught by type check", "segfault")
MISSED = ("survived", "no tests", "suspicious")
THRESHOLD = 80.0


def mutmut(*args: str, minutes: float | None = None) -> subprocess.CompletedProcess | None:
    """Run mutmut; past `minutes` its whole process group is killed and None returned (judged mutants are kept,
    the rest stay "not checked" for `--again`)."""
    # The `mutmut` script, not `python -m mutmut`: the latter imports the original modules first.
    # SIGINT back to its default in the child: a run started in the background (`nohup ... &`) inherits it as
    # ignored, and Python then installs no KeyboardInterrupt handler, so the bounded stop below would not work.
    proc = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "mutmut"), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        out, err = proc.communicate(timeout=minutes * 60 if minutes else None)
    except subprocess.TimeoutExpired:
        # Ctrl-C, as mutmut expects it: it stops its forked test runs and leaves its result files whole (a SIGKILL
        # could cut one mid-write). Only if it does not stop within a minute is the whole group killed.
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        return None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


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
    print(f"\n{'package':38} {'mutants':>8} {'killed':>7} {'survived':>9} {'no tests':>9} {'timeout':>8} "
          f"{'unjudged':>9} {'score':>7}")
    for package in packages:
        statuses = Counter(s for n, s in by_name.items() if package_of(n) == package)
        total += statuses
        value = score(statuses)
        ok &= value is not None and value >= THRESHOLD and not statuses["not checked"]
        shown = f"{value:6.1f}%" if value is not None else "   n/a"
        print(f"{package:38} {sum(statuses.values()):8} {statuses['killed']:7} {statuses['survived']:9} "
              f"{statuses['no tests']:9} {statuses['timeout']:8} {statuses['not checked']:9} {shown:>7}")
    value = score(total)
    print(f"{'total':38} {sum(total.values()):8} {total['killed']:7} {total['survived']:9} {total['no tests']:9} "
          f"{total['timeout']:8} {total['not checked']:9} {value or 0:6.1f}%")
    if total["not checked"]:
        print(f"({total['not checked']} mutants not checked yet: `--again` judges them; their packages' scores "
              "are of the judged ones)")
    return ok


def refresh_copies() -> int:
    """Bring mutants/'s copies of the files mutmut does not mutate up to date; returns how many were stale.

    mutmut copies every file of its source paths into mutants/ once and never again, so after a pull the tests
    would import an old copy beside new code (mutated files it regenerates itself when they change)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    stale = 0
    for source in config["source_paths"]:
        for path in (ROOT / source).rglob("*"):
            relative = path.relative_to(ROOT).as_posix()
            copy = ROOT / "mutants" / relative
            if (not path.is_file() or "__pycache__" in relative or not copy.exists()
                    or any(fnmatch.fnmatch(relative, p) for p in config["only_mutate"])):
                continue
            if copy.read_bytes() != path.read_bytes():
                shutil.copy2(path, copy)
                stale += 1
    return stale


def run(package: str, children: int, *, only: list[str] | None = None, minutes: float | None = None) -> None:
    print(f"mutating {package}{f' ({len(only)} mutants not killed or not reached last time)' if only else ''} ...",
          flush=True)
    done = mutmut("run", "--max-children", str(children), *(only or [f"{package}.*"]), minutes=minutes)
    if done is None:
        print(f"  stopped after {minutes:g} minutes; `--again` judges the rest", flush=True)
        return
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-4000:], sep="\n")
        raise SystemExit(f"mutmut failed on {package}")


def survivors(by_name: dict[str, str], packages: list[str], *, unjudged: bool = False) -> list[str]:
    """The mutants no test noticed (and with `unjudged`, those no run reached yet, e.g. after a cut-off run)."""
    wanted = MISSED + (("not checked",) if unjudged else ())
    return sorted(n for n, s in by_name.items() if s in wanted and package_of(n) in packages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", help=f"prefixes of {', '.join(PACKAGES)}")
    parser.add_argument("--report", action="store_true", help="print the last results, run nothing")
    parser.add_argument("--survivors", action="store_true", help="also list the mutants no test noticed")
    parser.add_argument("--children", type=int, default=1,
                        help="parallel mutant runs (1: the machine is shared; each run stays one process)")
    parser.add_argument("--max-minutes", type=float, default=None,
                        help="bound each package's run; what it did not reach stays 'not checked' for --again")
    parser.add_argument("--again", action="store_true",
                        help="re-judge only the mutants the last run did not kill or did not reach (after adding "
                             "tests, or to finish a run that was cut off)")
    args = parser.parse_args(argv)
    chosen = [p for p in PACKAGES if not args.packages or any(p.startswith(a) for a in args.packages)]
    if not args.report:
        if stale := refresh_copies():
            print(f"refreshed {stale} stale copies in mutants/", flush=True)
        last = results() if args.again else {}
        for package in chosen:  # one at a time: each run's clean test pass and stats stay small
            only = survivors(last, [package], unjudged=True) if args.again else None
            if only != []:
                run(package, args.children, only=only, minutes=args.max_minutes)
    by_name = results()
    ok = report(by_name, chosen)
    if args.survivors:
        print("\n".join(["", "not noticed by any test (mutmut show NAME):", *survivors(by_name, chosen)]))
    print(f"\nthreshold {THRESHOLD:.0f}% per package: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
