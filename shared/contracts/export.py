"""Write the JSON Schema snapshot of every event: `python -m shared.contracts.export`."""

import json
from pathlib import Path

from shared.contracts.events import EVENT_TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schema_documents() -> dict[str, str]:
    """File name -> JSON Schema text, one per event type and version."""
    docs = {}
    for topic, model in EVENT_TYPES.items():
        version = model.model_fields["schemaversion"].default
        docs[f"{topic}.v{version}.json"] = json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"
    return docs


def main() -> None:
    for name, text in schema_documents().items():
        (SCHEMA_DIR / name).write_text(text)
        print(f"wrote {SCHEMA_DIR / name}")


if __name__ == "__main__":
    main()
