"""Read a frozen dataclass from a nested mapping by a table: attribute -> dotted key path, typed by annotation.

One reader for the shapes the suite parses from JSON/YAML (talosctl objects, Kubernetes custom
resources, the platform data files): a key is looked up along its dotted path (a non-mapping on the
way reads as absent), an absent key takes the class's DEFAULTS value (or the type's zero value when
the class allows it), and a value of the wrong type is refused naming where, the path, the value and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any, ClassVar, Self

ZERO: dict[str, Any] = {"str": "", "int": 0, "float": 0.0, "bool": False, "tuple[str, ...]": ()}


class ShapeError(ValueError):
    """A mapping lacks a required key or holds a value of the wrong type for its attribute."""


def lookup(raw: Any, path: str) -> Any:
    """The value at a dotted path in nested mappings, None when any step is absent or not a mapping."""
    found = raw
    for key in path.split("."):
        found = found.get(key) if isinstance(found, Mapping) else None
    return found


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _as_str(value: Any) -> str:
    if not (_scalar(value) or isinstance(value, bool)):
        raise TypeError(f"a {type(value).__name__}, not a scalar")
    return str(value)


def _as_int(value: Any) -> int:
    if not _scalar(value):
        raise TypeError(f"a {type(value).__name__}, not a number")
    return int(value)


def _as_float(value: Any) -> float:
    if not _scalar(value):
        raise TypeError(f"a {type(value).__name__}, not a number")
    return float(value)


def _as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"a {type(value).__name__}, not true or false")
    return value


def _as_strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(_scalar(v) for v in value):
        raise TypeError(f"a {type(value).__name__}, not a list of strings")
    return tuple(str(v) for v in value)


CONVERT: dict[str, Callable[[Any], Any]] = {"str": _as_str, "int": _as_int, "float": _as_float, "bool": _as_bool,
                                            "tuple[str, ...]": _as_strings}


def read_fields(raw: Any, table: Mapping[str, str], types: Mapping[str, str], *, where: str,
                defaults: Mapping[str, Any] | None = None, zero_when_absent: bool = False,
                error: type[ValueError] = ShapeError) -> dict[str, Any]:
    """Each table attribute's value from raw, converted to its annotated type (error names where, path, value, why).

    An absent key (None) takes defaults[attr], else the type's zero value when zero_when_absent,
    else it is an error ("missing").
    """
    defaults = defaults or {}
    out: dict[str, Any] = {}
    for attr, path in table.items():
        kind = types[attr]
        found = lookup(raw, path)
        if found is None:
            if attr in defaults:
                out[attr] = defaults[attr]
                continue
            if not zero_when_absent:
                raise error(f"{where}: {path} is missing (required for {attr})")
            found = ZERO[kind]
        try:
            out[attr] = CONVERT[kind](found)
        except (TypeError, ValueError) as exc:
            raise error(f"{where}: {path} = {found!r} is not a valid {kind}: {exc}") from None
    return out


def annotations_of(cls: type) -> dict[str, str]:
    """Each dataclass field's annotation as written (the module uses postponed annotations)."""
    return {f.name: str(f.type) for f in fields(cls)}


class TableView:
    """A frozen dataclass read from a mapping by FIELDS (attribute -> dotted path); the rest is passed as given.

    DEFAULTS: an absent key's value; without one an absent key is an error naming where and the path.
    ERROR: the exception raised (a ValueError subclass naming the data's kind).
    """

    FIELDS: ClassVar[Mapping[str, str]] = {}
    DEFAULTS: ClassVar[Mapping[str, Any]] = {}
    ERROR: ClassVar[type[ValueError]] = ShapeError

    @classmethod
    def read(cls, raw: Any, where: str, **given: Any) -> Self:
        """Build from raw by the table; given supplies the attributes the table does not read."""
        values = read_fields(raw, cls.FIELDS, annotations_of(cls), where=where, defaults=cls.DEFAULTS,
                             error=cls.ERROR)
        return cls(**values, **given)
