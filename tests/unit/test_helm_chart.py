"""The Helm chart (deploy/helm/groeiruimte) passes `helm lint --strict` and renders what a cluster needs.

helm is the pinned version built from its Go module by deploy/helm_tool.py; when it is missing this test builds it
(minutes, once per machine) and fails if it cannot — it never skips.
"""

from __future__ import annotations

import re

import pytest
import yaml

from deploy import helm_tool
from deploy.processes import ROOT

# Every service folder with a process (`python -m services.<name>`) is deployed by the chart.
SERVICES = sorted(d.name for d in (ROOT / "services").iterdir() if (d / "__main__.py").exists())

pytestmark = pytest.mark.timeout(1800)  # the first run on a machine builds helm from source
SECRET_NAME = re.compile(r"(TOKENS|_KEY|_SECRET|PASSWORD|DATABASE_URL)")


@pytest.fixture(scope="module")
def helm():
    helm_tool.install()
    return helm_tool.helm


def rendered(helm, *args: str) -> list[dict]:
    run = helm("template", "gr", str(helm_tool.CHART), *args, timeout=300)
    assert run.returncode == 0, run.stderr
    return [doc for doc in yaml.safe_load_all(run.stdout) if doc]


def of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_helm_lint_is_clean(helm):
    run = helm("lint", "--strict", str(helm_tool.CHART), timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 chart(s) failed" in run.stdout, run.stdout


def test_every_service_is_a_deployment_with_probes_resources_and_no_root(helm):
    deployments = of_kind(rendered(helm), "Deployment")
    assert set(deployments) == {f"gr-groeiruimte-{name}" for name in SERVICES}
    for name, d in deployments.items():
        pod = d["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        (container,) = pod["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["resources"]["requests"]["memory"] and container["resources"]["limits"]["memory"], name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name


def test_secrets_come_from_kubernetes_secrets_and_development_mode_is_off(helm):
    for d in of_kind(rendered(helm), "Deployment").values():
        env = d["spec"]["template"]["spec"]["containers"][0]["env"]
        names = {e["name"] for e in env}
        assert "GROEIRUIMTE_ENV" not in names
        assert {"API_TOKENS", "DATABASE_URL", "KAFKA_SASL_PASSWORD"} <= names
        for e in env:
            if SECRET_NAME.search(e["name"]):
                assert "value" not in e and e["valueFrom"]["secretKeyRef"]["name"] == "groeiruimte-secrets", e
    intake = of_kind(rendered(helm), "Deployment")["gr-groeiruimte-intake"]
    env = {e["name"]: e for e in intake["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["INTAKE_KVK_HASH_KEY"]["valueFrom"]["secretKeyRef"]["key"] == "INTAKE_KVK_HASH_KEY"
    assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "KAFKA_SASL_PASSWORD_INTAKE"
    assert env["KAFKA_SASL_USERNAME"]["value"] == "intake"
    workbench = of_kind(rendered(helm), "Deployment")["gr-groeiruimte-workbench"]["spec"]["template"]["spec"]
    env = {e["name"]: e for e in workbench["containers"][0]["env"]}
    assert env["WORKBENCH_INTAKE_URL"]["value"] == "http://gr-groeiruimte-intake"  # the chart's own Service
    assert {"secretName": "groeiruimte-workbench-accounts"} == workbench["volumes"][1]["secret"]


def test_a_plaintext_cluster_needs_no_kafka_password(helm):
    for d in of_kind(rendered(helm, "--set", "kafka.securityProtocol=PLAINTEXT"), "Deployment").values():
        names = {e["name"] for e in d["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert not names & {"KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"}


def test_a_migration_job_upgrades_every_service_before_install_and_upgrade(helm):
    (job,) = of_kind(rendered(helm), "Job").values()
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    steps = [c["command"] for c in job["spec"]["template"]["spec"]["initContainers"]]
    assert sorted(steps) == sorted(["python", "-m", f"services.{name}", "migrate"] for name in SERVICES)


def test_network_policies_deny_by_default_and_allow_kafka_postgres_dns_and_smtp(helm):
    policies = of_kind(rendered(helm), "NetworkPolicy")
    deny = policies["gr-groeiruimte-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny and "egress" not in deny
    egress = policies["gr-groeiruimte-egress"]["spec"]["egress"]
    ports = {p["port"] for rule in egress for p in rule["ports"]}
    assert {53, 9093, 5432} <= ports
    smtp = policies["gr-groeiruimte-smtp-egress"]["spec"]
    assert smtp["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "notifications"


def test_the_follow_up_mail_runs_daily_as_a_cronjob_with_the_smtp_settings_and_egress(helm):
    docs = rendered(helm)
    (cron,) = of_kind(docs, "CronJob").values()
    assert cron["spec"]["schedule"] == "0 7 * * *" and cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["python", "-m", "services.workbench", "send-reminders"]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert env["NOTIFICATIONS_SMTP_HOST"] == "smtp.example.org" and env["NOTIFICATIONS_SMTP_PORT"] == "587"
    assert env["WORKBENCH_ACCOUNTS_FILE"] == "/var/lib/workbench/accounts.json"
    assert pod["securityContext"]["runAsNonRoot"] is True
    smtp = of_kind(docs, "NetworkPolicy")["gr-groeiruimte-reminders-smtp-egress"]["spec"]
    assert smtp["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "workbench-reminders"
    assert not of_kind(rendered(helm, "--set", "reminders.enabled=false"), "CronJob")
