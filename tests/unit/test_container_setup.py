"""The container image and docker-compose.yml: non-root, locked dependencies, healthchecks on /readyz.

There is no Docker engine here, so neither is built or run: these check the files' structure (the compose file
as YAML, the Dockerfile's instructions) and that the lock matches the project's dependencies.
"""

from __future__ import annotations

import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from deploy import lock
from deploy.processes import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "deploy" / "Dockerfile").read_text()


def built_services() -> dict[str, dict]:
    return {name: s for name, s in COMPOSE["services"].items() if "build" in s}


def test_every_service_has_a_readiness_healthcheck_and_runs_locked_down():
    services = built_services()
    assert {"intake", "matching", "notifications", "reporting", "workbench"} <= set(services)
    for name, s in services.items():
        check = s["healthcheck"]["test"]
        assert check[0] == "CMD" and "/readyz" in " ".join(check), name
        assert s["user"] == "10001:10001" and s["read_only"] is True, name
        assert s["cap_drop"] == ["ALL"] and "no-new-privileges:true" in s["security_opt"], name
        assert s["command"][:3] == ["python", "-m", f"services.{name}"], name


def test_compose_is_development_mode_and_says_so():
    """It runs with the public development tokens, so it must say development mode, or every service refuses."""
    for name, s in built_services().items():
        assert s["environment"]["GROEIRUIMTE_ENV"] == "development", name


def test_the_image_installs_the_lock_and_runs_as_an_unprivileged_user():
    instructions = [line.split(None, 1) for line in DOCKERFILE.splitlines() if line and not line.startswith(("#", " "))]
    users = [arg for op, *rest in instructions if op == "USER" for arg in rest]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert "pip install --no-deps -r deploy/requirements.lock" in DOCKERFILE
    assert "pip install --no-deps ." in DOCKERFILE  # the project adds nothing the lock does not pin


def test_the_lock_pins_every_runtime_dependency_within_its_bounds():
    pinned = {}
    for line in lock.LOCK.read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pinned[canonicalize_name(name)] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pinned, f"{req.name} is not in deploy/requirements.lock: run `python -m deploy.lock`"
        assert req.specifier.contains(pinned[name], prereleases=True), (req.name, pinned[name])
