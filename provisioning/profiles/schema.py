"""Typed, bounded reading of a profile: YAML without aliases, strict field types, size limits.

Every reader appends a Problem (field, value, rule) instead of raising, so one load reports
everything that is wrong. Types are strict: a boolean is `true`/`false`, never the string
"false"; a number is never a boolean; an IP address or CIDR is a string, never a number.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from provisioning.data import load_data
from provisioning.errors import Problem, clip

LIMITS = load_data("profile_limits")
PROFILE = LIMITS["profile"]
TAGS = LIMITS["tags"]
ABSENT: Any = object()


class NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases (no alias bombs, no shared nodes)."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102 (PyYAML hook)
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "YAML aliases (*name) are not allowed in a profile",
                                              event.start_mark)
        if self.check_event(yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent):
            event = self.peek_event()
            if event.anchor is not None:
                raise yaml.composer.ComposerError(None, None, "YAML anchors (&name) are not allowed in a profile",
                                                  event.start_mark)
        return super().compose_node(parent, index)


def read_yaml(path: Path, problems: list[Problem]) -> Any:
    """The file's YAML document, or ABSENT with a problem (too big, empty, not YAML, aliases, too deep)."""
    size = path.stat().st_size
    if size > PROFILE["max_bytes"]:
        problems.append(Problem("<file>", str(path), f"is {size} bytes; a profile may have at most "
                                                     f"{PROFILE['max_bytes']}"))
        return ABSENT
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        raw = yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        problems.append(Problem("<file>", str(path), f"not a valid profile YAML: {clip(str(exc), 300)}"))
        return ABSENT
    except RecursionError:
        problems.append(Problem("<file>", str(path), "nested too deeply to be a profile"))
        return ABSENT
    if raw is None:
        problems.append(Problem("<file>", str(path), "the profile is empty; it needs at least region, vpc, "
                                                     "subnets, bastion and nodes"))
        return ABSENT
    return raw


