"""Steps of the capacity verdict scenario (features/04_cozystack.feature): pure checks of the verdict."""

from __future__ import annotations

from pytest_bdd import given, then

from fixtures.verdict import CapacityVerdict
from provisioning.checks import capacity as verdict_checks
from steps.common import assert_clean

EVIDENCE = "capacity verdict: instance-type facts and sourced minimums (no resource created)"


@given("the capacity verdict for the profile's nodes", target_fixture="found")
def _(capacity_verdict: CapacityVerdict, evidence) -> CapacityVerdict:  # type: ignore[no-untyped-def]
    evidence(f"capacity verdict from {capacity_verdict.facts_from}")
    return capacity_verdict


@then("the verdict was reached before anything was created")
def _(found: CapacityVerdict) -> None:
    assert_clean(verdict_checks.before_spending(found.mutating_calls_before), "capacity verdict timing")


@then("every requirement states what was measured, what is required and where the rule comes from")
def _(found: CapacityVerdict) -> None:
    assert_clean(verdict_checks.requirements_stated(found.verdict), "capacity verdict requirements")


@then("every requirement the nodes miss comes with advice naming an instance type that meets it")
def _(found: CapacityVerdict) -> None:
    assert_clean(verdict_checks.advice_given(found.verdict), "capacity verdict advice")
