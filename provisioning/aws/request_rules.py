"""Check a request against the input rules the AWS API reference documents, before it is sent.

The rules are data (provisioning/data/request_rules.yaml, each naming its API reference page);
moto does not enforce them, so without this an offline run accepts what AWS refuses on the first
live call. The client factory calls check_request() for every call (offline and live alike); a
violation raises RequestRuleError naming the operation, the parameter, the value (truncated)
and the rule with its source.
"""

from __future__ import annotations

import base64
import binascii
import re
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from provisioning.data import load_data
from provisioning.errors import RequestRuleError

SHOWN_CHARS = 80


@dataclass(frozen=True)
class Rule:
    """One documented constraint on one or more parameters of one or more operations."""

    id: str
    operations: tuple[str, ...]
    parameters: tuple[str, ...]
    reference: str
    says: str
    chars: str | None = None
    pattern: str | None = None
    min_chars: int | None = None
    max_chars: int | None = None
    max_items: int | None = None
    max_bytes_decoded: int | None = None
    not_prefix: str | None = None
    cron_fields: int | None = None
    iana_time_zone: bool = False

    def applies(self, service: str, operation: str) -> bool:
        return f"{service}:{operation}" in self.operations or f"{service}:*" in self.operations

    def problem(self, value: Any) -> str | None:
        """Why value breaks this rule, or None when it keeps it."""
        if self.max_items is not None:
            if isinstance(value, list | tuple) and len(value) > self.max_items:
                return f"{len(value)} items, at most {self.max_items} allowed"
            return None
        if self.max_bytes_decoded is not None:
            return _decoded_size_problem(value, self.max_bytes_decoded)
        if not isinstance(value, str):
            return None
        checks = (
            (self.min_chars is not None and len(value) < self.min_chars,
             lambda: f"{len(value)} characters, at least {self.min_chars} required"),
            (self.max_chars is not None and len(value) > self.max_chars,
             lambda: f"{len(value)} characters, at most {self.max_chars} allowed"),
            (self.not_prefix is not None and value.lower().startswith(str(self.not_prefix).lower()),
             lambda: f"may not begin with {self.not_prefix!r}"),
            (self.chars is not None and _bad_chars(value, str(self.chars)) != "",
             lambda: f"characters {_bad_chars(value, str(self.chars))!r} are not allowed"),
            (self.pattern is not None and re.fullmatch(str(self.pattern), value) is None,
             lambda: f"does not match the pattern {self.pattern}"),
            (self.cron_fields is not None and len(value.split()) != self.cron_fields,
             lambda: f"{len(value.split())} cron fields, exactly {self.cron_fields} required"),
            (self.iana_time_zone and not _is_time_zone(value), lambda: "not a canonical IANA time zone name"),
        )
        for broken, why in checks:
            if broken:
                return why()
        return None


def _bad_chars(value: str, chars: str) -> str:
    """The distinct characters of value outside the character class chars, in order of appearance."""
    outside = re.compile(f"[^{chars}]")
    return "".join(dict.fromkeys(outside.findall(value)))


def _decoded_size_problem(value: Any, limit: int) -> str | None:
    if not isinstance(value, str | bytes):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "is not base64 (EC2 expects the user-data base64-encoded here)"
    if len(raw) > limit:
        return f"{len(raw)} bytes before base64, at most {limit} allowed"
    return None


def _is_time_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@cache
def rules() -> tuple[Rule, ...]:
    """Every rule of provisioning/data/request_rules.yaml."""
    out = []
    for raw in load_data("request_rules")["rules"]:
        fields = dict(raw)
        fields["operations"] = tuple(fields["operations"])
        fields["parameters"] = tuple(fields["parameters"])
        out.append(Rule(**fields))
    return tuple(out)


def values_at(params: Mapping[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) for every value path names in params ("A[].B" walks the list A)."""
    def walk(node: Any, parts: list[str], where: str) -> Iterator[tuple[str, Any]]:
        if not parts:
            yield where, node
            return
        head, rest = parts[0], parts[1:]
        name, is_list = head.removesuffix("[]"), head.endswith("[]")
        if not isinstance(node, Mapping) or name not in node:
            return
        here = f"{where}.{name}" if where else name
        if is_list:
            for i, item in enumerate(node[name] or ()):
                yield from walk(item, rest, f"{here}[{i}]")
        else:
            yield from walk(node[name], rest, here)
    yield from walk(params, path.split("."), "")


def shown(value: Any) -> str:
    """A value as an error shows it: lists by their length, long text truncated."""
    if isinstance(value, list | tuple):
        return f"<{len(value)} items>"
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}... ({len(text)} characters)"


def violations(service: str, operation: str, params: Mapping[str, Any]) -> list[RequestRuleError]:
    """Every rule the request breaks, as errors (empty when it keeps them all)."""
    found = []
    for rule in rules():
        if not rule.applies(service, operation):
            continue
        for path in rule.parameters:
            for where, value in values_at(params, path):
                why = rule.problem(value)
                if why is not None:
                    found.append(RequestRuleError(f"{service}:{operation}", where, shown(value), rule.id,
                                                  f"{why} ({rule.says} - {rule.reference})"))
    return found


def check_request(service: str, operation: str, params: Mapping[str, Any]) -> None:
    """Raise the first RequestRuleError the request earns; return quietly when it keeps every rule."""
    found = violations(service, operation, params)
    if found:
        raise found[0]
