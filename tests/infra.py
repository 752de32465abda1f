"""Where the tests' real Kafka and PostgreSQL come from.

In order: the environment (KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL), testcontainers when a Docker engine
answers, otherwise the local processes of deploy.stack. Missing components make the tests fail, never skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator

from deploy import stack


def docker_engine_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextlib.contextmanager
def containers() -> Iterator[stack.Endpoints]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft() as kafka, \
            PostgresContainer("postgres:16", driver="asyncpg") as pg:
        yield stack.Endpoints(kafka=kafka.get_bootstrap_server(), database_url=pg.get_connection_url())


@contextlib.contextmanager
def real_stack() -> Iterator[stack.Endpoints]:
    given_kafka, given_db = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("DATABASE_URL")
    if given_kafka and given_db:
        yield stack.Endpoints(kafka=given_kafka, database_url=given_db)
    elif not (given_kafka or given_db) and docker_engine_answers():
        with containers() as ends:
            yield ends
    else:
        with local_stack() as ends:
            yield ends


@contextlib.contextmanager
def local_stack() -> Iterator[stack.Endpoints]:
    """deploy.stack's processes, stopped afterwards only if this call started them: a running stack stays up."""
    started = not stack.port_open(stack.KAFKA_PORT) or not stack.port_open(stack.PG_PORT)
    try:
        yield stack.up()
    finally:
        if started:
            stack.down()


@contextlib.contextmanager
def shared_local_stack() -> Iterator[None]:
    """For a run split over xdist workers: the local stack started once, before the workers, and stopped after
    all of them (each worker's `real_stack` then finds it listening, and leaves it running). A given stack or
    testcontainers are left to each worker, as in a run of one process."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or os.environ.get("DATABASE_URL") or docker_engine_answers():
        yield
        return
    with local_stack():
        yield
