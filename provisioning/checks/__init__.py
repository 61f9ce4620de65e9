"""Checks: pure functions from (plan, observed state) to violations."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One broken rule: which resource, what was expected, what was found."""

    resource: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.resource}: expected {self.expected}, got {self.actual}"
