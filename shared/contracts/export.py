"""Write the JSON Schema snapshot of every event's current version: `python -m shared.contracts.export`.

Snapshots of older versions stay as they are (consumers still read those versions). An existing snapshot
is only overwritten by a backward-compatible change: an incompatible one needs a new version (see
docs/contracts.md), and the export refuses it rather than let `make schemas` launder it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from shared.contracts.compatibility import breaking_changes
from shared.contracts.events import EVENT_TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schema_documents() -> dict[str, str]:
    """File name -> JSON Schema text of each event type's current version."""
    docs = {}
    for topic, model in EVENT_TYPES.items():
        docs[f"{topic}.v{model.current_version()}.json"] = json.dumps(model.model_json_schema(), indent=2,
                                                                      sort_keys=True) + "\n"
    return docs


def committed_versions(topic: str, folder: Path = SCHEMA_DIR) -> dict[int, dict]:
    """Version -> committed JSON Schema of one event type."""
    return {int(path.name.removeprefix(f"{topic}.v").removesuffix(".json")): json.loads(path.read_text())
            for path in folder.glob(f"{topic}.v*.json")}


def incompatible_changes(folder: Path = SCHEMA_DIR) -> dict[str, list[str]]:
    """Snapshot name -> what the current model breaks in it (same version only)."""
    found = {}
    for name, text in schema_documents().items():
        path = folder / name
        if path.exists() and (problems := breaking_changes(json.loads(path.read_text()), json.loads(text))):
            found[name] = problems
    return found


def main() -> int:
    if refused := incompatible_changes():
        for name, problems in refused.items():
            print(f"{name}: backward-incompatible change; raise the version and add an upcaster instead:",
                  *problems, sep="\n  ", file=sys.stderr)
        return 1
    for name, text in schema_documents().items():
        (SCHEMA_DIR / name).write_text(text)
        print(f"wrote {SCHEMA_DIR / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