def type_name(value: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a mapping", type(None): "null"}.get(type(value), type(value).__name__)


class Reader:
    """Typed accessors over a profile's raw mappings; problems collect in .problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def bad(self, where: str, value: object, rule: str) -> None:
        self.problems.append(Problem(where, value, rule))

    def section(self, raw: Any, where: str, allowed: set[str], required: tuple[str, ...] = (),
                optional: bool = True) -> dict[str, Any]:
        """raw as a mapping with only allowed keys; unknown keys and missing required ones are problems."""
        if raw is ABSENT or raw is None:
            if not optional:
                self.bad(where, None, "required section is missing")
            raw = {}
        if not isinstance(raw, dict):
            self.bad(where or "<file>", raw, f"must be a mapping, found {type_name(raw)}")
            return {}
        for key in sorted(set(raw) - allowed, key=str):
            self.bad(f"{where}.{key}" if where else str(key), raw[key], f"unknown key; allowed: {sorted(allowed)}")
        for key in required:
            if key not in raw or raw[key] is None:
                self.bad(f"{where}.{key}" if where else key, None, "required field is missing")
        return {k: v for k, v in raw.items() if k in allowed}

    def value(self, raw: Mapping[str, Any], key: str, where: str, hint: Any, default: Any = ABSENT) -> Any:
        """raw[key] checked against hint (str, bool, int, float, Literal, X | None, tuple[str, ...])."""
        here = f"{where}.{key}" if where else key
        if key not in raw:
            if default is ABSENT:
                self.bad(here, None, "required field is missing")
            return default
        return self.check(raw[key], here, hint, default)

    def check(self, value: Any, here: str, hint: Any, default: Any = ABSENT) -> Any:
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            if value is None and type(None) in args:
                return None
            inner = [a for a in args if a is not type(None)]
            return self.check(value, here, inner[0] if len(inner) == 1 else hint, default)
        if origin is Literal:
            if value not in args or isinstance(value, bool):
                self.bad(here, value, f"must be one of {list(args)}")
                return default if default is not ABSENT else args[0]
            return value
        if origin is tuple:
            if not isinstance(value, list):
                self.bad(here, value, f"must be a list, found {type_name(value)}")
                return ()
            if len(value) > PROFILE["max_list_items"]:
                self.bad(here, f"{len(value)} items", f"at most {PROFILE['max_list_items']} items")
                return ()
            return tuple(self.check(v, f"{here}[{i}]", args[0]) for i, v in enumerate(value))
        if hint is list or hint is dict:
            if not isinstance(value, hint):
                self.bad(here, value, f"must be {type_name(hint())}, found {type_name(value)}")
                return hint()
            if hint is list and len(value) > PROFILE["max_list_items"]:
                self.bad(here, f"{len(value)} items", f"at most {PROFILE['max_list_items']} items")
                return []
            return value
        if hint is bool:
            if not isinstance(value, bool):
                self.bad(here, value, f"must be true or false (unquoted), found {type_name(value)}")
                return default if isinstance(default, bool) else False
            return value
        if hint is int or hint is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if hint is int and not (isinstance(value, int) and not isinstance(value, bool)):
                self.bad(here, value, f"must be a whole number, found {type_name(value)}")
                return 0
            if not ok or not math.isfinite(value):
                self.bad(here, value, f"must be a finite number, found {type_name(value) if not ok else value}")
                return 0
            return value
        if hint is str:
            if not isinstance(value, str):
                self.bad(here, value, f"must be a string (quote it in YAML), found {type_name(value)}")
                return ""
            if len(value) > PROFILE["max_string_chars"]:
                self.bad(here, value, f"is {len(value)} characters; at most {PROFILE['max_string_chars']}")
                return ""
            return value
        raise TypeError(f"no reader for {hint!r} at {here}")  # a programming error, not bad input

    def number(self, raw: Mapping[str, Any], key: str, where: str, default: Any, lo: float, hi: float,
               hint: Any = float) -> Any:
        """A number within [lo, hi] (or default when absent)."""
        known = len(self.problems)
        value = self.value(raw, key, where, hint, default)
        if len(self.problems) == known and value is not None and value is not default and not lo <= value <= hi:
            self.bad(f"{where}.{key}", value, f"must be between {lo:g} and {hi:g}")
        return value

    def dataclass(self, cls: type, raw: Any, where: str, **given: Any) -> Any:
        """An instance of dataclass cls from raw, every field type-checked; None when raw is unusable."""
        assert is_dataclass(cls)
        hints = typing.get_type_hints(cls)
        names = {f.name for f in fields(cls)} - set(given)
        m = self.section(raw, where, names)
        if not isinstance(raw, dict):
            return None
        kwargs = dict(given)
        for f in fields(cls):
            if f.name in given:
                continue
            default = f.default if f.default is not MISSING else ABSENT
            hint = hints[f.name]
            inner = [a for a in typing.get_args(hint) if a is not type(None)]
            target = inner[0] if inner and is_dataclass(inner[0]) else hint
            if is_dataclass(target) and isinstance(target, type):
                sub = m.get(f.name)
                kwargs[f.name] = None if sub is None else self.dataclass(target, sub, f"{where}.{f.name}")
                continue
            kwargs[f.name] = self.value(m, f.name, where, hint, default)
        return cls(**kwargs)

    def tags(self, raw: Any, where: str) -> dict[str, str]:
        """Profile tags within AWS's limits (count, lengths, characters, reserved keys)."""
        m = self.section(raw, where, set(raw) if isinstance(raw, dict) else set())
        room = TAGS["per_resource"] - TAGS["reserved_by_suite"]
        if len(m) > room:
            self.bad(where, f"{len(m)} tags", f"AWS allows {TAGS['per_resource']} tags per resource and the suite "
                                              f"sets {TAGS['reserved_by_suite']}: at most {room} here")
            return {}
        out = {}
        for key, value in m.items():
            here = f"{where}.{clip(str(key), 40)}"
            if not isinstance(key, str) or not isinstance(value, str):
                self.bad(here, value if isinstance(key, str) else key, "tag keys and values must be strings "
                                                                       "(quote numbers and booleans)")
                continue
            rule = _tag_rule(key, value)
            if rule:
                self.bad(here, value, rule)
                continue
            out[key] = value
        return out


def _tag_rule(key: str, value: str) -> str | None:
    if not 1 <= len(key) <= TAGS["key_max_chars"]:
        return f"a tag key has 1 to {TAGS['key_max_chars']} characters (this one {len(key)})"
    if len(value) > TAGS["value_max_chars"]:
        return f"a tag value has at most {TAGS['value_max_chars']} characters (this one {len(value)})"
    if key.lower().startswith(TAGS["reserved_prefix"]):
        return f"tag keys starting with {TAGS['reserved_prefix']!r} are reserved by AWS"
    if key in ("Name", "ManagedBy") or key.startswith("tdg:"):
        return "the suite sets this tag itself (Name, ManagedBy, tdg:*)"
    allowed = TAGS["allowed_punctuation"]
    odd = sorted({c for c in key + value if not (c.isalnum() or c.isspace() or c in allowed)})
    if odd:
        return f"characters {odd} are not allowed in tags (IAM and Auto Scaling allow letters, digits, " \
               f"spaces and {allowed})"
    return None
