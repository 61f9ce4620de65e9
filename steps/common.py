"""Helpers shared by the step modules."""

from __future__ import annotations


def assert_clean(violations: list[str], what: str) -> None:
    """Fail with every violation listed under what; pass when there are none."""
    __tracebackhide__ = True
    if violations:
        listing = "\n".join(f"  - {v}" for v in violations)
        raise AssertionError(f"{what}:\n{listing}")
