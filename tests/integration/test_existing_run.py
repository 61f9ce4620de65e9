"""`pytest features/ --existing --profile sandbox-eu` against the sandbox rebuilt in moto.

The world-open SSH of sandbox-eu-bastion-sg fails the posture scenario, as it should; the
other network scenarios pass; the run-tags scenario is skipped (the run created nothing);
and the AWS state is exactly the same before and after: nothing created, nothing deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provisioning.aws.client import ClientFactory
from tests import sandbox_eu
from tests.integration.helpers import run_suite

pytestmark = pytest.mark.integration

DESCRIBES = (("describe_vpcs", "Vpcs", "VpcId"), ("describe_subnets", "Subnets", "SubnetId"),
             ("describe_security_groups", "SecurityGroups", "GroupId"),
             ("describe_route_tables", "RouteTables", "RouteTableId"),
             ("describe_internet_gateways", "InternetGateways", "InternetGatewayId"),
             ("describe_network_interfaces", "NetworkInterfaces", "NetworkInterfaceId"),
             ("describe_security_group_rules", "SecurityGroupRules", "SecurityGroupRuleId"))


def snapshot(ec2: Any) -> dict[str, list[tuple[str, str]]]:
    """Every id (with its tags) of the kinds a network run could touch."""
    return {op: sorted((str(i[id_key]), str(sorted((t["Key"], t["Value"]) for t in i.get("Tags", []))))
                       for i in getattr(ec2, op)()[key]) for op, key, id_key in DESCRIBES}


def test_existing_sandbox_fails_only_on_world_open_ssh(factory: ClientFactory, moto_url: str,
                                                       tmp_path: Path) -> None:
    ec2 = factory.client("ec2")
    with sandbox_eu.sandbox(ec2) as ids:
        before = snapshot(ec2)
        result = run_suite("features/", "--existing", "--profile", "sandbox-eu", "--aws-endpoint", moto_url,
                           "--phase", "network", "-rs", reports=tmp_path)
        after = snapshot(ec2)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "1 failed, 5 passed, 1 skipped" in out, out
    assert "The security groups are fail-closed" in out or "test_the_security_groups_are_failclosed" in out, out
    assert f"security group sandbox-eu-bastion-sg ({ids['sandbox-eu-bastion-sg']}): expected no ingress from " \
           "anywhere, found tcp 22-22 from ['0.0.0.0/0', '::/0']" in out, out
    assert "--existing: this run created nothing" in out, out
    assert "existing network: not found: sg-nodes" in out, out
    assert " AWS API calls (0 mutating)" in out, out
    assert "FINDINGS (1): built differently from the design" in out and \
        "  - network: The security groups are fail-closed" in out, out
    results = (tmp_path / "results.txt").read_text(encoding="utf-8")
    assert "  - network: The security groups are fail-closed" in results
    assert after == before


def test_talos_existing_without_nodes_fails_and_a_phase_that_checked_nothing_does_not_pass(
        factory: ClientFactory, moto_url: str, tmp_path: Path) -> None:
    """No node at 10.10.1.101-103: the launch scenario names them; the Talos API scenarios say why they skip."""
    ec2 = factory.client("ec2")
    with sandbox_eu.sandbox(ec2):
        nodes = run_suite("features/", "--existing", "--profile", "sandbox-eu", "--aws-endpoint", moto_url,
                          "-m", "talos", "-rs", reports=tmp_path / "nodes")
        nothing = run_suite("features/", "--existing", "--profile", "sandbox-eu", "--aws-endpoint", moto_url,
                            "-m", "talos", "-k", "health", "-rs", reports=tmp_path / "nothing")
    out = nodes.stdout
    assert nodes.returncode == 1, out + nodes.stderr
    assert "node talos-node-1: expected 1 instance at 10.10.1.101, found 0 []" in out, out
    assert "--existing without TDG_TALOSCONFIG: the Talos API checks need the cluster's talosconfig" in out, out
    assert "node talos-node-2: no instance at 10.10.1.102" in out, out
    assert " AWS API calls (0 mutating)" in out, out
    assert nothing.returncode == 1, nothing.stdout + nothing.stderr
    assert "tdg: --existing verified nothing of phase talos: every scenario was skipped (--existing without " \
           "TDG_TALOSCONFIG" in nothing.stdout, nothing.stdout
