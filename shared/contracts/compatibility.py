"""Is a new JSON Schema of an event backward compatible with the old one (can every old event still be read)?

Backward compatible means: everything the old schema accepted, the new one accepts. A change that breaks
this — a field removed or retyped, a new required field, an enum value or a range taken away, a new
pattern or format — needs a new schema version with an upcaster from the old one (docs/contracts.md).
Descriptions, titles, defaults and additions (optional fields, enum values, wider ranges) are free.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Every backward-incompatible difference from `old` to `new`, as `path: what changed`."""
    return _Compare(old, new).node(old, new, "$")


class _Compare:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.roots = (old_root, new_root)

    def resolve(self, node: Schema, side: int) -> Schema:
        seen = set()
        while isinstance(node, dict) and "$ref" in node and node["$ref"] not in seen:
            seen.add(node["$ref"])
            target: Any = self.roots[side]
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    def node(self, old: Schema, new: Schema, path: str) -> list[str]:
        old, new = self.resolve(old, 0), self.resolve(new, 1)
        if "anyOf" in old or "anyOf" in new:
            return self.alternatives(old, new, path)
        problems = self.types(old, new, path)
        if problems:
            return problems
        problems += self.values(old, new, path) + self.bounds(old, new, path)
        if "object" in _types(old):
            problems += self.objects(old, new, path)
        if "array" in _types(old):
            problems += self.arrays(old, new, path)
        return problems

    def alternatives(self, old: Schema, new: Schema, path: str) -> list[str]:
        """Each old alternative must still be accepted by some new alternative (e.g. `X | None`)."""
        olds = [self.resolve(o, 0) for o in old.get("anyOf", [old])]
        news = [self.resolve(n, 1) for n in new.get("anyOf", [new])]
        problems = []
        for alt in olds:
            candidates = [n for n in news if _types(alt) & _types(n) or not _types(n)]
            verdicts = [self.node(alt, n, path) for n in candidates]
            if not candidates:
                problems.append(f"{path}: no longer accepts {sorted(_types(alt)) or 'a value'}")
            elif all(verdicts):
                problems += min(verdicts, key=len)
        return problems

    def types(self, old: Schema, new: Schema, path: str) -> list[str]:
        before, after = _types(old), _types(new)
        if not after or not before:
            return [] if not after else [f"{path}: now restricted to {sorted(after)}"]
        lost = before - after - ({"integer"} if "number" in after else set())
        return [f"{path}: retyped from {sorted(before)} to {sorted(after)}"] if lost else []

    def values(self, old: Schema, new: Schema, path: str) -> list[str]:
        before, after = _allowed(old), _allowed(new)
        if after is None:
            return []
        if before is None:
            return [f"{path}: now limited to {sorted(map(str, after))}"]
        lost = [v for v in before if v not in after]
        return [f"{path}: enum narrowed, {sorted(map(str, lost))} no longer accepted"] if lost else []

    def bounds(self, old: Schema, new: Schema, path: str) -> list[str]:
        problems = []
        for key in _UPPER + _LOWER:
            if key not in new:
                continue
            tighter = key not in old or (new[key] < old[key] if key in _UPPER else new[key] > old[key])
            if tighter:
                problems.append(f"{path}: {key} tightened to {new[key]} (was {old.get(key, 'unbounded')})")
        for key in ("pattern", "format"):
            if key in new and new.get(key) != old.get(key):
                problems.append(f"{path}: {key} now {new[key]!r} (was {old.get(key, 'none')!r})")
        return problems

    def objects(self, old: Schema, new: Schema, path: str) -> list[str]:
        before, after = old.get("properties", {}), new.get("properties", {})
        problems = [f"{path}.{name}: removed" for name in before if name not in after]
        problems += [f"{path}.{name}: new required field" for name in
                     sorted(set(new.get("required", ())) - set(old.get("required", ())))]
        for name in before:
            if name in after:
                problems += self.node(before[name], after[name], f"{path}.{name}")
        old_extra, new_extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if new_extra is False and old_extra is not False:
            problems.append(f"{path}: no longer accepts unknown fields")
        elif isinstance(old_extra, dict) and isinstance(new_extra, dict):
            problems += self.node(old_extra, new_extra, f"{path}.*")
        return problems

    def arrays(self, old: Schema, new: Schema, path: str) -> list[str]:
        problems = []
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            problems += self.node(old["items"], new["items"], f"{path}[]")
        return problems


def _types(node: Schema) -> set[str]:
    if "type" in node:
        return set(node["type"]) if isinstance(node["type"], list) else {node["type"]}
    values = _allowed(node)
    return {_json_type(v) for v in values} if values is not None else set()


def _allowed(node: Schema) -> list | None:
    if "const" in node:
        return [node["const"]]
    return node.get("enum")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]
