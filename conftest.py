"""Wiring only: every module in fixtures/ and steps/ is a pytest plugin; options and markers
live in fixtures/options.py and pytest.ini."""

from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent

# Plugin modules import each other; rewrite asserts in all of them whatever the load order.
pytest.register_assert_rewrite("fixtures", "steps")

# fixtures.options first: the other plugins import it.
pytest_plugins = ["fixtures.options"] + [
    f"{package}.{path.stem}"
    for package in ("fixtures", "steps")
    for path in sorted((_HERE / package).glob("*.py"))
    if path.stem not in ("__init__", "options")
]
