"""Checks of the capacity verdict: each passes on the real verdict and fails on a broken one."""

from __future__ import annotations

from dataclasses import replace

from provisioning import profiles
from provisioning.capacity import Verdict, assess
from provisioning.checks.capacity import advice_given, before_spending, requirements_stated

PRICES = {"t4g.2xlarge": 0.2944, "c7g.metal": 2.3123}


def approved() -> Verdict:
    return assess(profiles.load("approved"), price_per_hour=PRICES.get)


def test_the_verdict_must_come_before_any_mutating_call() -> None:
    assert before_spending(0) == []
    assert before_spending(3) == ["capacity verdict: expected before any resource was created, found 3 mutating "
                                  "AWS call(s) before it"]


def test_requirements_state_measured_required_source_and_numbers() -> None:
    verdict = approved()
    assert requirements_stated(verdict) == []
    ram = verdict.requirement("ram_per_node")
    broken = Verdict(tuple(replace(r, measured="", problem="too little RAM") if r is ram else r
                           for r in verdict.requirements), verdict.advice)
    assert requirements_stated(broken) == [
        "requirement ram_per_node: expected measured, required and source, found no measured",
        "requirement ram_per_node: expected a problem with numbers, found 'too little RAM'"]
    assert requirements_stated(Verdict((), ())) == ["capacity verdict: expected requirements, found none"]


def test_advice_must_name_a_type_that_meets_the_minimum() -> None:
    verdict = approved()
    assert advice_given(verdict) == []
    wrong = Verdict(verdict.requirements, tuple(a.replace("t4g.2xlarge", "t4g.large") for a in verdict.advice))
    [problem] = advice_given(wrong)
    assert "expected a type with >= 8 vCPU and >= 24 GiB, found t4g.large" in problem


def test_missing_disk_and_kvm_advice_is_named() -> None:
    verdict = approved()
    only_recommendation = Verdict(verdict.requirements, tuple(a for a in verdict.advice if a.startswith("RECOMM")))
    assert advice_given(only_recommendation) == [
        "advice: expected an ALSO line about the missing data disk, found none",
        "advice: expected an ALTERNATIVE line for KubeVirt without /dev/kvm, found none"]
    no_kvm_type = Verdict(verdict.requirements, tuple(a.replace("c7g.metal", "t4g.2xlarge") for a in verdict.advice))
    assert [p for p in advice_given(no_kvm_type) if "/dev/kvm" in p][0].endswith("found t4g.2xlarge")
    nothing = Verdict(verdict.requirements, ())
    assert advice_given(nothing)[0] == ("advice: expected a RECOMMENDED line for ['cores_per_node', 'ram_per_node'], "
                                        "found none")
