"""CPU credits: burstable templates ask for standard; unlimited is a profile choice the estimate prices."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import yaml

from provisioning import credits, profiles
from provisioning.aws.compute import UserData, launch_data
from provisioning.cost import estimate
from provisioning.errors import ProfileError
from provisioning.phases import bastion, talos
from provisioning.plan import plan

TODAY = date(2026, 11, 22)
SURPLUS_T4G = 0.04  # prices.yaml eu-west-1 cpu_credits_unlimited.t4g, repeated so a silent change shows up


@pytest.fixture(scope="module")
def approved():
    return profiles.load("approved")


def test_burstable_types_get_standard_and_others_none():
    assert credits.credit_specification("t4g.medium", "standard") == {"CpuCredits": "standard"}
    assert credits.credit_specification("t4g.small", "unlimited") == {"CpuCredits": "unlimited"}
    assert credits.credit_specification("c7g.large", "standard") is None


def test_every_launch_template_of_the_plan_asks_for_standard_credits(approved):
    templates = [s for s in plan(approved, ("network", "bastion", "talos")) if s.kind == "launch_template"]
    assert len(templates) == 1 + len(approved.nodes)
    for spec in templates:
        data = launch_data({**spec.params, "user_data": UserData("#!/bin/sh\n")}, "ami-1", "/dev/xvda", "k", [])
        assert data["CreditSpecification"] == {"CpuCredits": "standard"}, spec.key


def test_a_non_burstable_node_template_sets_no_credit_mode(approved):
    nodes = tuple(replace(n, instance_type="c7g.large") for n in approved.nodes)
    spec = next(s for s in talos.specs(replace(approved, nodes=nodes)) if s.kind == "launch_template")
    data = launch_data({**spec.params, "user_data": UserData("#!/bin/sh\n")}, "ami-1", "/dev/xvda", "k", [])
    assert "CreditSpecification" not in data


def test_the_read_back_check_fails_on_a_template_without_a_credit_mode():
    found = credits.violations("launch template lt-1 v1 ($Default)", "t4g.medium", None, "standard")
    assert found and "expected CpuCredits standard" in found[0] and "unlimited" in found[0]
    assert credits.violations("lt", "t4g.medium", "unlimited", "standard")
    assert credits.violations("lt", "t4g.medium", "standard", "standard") == []
    assert credits.violations("lt", "c7g.large", None, "standard") == []


def test_a_profile_may_ask_for_unlimited_and_the_estimate_prices_the_surplus(approved):
    unlimited = replace(approved, cpu_credits="unlimited", cpu_average_percent=50.0)
    month = estimate(unlimited, hours=5, today=TODAY).month
    # nodes: 3 x t4g.medium (2 vCPU, baseline 20 %) x 150 h at 50 %: 3 x 2 x 0.30 x 150 = 270 vCPU-h
    item = month.item("CPU credits t4g.medium (unlimited)")
    assert item.quantity == pytest.approx(270) and item.usd == pytest.approx(270 * SURPLUS_T4G)
    # bastion: t4g.small (2 vCPU, baseline 20 %) x 150 h: 2 x 0.30 x 150 = 90 vCPU-h
    assert month.item("CPU credits t4g.small (unlimited)").usd == pytest.approx(90 * SURPLUS_T4G)
    standard = estimate(approved, hours=5, today=TODAY).month
    assert month.total_usd == pytest.approx(standard.total_usd + 360 * SURPLUS_T4G)
    assert not [i for i in standard.items if i.name.startswith("CPU credits")]


def test_below_baseline_unlimited_costs_nothing_extra(approved):
    quiet = replace(approved, cpu_credits="unlimited", cpu_average_percent=10.0)
    assert estimate(quiet, hours=5, today=TODAY).month.item("CPU credits t4g.medium (unlimited)").usd == 0


@pytest.mark.parametrize(("raw", "field"), [({"cpu_credits": "burst"}, "burstable.cpu_credits"),
                                           ({"average_cpu_percent": 140}, "burstable.average_cpu_percent"),
                                           ({"credits": "standard"}, "burstable.credits")])
def test_a_bad_burstable_section_is_refused_naming_the_field(raw, field):
    text = profiles.resolve("approved").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["burstable"] = raw
    with pytest.raises(ProfileError) as err:
        profiles.parse(data, "approved.yaml")
    assert field in str(err.value)


def test_the_profile_field_reaches_the_templates(approved):
    unlimited = replace(approved, cpu_credits="unlimited")
    spec = next(s for s in bastion.specs(unlimited) if s.kind == "launch_template")
    assert spec.params["cpu_credits"] == "unlimited"
