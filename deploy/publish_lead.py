"""Publish an example lead to `lead-signalled`: `python -m deploy.publish_lead [file.json] [--same-company]`.

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

from shared.messaging import security_from_env

EXAMPLE = Path(__file__).parent / "example-lead.json"


async def publish(raw: dict, bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **security_from_env(), acks="all", enable_idempotence=True)
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
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    topic = os.environ.get("KAFKA_TOPIC_PREFIX", "") + "lead-signalled"
    asyncio.run(publish(raw, bootstrap, topic))
    print(f"published lead {raw['subject']} (event {raw['id']}) to {topic} on {bootstrap}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
