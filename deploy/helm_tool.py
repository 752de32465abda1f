"""Helm, built from its Go module at a pinned version, and the chart checks: `python -m deploy.helm_tool CMD`.

  path       print where the pinned helm is (installing it first when missing)
  install    build it: `go install helm.sh/helm/v3/cmd/helm@<version>` into a cache directory (needs Go)
  lint       `helm lint --strict` the chart in deploy/helm/groeiruimte
  template   `helm template` the chart (prints the manifests)

The binary goes to $GROEIRUIMTE_TOOLS_DIR (default: the user's cache directory, ~/.cache/groeiruimte), under
helm/<version>/, so a build is done once per machine and version. Building takes minutes on two cores.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "deploy" / "helm" / "groeiruimte"
HELM_MODULE = "helm.sh/helm/v3/cmd/helm"
HELM_VERSION = "v3.22.0"


def tools_dir() -> Path:
    if configured := os.environ.get("GROEIRUIMTE_TOOLS_DIR"):
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "groeiruimte"


def helm_path() -> Path:
    return tools_dir() / "helm" / HELM_VERSION / "helm"


def install() -> Path:
    """Build the pinned helm with the Go toolchain unless it is there already; raise if it cannot be built."""
    target = helm_path()
    if target.exists():
        return target
    go = shutil.which("go") or next((p for p in ("/usr/local/go/bin/go",) if Path(p).exists()), None)
    if go is None:
        raise RuntimeError("helm is missing and cannot be built: no Go toolchain (`go`) on PATH")
    target.parent.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"GOBIN": str(target.parent), "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
    print(f"building helm {HELM_VERSION} from its Go module (first run only, takes minutes)...", flush=True)
    subprocess.run([go, "install", f"{HELM_MODULE}@{HELM_VERSION}"], env=env, check=True, cwd=target.parent)
    if not target.exists():
        raise RuntimeError(f"go install finished but {target} is missing")
    return target


def helm(*args: str, **kw) -> subprocess.CompletedProcess:
    """Run the pinned helm (installed on first use) with its state kept out of the user's own helm."""
    state = tools_dir() / "helm" / "state"
    env = os.environ | {"HELM_CACHE_HOME": str(state / "cache"), "HELM_CONFIG_HOME": str(state / "config"),
                        "HELM_DATA_HOME": str(state / "data")}
    return subprocess.run([str(install()), *args], env=env, text=True, capture_output=True, **kw)


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "path"
    if cmd == "path":
        print(install())
        return 0
    if cmd == "install":
        print(install())
        return 0
    if cmd in ("lint", "template"):
        args = ["lint", "--strict", str(CHART)] if cmd == "lint" else ["template", "groeiruimte", str(CHART)]
        run = helm(*args, *argv[1:])
        sys.stdout.write(run.stdout)
        sys.stderr.write(run.stderr)
        return run.returncode
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
