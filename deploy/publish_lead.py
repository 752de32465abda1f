"""Publish an example lead as its ROM would: `python -m deploy.publish_lead [file.json] [--same-company]`.

On the local stack it connects as the lead's ROM (`rom-<organisation>`, its password from the local state) to that
ROM's own topic, `lead-signalled.<organisation>`; with KAFKA_SASL_USERNAME set it uses the environment's principal.

Each call is a new lead (new event id and reference) of a new company (a random KvK number), so that it
opens a new case; `--same-company` keeps the file's KvK number, to see a second signal join the case.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer

from deploy import kafka_security
from shared.messaging import security_from_env

EXAMPLE = Path(__file__).parent / "example-lead.json"


def as_rom(organisation: str) -> dict:
    """How to connect: the environment's principal if it names one, else the ROM's own from the local stack."""
    if os.environ.get("KAFKA_SASL_USERNAME"):
        return security_from_env()
    from deploy import stack

    path = stack.STATE / "kafka" / "credentials.json"
    if not path.exists():
        return security_from_env()
    return kafka_security.Credentials.load(path).client(kafka_security.rom_principal(organisation))


async def publish(raw: dict, bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **as_rom(raw["data"]["organisation"]), acks="all",
                                enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, json.dumps(raw).encode(), key=raw["subject"].encode())
    finally:
        await producer.stop()


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    raw = json.loads(Path(args[0] if args else EXAMPLE).read_text())
    raw["id"] = str(uuid.uuid4())
    if "--same-company" not in sys.argv:
        raw["data"]["company"]["kvk_number"] = f"{random.randrange(10**7, 10**8)}"
    raw["data"]["reference"] = f"{raw['data']['reference']}-{raw['id'][:8]}"
    raw["subject"] = raw["data"]["reference"]
    from deploy import stack

    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or stack.bootstrap_servers()
    topic = os.environ.get("KAFKA_TOPIC_PREFIX", "") + kafka_security.organisation_topic(raw["data"]["organisation"])
    asyncio.run(publish(raw, bootstrap, topic))
    print(f"published lead {raw['subject']} (event {raw['id']}) to {topic} on {bootstrap}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
