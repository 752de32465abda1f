"""Who may do what on Kafka: one SCRAM principal per service and per ROM, their generated passwords, and the ACLs
(Kafka's StandardAuthorizer) that give each principal exactly its topics and consumer groups.

The passwords are generated on first start into the ignored local state (never committed). The ACLs follow
the topic prefix of a run, so a test run on a shared cluster gets the same grants for its own topics.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest, CreateAclsRequest_v1, DescribeAclsRequest

from shared.settings import DEV_ROMS

ADMIN = "admin"  # the stack's own tooling (topic and ACL set-up, tests): a super user
SERVICES = ("intake", "matching", "notifications", "reporting", "workbench")
ROMS = tuple(DEV_ROMS.values())
MECHANISM = "SCRAM-SHA-512"
DLQ = ".dlq"
# A ROM publishes its leads on its own topic; intake takes the organisation from the topic's name.
LEAD_TOPIC = "lead-signalled"
ORGANISATION_TOPIC_PREFIX = f"{LEAD_TOPIC}."


def rom_principal(organisation: str) -> str:
    return f"rom-{organisation}"


def organisation_topic(organisation: str) -> str:
    return f"{ORGANISATION_TOPIC_PREFIX}{organisation}"


def principals() -> list[str]:
    return [ADMIN, *SERVICES, *(rom_principal(o) for o in ROMS)]


# What each service consumes and publishes (its bootstrap's topics; tests/unit/test_kafka_security.py holds the
# two in step). A consumer also writes the dead letters of what it consumes.
READS: Mapping[str, tuple[str, ...]] = {
    "intake": (LEAD_TOPIC, "match-proposed", "case-closed"),
    "matching": ("case-opened", "lead-updated", "site-changed", "case-closed"),
    "notifications": ("match-proposed", "relocation-realised", "case-opened", "lead-updated", "consent-granted",
                      "identity-erased"),
    # Reporting reads no identities: neither lead-signalled nor consent-granted (what it needs of a lead, the
    # company's keyed name digests for its note check included, comes in lead-registered).
    "reporting": ("case-opened", "match-proposed", "relocation-realised", "lead-registered", "lead-updated",
                  "case-closed", "proposal-decided", "site-changed", "recipient-replied"),
    "workbench": (),
}
WRITES: Mapping[str, tuple[str, ...]] = {
    "intake": ("lead-registered", "lead-updated", "consent-granted", "case-opened", "identity-erased"),
    "matching": ("match-proposed", "proposal-decided", "relocation-realised", "case-closed", "site-changed"),
    "notifications": ("recipient-replied",),
    "reporting": (),
    "workbench": (),
}


@dataclass(frozen=True)
class Grant:
    """ALLOW `principal` to do `operation` on a topic or group named `name` (or any name starting with it)."""

    principal: str
    resource: str  # "topic" | "group"
    name: str
    operation: str  # "read" | "write" | "create" | "describe"
    prefixed: bool = False


def grants(prefix: str = "") -> list[Grant]:
    """Every grant for topics and groups under `prefix` (a test run's; "" for the real names)."""
    out: list[Grant] = []
    for service in SERVICES:
        out += _service_grants(service, prefix)
    for organisation in ROMS:
        # Only its own lead topic, and nothing else: it cannot read any lead, nor write another's.
        out.append(Grant(rom_principal(organisation), "topic", prefix + organisation_topic(organisation), "write"))
    return out


def _service_grants(service: str, prefix: str) -> list[Grant]:
    out = []
    for topic in READS[service]:
        out += [Grant(service, "topic", prefix + topic, "read"), Grant(service, "topic", prefix + topic + DLQ, "write")]
    for topic in WRITES[service]:
        out.append(Grant(service, "topic", prefix + topic, "write"))
    for topic in {*READS[service], *WRITES[service]}:
        out += [Grant(service, "topic", prefix + topic, "create"), Grant(service, "topic", prefix + topic + DLQ,
                                                                       "create")]
    if service == "intake":
        # It reads every organisation's lead topic (one added later too), but writes none: only their dead letters.
        out.append(Grant(service, "topic", prefix + ORGANISATION_TOPIC_PREFIX, "read", prefixed=True))
        for organisation in ROMS:
            topic = prefix + organisation_topic(organisation)
            out += [Grant(service, "topic", topic, "create"), Grant(service, "topic", topic + DLQ, "create"),
                    Grant(service, "topic", topic + DLQ, "write")]
    if READS[service]:
        # Its consumer groups all start with the service's name (settings.group() adds the run's prefix).
        out.append(Grant(service, "group", prefix + service, "read", prefixed=True))
    return out


# ---------------------------------------------------------------- credentials
@dataclass(frozen=True)
class Credentials:
    """The password of every principal, kept in a file only its owner can read."""

    path: Path
    passwords: dict[str, str]

    @classmethod
    def load_or_create(cls, path: Path) -> Credentials:
        passwords = json.loads(path.read_text()) if path.exists() else {}
        missing = [p for p in principals() if p not in passwords]
        if missing:
            passwords |= {p: secrets.token_hex(24) for p in missing}
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(json.dumps(passwords, indent=1))
        return cls(path, passwords)

    @classmethod
    def load(cls, path: Path) -> Credentials:
        return cls(path, json.loads(path.read_text()))

    def env(self, principal: str) -> dict[str, str]:
        """The settings a client needs to connect as `principal` (shared.settings' KAFKA_* variables)."""
        return {"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": MECHANISM,
                "KAFKA_SASL_USERNAME": principal, "KAFKA_SASL_PASSWORD": self.passwords[principal]}

    def client_properties(self, principal: str) -> Path:
        """A librdkafka/Java client configuration file for `principal` (kcat -F, --command-config), beside the
        credentials and as private."""
        path = self.path.parent / "clients" / f"{principal}.properties"
        path.parent.mkdir(exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(f"security.protocol=SASL_PLAINTEXT\nsasl.mechanisms={MECHANISM}\n"
                        f"sasl.username={principal}\nsasl.password={self.passwords[principal]}\n")
        return path

    def client(self, principal: str) -> dict[str, str]:
        """aiokafka keyword arguments to connect as `principal`."""
        return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": MECHANISM,
                "sasl_plain_username": principal, "sasl_plain_password": self.passwords[principal]}


CREDENTIALS_ENV = "GROEIRUIMTE_KAFKA_CREDENTIALS"


def known_credentials() -> Credentials | None:
    """The credentials file named by GROEIRUIMTE_KAFKA_CREDENTIALS, if any."""
    path = os.environ.get(CREDENTIALS_ENV)
    return Credentials.load(Path(path)) if path else None


def principal_env(principal: str) -> dict[str, str]:
    """How a process connects as `principal`: its own credentials when they are known, else nothing to add."""
    creds = known_credentials()
    return creds.env(principal) if creds and principal in creds.passwords else {}


# ---------------------------------------------------------------- ACLs on the wire
_RESOURCE = {"topic": 2, "group": 3}
_OPERATION = {"read": 3, "write": 4, "create": 5, "describe": 8}
_LITERAL, _PREFIXED, _ALLOW = 3, 4, 3


class _CreateAcls(CreateAclsRequest):
    """CreateAcls (v1) with many bindings in one request (aiokafka's class sends one)."""

    def __init__(self, creations: list[tuple]):
        self._creations = creations

    def build(self, request_struct_class):
        if request_struct_class.API_VERSION < 1:
            raise RuntimeError("the broker does not speak CreateAcls v1 (prefixed ACLs)")
        return CreateAclsRequest_v1(self._creations)


async def apply_grants(admin: AIOKafkaAdminClient, wanted: Iterable[Grant]) -> None:
    """Create the ACLs (creating an existing one changes nothing)."""
    creations = [(_RESOURCE[g.resource], g.name, _PREFIXED if g.prefixed else _LITERAL, f"User:{g.principal}", "*",
                  _OPERATION[g.operation], _ALLOW) for g in wanted]
    for start in range(0, len(creations), 500):
        response = await admin._send_request(_CreateAcls(creations[start:start + 500]))
        refused = [(code, message) for code, message in response.creation_responses if code]
        if refused:
            raise RuntimeError(f"the broker refused {len(refused)} ACLs, e.g. {refused[0]}")
    if creations:
        await _visible_on_every_broker(admin, creations[-1])


async def _visible_on_every_broker(admin: AIOKafkaAdminClient, last: tuple, timeout: float = 30) -> None:
    """CreateAcls returns once the controller committed them; each broker applies them a moment later. Wait
    until every broker knows the last one (they are applied in order), so the next client is not refused."""
    resource_type, name, pattern, principal, host, operation, permission = last
    probe = DescribeAclsRequest(resource_type, name, pattern, principal, host, operation, permission)
    deadline = asyncio.get_running_loop().time() + timeout
    for broker in admin._client.cluster.brokers():
        while not (await admin._send_request(probe, broker.nodeId)).resources:
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"broker {broker.nodeId} did not apply the ACLs within {timeout:.0f} s")
            await asyncio.sleep(0.1)


async def grant_for_prefix(bootstrap: str, admin_security: Mapping[str, str], prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **admin_security)
    await admin.start()
    try:
        await apply_grants(admin, grants(prefix))
    finally:
        await admin.close()




def as_own_principal(service: str, env: Mapping[str, str]) -> dict[str, str]:
    """The settings that make a service process connect as its own principal (the ACLs for its topic prefix
    granted first, by the admin), when the credentials file is known; otherwise nothing changes."""
    path = env.get(CREDENTIALS_ENV)
    if not path or service not in SERVICES:
        return {}
    creds = Credentials.load(Path(path))
    bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    grant = grant_for_prefix(bootstrap, creds.client(ADMIN), env.get("KAFKA_TOPIC_PREFIX", ""))
    # Callers may be inside an event loop (async tests): the grant gets a loop of its own.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, grant).result()
    return creds.env(service)
