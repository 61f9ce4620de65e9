"""The table reader shared by the talosctl, Kubernetes and platform-data parsers: defaults, zeros, refusals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from provisioning.table_view import ShapeError, TableView, lookup, read_fields


class OddError(ValueError):
    """Stands for a parser's own error kind (ResourceShapeError, DataDriftError)."""


@dataclass(frozen=True)
class Thing(TableView):
    FIELDS = {"name": "metadata.name", "count": "spec.count", "ratio": "spec.ratio", "on": "spec.on",
              "tags": "spec.tags"}
    DEFAULTS = {"count": 1, "tags": ()}

    name: str
    count: int
    ratio: float
    on: bool
    tags: tuple[str, ...]
    extra: str = "-"


GOOD: dict[str, Any] = {"metadata": {"name": "a"}, "spec": {"count": 3, "ratio": 0.5, "on": True, "tags": ["x", 1]}}
TYPES = {"name": "str", "count": "int", "ratio": "float", "on": "bool", "tags": "tuple[str, ...]"}


def test_a_good_mapping_reads_typed_with_given_attributes_passed_through() -> None:
    assert Thing.read(GOOD, "thing a", extra="given") == Thing("a", 3, 0.5, True, ("x", "1"), "given")


def test_absent_keys_take_the_class_defaults() -> None:
    raw = {"metadata": {"name": "a"}, "spec": {"ratio": 1, "on": False}}
    assert Thing.read(raw, "thing a") == Thing("a", 1, 1.0, False, ())


def test_an_absent_key_without_a_default_is_refused_naming_where_and_the_path() -> None:
    with pytest.raises(ShapeError, match=r"^thing a: spec.ratio is missing \(required for ratio\)$"):
        Thing.read({"metadata": {"name": "a"}, "spec": {"on": True}}, "thing a")


def test_a_non_mapping_on_the_path_reads_as_absent() -> None:
    assert lookup({"spec": None}, "spec.count") is None
    assert lookup({"spec": ["count"]}, "spec.count") is None
    assert lookup({"spec": {"count": 0}}, "spec.count") == 0


def test_zero_when_absent_gives_each_type_its_zero_value() -> None:
    got = read_fields({}, Thing.FIELDS, TYPES, where="w", zero_when_absent=True)
    assert got == {"name": "", "count": 0, "ratio": 0.0, "on": False, "tags": ()}


@pytest.mark.parametrize(("path", "value", "why"), [
    ("metadata.name", {"n": 1}, "a dict, not a scalar"),
    ("spec.count", "three", "invalid literal"),
    ("spec.count", [3], "a list, not a number"),
    ("spec.count", True, "a bool, not a number"),
    ("spec.ratio", "half", "could not convert"),
    ("spec.on", "false", "a str, not true or false"),
    ("spec.on", 1, "an? int, not true or false"),
    ("spec.tags", "x", "a str, not a list of strings"),
    ("spec.tags", [{"x": 1}], "a list, not a list of strings"),
])
def test_a_value_of_the_wrong_type_is_refused_naming_where_path_value_and_why(path: str, value: Any,
                                                                                why: str) -> None:
    section, key = path.split(".")
    raw = {"metadata": dict(GOOD["metadata"]), "spec": dict(GOOD["spec"])}
    raw[section][key] = value
    with pytest.raises(ShapeError) as caught:
        Thing.read(raw, "thing a")
    message = str(caught.value)
    assert message.startswith(f"thing a: {path} = {value!r} is not a valid "), message
    assert re.search(why, message), message


def test_the_error_kind_is_the_caller_s() -> None:
    with pytest.raises(OddError, match="w: spec.count = 'x' is not a valid int"):
        read_fields({"spec": {"count": "x"}}, {"count": "spec.count"}, {"count": "int"}, where="w", error=OddError)
