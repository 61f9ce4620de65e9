"""The operator's home /64 instead of one /128: the option, the security-group rule and the check follow."""

from __future__ import annotations

from dataclasses import replace

import pytest

from provisioning import profiles, settings
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from provisioning.aws.state import read_network
from provisioning.checks import network as check
from provisioning.errors import OptionError
from provisioning.phases.network import bastion_rules
from provisioning.plan import plan
from provisioning.topology import Topology

HOME = "2a01:4f8:c0c:1:8a2e:370:7334:10/128"
HOME64 = "2a01:4f8:c0c:1::/64"


def ssh_rules(topo: Topology) -> list[str]:
    return [r["ipv6"] for r in bastion_rules(topo) if r.get("port") == 22 and "ipv6" in r]


def test_the_env_option_admits_the_home_64_and_the_rule_follows() -> None:
    run = settings.build(aws_live=True, phase="network", env={settings.HOME_ENV: HOME,
                                                               settings.HOME_PREFIX64_ENV: "true"})
    assert run.topology.access.home_ipv6 == HOME64 and run.topology.access.allow_prefix64
    assert ssh_rules(run.topology) == [HOME64]


def test_without_the_option_one_128_is_admitted() -> None:
    run = settings.build(aws_live=True, phase="network", env={settings.HOME_ENV: HOME})
    assert ssh_rules(run.topology) == [HOME]


def test_the_profile_field_widens_a_128_too() -> None:
    topo = profiles.load("approved")
    assert profiles.with_home_ipv6(topo, HOME, prefix64=True).access.home_ipv6 == HOME64
    raw = {"allow_prefix64": True, "home_ipv6": HOME}
    assert profiles.admitted_home(raw["home_ipv6"], raw["allow_prefix64"]) == HOME64


def test_a_bad_option_value_is_refused_naming_it() -> None:
    with pytest.raises(OptionError, match=r"TDG_HOME_IPV6_PREFIX64 = 'maybe': must be true or false"):
        settings.build(phase="network", env={settings.HOME_PREFIX64_ENV: "maybe"})


def test_the_ssh_check_follows_the_64(factory: ClientFactory, run_id: str) -> None:
    topo = profiles.with_home_ipv6(profiles.load("approved"), HOME, prefix64=True)
    ex = Executor(RunContext(factory, run_id, topo.name, topo.tags), Ledger(run_id), sleep=lambda s: None)
    try:
        ids = ex.ensure(plan(topo, ("network",)))
        state = read_network(factory, ids["vpc"])
        assert check.ssh_only_from_home(topo, state) == []
        one = replace(topo, access=replace(topo.access, home_ipv6=HOME))  # what the check admits without the /64
        found = check.ssh_only_from_home(one, state)
        assert found and HOME64 in found[0] and "expected SSH only from" in found[0]
    finally:
        ex.teardown()
