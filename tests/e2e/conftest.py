"""The four services as real processes, a real SMTP server on loopback, real Kafka and PostgreSQL."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx
import pytest
from aiosmtpd.controller import Controller

from deploy.processes import SERVICES, ServiceProcess, free_port, free_ports_for, peers_env, stop_all
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, serving

pytestmark = pytest.mark.e2e
# Migrations, topics and consumer group joins of four processes on two busy cores can take minutes.
START_WITHIN = 180


class Inbox:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


class System:
    def __init__(self, procs: dict[str, ServiceProcess]) -> None:
        self.procs = procs

    def url(self, name: str) -> str:
        return self.procs[name].url

    def counts(self) -> dict[str, int]:
        r = httpx.get(f"{self.url('reporting')}/kpi/event-counts",
                      headers={"Authorization": "Bearer dev-ministry"}, timeout=30)  # 2 cores, many processes
        r.raise_for_status()
        return r.json()


@pytest.fixture(scope="session")
def system(service_env, smtp, artifacts):
    env = service_env | {"NOTIFICATIONS_SMTP_PORT": str(smtp.port), "NOTIFICATIONS_RETRY_BASE_SECONDS": "0.5",
                         # These tests count one mail per proposed municipality; the notification rules
                         # (threshold, budget/digest, provinces) are tested in test_notifications_flow.py.
                         "NOTIFICATIONS_RELEVANCE_THRESHOLD": "0", "NOTIFICATIONS_BUDGET_PER_PERIOD": "1000000",
                         "NOTIFICATIONS_PROPOSAL_NOTIFIES_PROVINCE": "false"}
    ports = free_ports_for(SERVICES)
    env |= peers_env(ports)
    procs = {name: ServiceProcess(name, ports[name], env, artifacts / "logs" / f"{name}.log") for name in SERVICES}
    try:
        # Side by side: their imports and consumer group joins overlap (one after another took 25 s in CI).
        for p in procs.values():
            p.launch()
        for p in procs.values():
            p.wait_healthy(START_WITHIN)
        yield System(procs)
    finally:
        stop_all(procs.values(), timeout=20)


class Workbench:
    """The workbench as a process in front of the four services, with accounts of each kind of person."""

    PASSWORD = "correct horse battery staple"
    ACCOUNTS = {"coordinator": ("coordinator", "taskforce"), "anna": ("rom", "oost-nl"), "bram": ("rom", "bom"),
                "enschede": ("municipality", "GM0153")}

    def __init__(self, proc: ServiceProcess) -> None:
        self.proc = proc
        self.url = proc.url


@pytest.fixture(scope="session")
def identity_provider():
    """The organisations' OpenID Connect provider, on loopback: the workbench offers it beside the local accounts."""
    with serving(Provider()) as idp:
        yield idp


@pytest.fixture(scope="session")
def workbench(system, service_env, artifacts, tmp_path_factory, identity_provider):
    from services.workbench import accounts

    accounts_file = tmp_path_factory.mktemp("workbench") / "accounts.json"
    for username, (role, organisation) in Workbench.ACCOUNTS.items():
        accounts.create(accounts_file, username=username, name=username.title(), role=role,
                        organisation=organisation, password=Workbench.PASSWORD)
    port = free_port()
    env = service_env | {"WORKBENCH_ACCOUNTS_FILE": str(accounts_file), "WORKBENCH_PUBLIC_URL": f"http://127.0.0.1:{port}",
                         # As in production: the organisation's provider beside the local accounts file.
                         "WORKBENCH_OIDC_ISSUER": identity_provider.issuer, "WORKBENCH_OIDC_CLIENT_ID": CLIENT_ID,
                         "WORKBENCH_OIDC_CLIENT_SECRET": CLIENT_SECRET}
    env |= {f"WORKBENCH_{name.upper()}_URL": system.url(name) for name in SERVICES}
    proc = ServiceProcess("workbench", port, env, artifacts / "logs" / "workbench.log")
    try:
        proc.start(wait=START_WITHIN)
        yield Workbench(proc)
    finally:
        stop_all([proc], timeout=20)
