"""The posture scenario with access.home_api_access on: passes with exactly 50000/6443 from the home /128,
fails when the node group admits the API port from anywhere else."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioning import profiles
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.inventory import find_tagged
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from provisioning.plan import plan
from tests.integration.helpers import run_suite

pytestmark = pytest.mark.integration


@pytest.fixture
def home_profile(tmp_path: Path) -> Path:
    text = (profiles.PROFILE_DIR / "approved.yaml").read_text(encoding="utf-8")
    assert "home_api_access: false" in text and "\nname: approved\n" in text
    path = tmp_path / "approved-home.yaml"
    path.write_text(text.replace("home_api_access: false", "home_api_access: true")
                    .replace("\nname: approved\n", "\nname: approved-home\n"), encoding="utf-8")
    return path


def test_posture_passes_with_exactly_the_home_api_rules(home_profile: Path, moto_url: str, run_id: str,
                                                        factory: ClientFactory, tmp_path: Path) -> None:
    result = run_suite("features/", "--phase", "network", "--aws-endpoint", moto_url, "--run-id", run_id,
                       "--profile", str(home_profile), reports=tmp_path / "reports")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout
    assert find_tagged(factory, run_id) == []


def test_posture_fails_when_the_api_is_open_to_another_address(home_profile: Path, moto_url: str, run_id: str,
                                                               factory: ClientFactory, tmp_path: Path) -> None:
    topo = profiles.load(str(home_profile))
    ids = Executor(RunContext(factory, run_id, topo.name, topo.tags), Ledger(run_id)).ensure(plan(topo, ("network",)))
    factory.client("ec2").authorize_security_group_ingress(GroupId=ids["sg-nodes"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 6443, "ToPort": 6443, "Ipv6Ranges": [{"CidrIpv6": "2001:db8:bad::1/128"}]}])

    result = run_suite("features/", "--phase", "network", "--aws-endpoint", moto_url, "--reuse", run_id,
                       "--profile", str(home_profile), reports=tmp_path / "reports")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 6 passed" in result.stdout, result.stdout
    assert f"node security group ({ids['sg-nodes']}): expected no address ranges but home on [6443, 50000], found " \
           "tcp 6443-6443 from 2001:db8:bad::1/128" in result.stdout
    assert find_tagged(factory, run_id) == []
