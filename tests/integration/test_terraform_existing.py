"""--existing against a lab Terraform built (tests/terraform/approved), then broken one thing at a time.

One moto server and one Terraform state for the module: apply the approved design, run
`pytest features/ --existing --profile approved --aws-endpoint URL --phase talos` as the
operator would, then re-apply with one variable changed (SSH open to the world, IMDSv2 optional
on one node, an unencrypted root volume, a node at .104) and run again. Each breakage
fails exactly one scenario, named, and nothing else; no run makes a mutating call. The
Terraform lab has none of the suite's names or tags: everything is found by CIDR and address.

Needs terraform and the AWS provider in a local filesystem mirror (nothing is downloaded):
without them the module skips and says what is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.backend import MotoServer
from tests.integration.helpers import run_suite
from tests.terraform import lab as tf

WHY = tf.missing()
pytestmark = [pytest.mark.integration, pytest.mark.skipif(WHY is not None, reason=f"Terraform lab: {WHY}")]
FAILED = re.compile(r"^FAILED features/\S+::(\S+)", re.M)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tf.TerraformLab]:
    with MotoServer() as url, tf.moto_for_terraform():
        lab = tf.TerraformLab("approved", tmp_path_factory.mktemp("terraform"), url)
        try:
            lab.init()
            lab.apply()
            yield lab
        finally:
            tf.forget(url)


def verify(lab: tf.TerraformLab, reports: Path, **variables: str) -> tuple[int, str, list[str]]:
    """Apply the design with variables changed, run --existing against it: (exit status, output, failed tests).

    The design itself (no variables) is what the module fixture just applied: its test runs on that build.
    """
    lab.apply(variables)
    result = run_suite("features/", "--existing", "--profile", "approved", "--aws-endpoint", lab.endpoint,
                       "--phase", "talos", "-rfs", reports=reports)
    out = result.stdout + result.stderr
    assert " AWS API calls (0 mutating)" in out, out[-4000:]
    return result.returncode, out, FAILED.findall(out)


def test_the_terraform_built_design_passes(built: tf.TerraformLab, tmp_path: Path) -> None:
    status, out, failed = verify(built, tmp_path)
    assert (status, failed) == (0, []), out[-6000:]
    assert "existing network: found" in out and "not found" not in out, out[-6000:]
    assert "FINDINGS" not in out


# In the order that rebuilds least: each apply also undoes the breakage before it, so the two that
# replace node 3 (an unencrypted root volume, an address of .104) come last and one replacement serves
# both the undo and the next breakage; SSH and IMDS change a rule and an instance in place.
@pytest.mark.parametrize(("variables", "scenario", "finding"), [
    ({"ssh_from_world": "true"}, "test_the_security_groups_are_failclosed",
     "expected no ingress from anywhere, found tcp 22-22 from ['0.0.0.0/0', '::/0']"),
    ({"imds_optional_node": "1"}, "test_the_nodes_are_locked_down",
     "expected IMDSv2 (HttpTokens=required), found HttpTokens=optional"),
    ({"unencrypted_root_node": "2"}, "test_the_nodes_are_locked_down", "encrypted, found unencrypted"),
    ({"node_ips": '["10.10.0.101","10.10.0.102","10.10.0.104"]'},
     "test_one_node_is_launched_for_every_node_the_profile_plans",
     "at 10.10.0.104 in the nodes' security group: expected no instance but the planned nodes"),
], ids=["ssh-from-world", "imds-optional", "unencrypted-root", "node-at-104"])
def test_each_breakage_is_one_named_finding(built: tf.TerraformLab, tmp_path: Path, variables: dict[str, str],
                                           scenario: str, finding: str) -> None:
    status, out, failed = verify(built, tmp_path, **variables)
    assert (status, failed) == (1, [scenario]), out[-6000:]
    assert finding in out, out[-6000:]
    assert "FINDINGS (1): built differently from the design" in out, out[-6000:]
    assert "blocked: phase" not in out, out[-6000:]
