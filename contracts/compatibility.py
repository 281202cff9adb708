"""Backward compatibility of event schemas: can a consumer written against `old` read `new` data,
and can a new consumer read old data?

For JSON Schema with an open content model the rules are: never remove or rename a field,
never make an optional field required, never add a required field, never narrow a type,
an enum or a constraint. Adding an optional field is fine. Every finding names the field.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems")
_UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems")


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    return _compare(old, new, old, new, path="")


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported, got {ref}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _variants(node: Schema, root: Schema) -> list[Schema]:
    node = _resolve(node, root)
    alts = node.get("anyOf") or node.get("oneOf")
    if alts:
        return [v for alt in alts for v in _variants(alt, root)]
    return [node]


def _types(node: Schema, root: Schema) -> set[str]:
    out: set[str] = set()
    for v in _variants(node, root):
        t = v.get("type")
        if t is None:
            out.add("any")
        elif isinstance(t, list):
            out.update(t)
        else:
            out.add(t)
    return out


def _compare(old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str) -> list[str]:
    label = path or "(event)"
    problems: list[str] = []
    old_types, new_types = _types(old, old_root), _types(new, new_root)
    if "any" not in new_types:
        missing = sorted(
            t
            for t in old_types
            if t not in new_types and not (t == "integer" and "number" in new_types)
        )
        if missing:
            problems.append(f"field {label}: type narrowed, no longer accepts {', '.join(missing)}")
    old_v, new_v = _variants(old, old_root), _variants(new, new_root)
    for o in old_v:
        for n in new_v:
            if o.get("type") != n.get("type"):
                continue
            problems += _compare_constraints(o, n, label)
            if o.get("type") == "object" or "properties" in o:
                problems += _compare_objects(o, n, old_root, new_root, path)
            if o.get("type") == "array" and "items" in o and "items" in n:
                problems += _compare(o["items"], n["items"], old_root, new_root, f"{path}[]")
    return list(dict.fromkeys(problems))


def _compare_constraints(o: Schema, n: Schema, label: str) -> list[str]:
    problems = []
    if "enum" in o and "enum" in n:
        removed = [v for v in o["enum"] if v not in n["enum"]]
        if removed:
            problems.append(f"field {label}: enum values removed: {removed}")
    elif "enum" in n and "enum" not in o:
        problems.append(f"field {label}: now restricted to {n['enum']}")
    if "const" in n and n.get("const") != o.get("const"):
        problems.append(f"field {label}: now fixed to {n['const']!r}")
    for key in _LOWER_BOUNDS:
        if key in n and (key not in o or n[key] > o[key]):
            problems.append(f"field {label}: {key} tightened to {n[key]}")
    for key in _UPPER_BOUNDS:
        if key in n and (key not in o or n[key] < o[key]):
            problems.append(f"field {label}: {key} tightened to {n[key]}")
    for key in ("pattern", "format"):
        if key in n and n[key] != o.get(key):
            problems.append(f"field {label}: {key} changed to {n[key]!r}")
    return problems


def _compare_objects(
    o: Schema, n: Schema, old_root: Schema, new_root: Schema, path: str
) -> list[str]:
    problems = []
    old_props, new_props = o.get("properties", {}), n.get("properties", {})
    old_req, new_req = set(o.get("required", [])), set(n.get("required", []))
    prefix = f"{path}." if path else ""
    for name, old_prop in old_props.items():
        field = f"{prefix}{name}"
        if name not in new_props:
            problems.append(f"field {field}: removed or renamed")
            continue
        if name in new_req and name not in old_req:
            problems.append(f"field {field}: was optional, is now required")
        problems += _compare(old_prop, new_props[name], old_root, new_root, field)
    for name in new_props.keys() - old_props.keys():
        if name in new_req:
            problems.append(f"field {prefix}{name}: added as required (old events lack it)")
    if n.get("additionalProperties") is False and o.get("additionalProperties") is not False:
        problems.append(f"field {path or '(event)'}: no longer accepts unknown fields")
    return problems
