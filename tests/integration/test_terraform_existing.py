"""--existing against a lab Terraform built (tests/terraform/approved), then broken one thing at a time.

One moto server and one Terraform state for the module: apply the approved design, run
`pytest features/ --existing --profile approved --aws-endpoint URL --phase talos` as the
operator would, then re-apply with one variable changed (SSH open to the world, IMDSv2 optional
on one node) and run again. Each breakage fails exactly one scenario, named, and nothing else;
no run makes a mutating call. The Terraform lab has none of the suite's names or tags:
everything is found by CIDR and address. The breakages that replace a node are
test_terraform_existing_replaced.py's, on a lab of its own.

Needs terraform and the AWS provider in a local filesystem mirror (nothing is downloaded):
without them the module skips and says what is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.terraform_existing import approved_lab, one_named_finding, verify
from tests.terraform import lab as tf

WHY = tf.missing()
pytestmark = [pytest.mark.integration, pytest.mark.skipif(WHY is not None, reason=f"Terraform lab: {WHY}")]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tf.TerraformLab]:
    with approved_lab(tmp_path_factory.mktemp("terraform")) as lab:
        yield lab


def test_the_terraform_built_design_passes(built: tf.TerraformLab, tmp_path: Path) -> None:
    status, out, failed = verify(built, tmp_path)
    assert (status, failed) == (0, []), out[-6000:]
    assert "existing network: found" in out and "not found" not in out, out[-6000:]
    assert "FINDINGS" not in out


# Each apply also undoes the breakage before it: both change a rule or an instance in place.
@pytest.mark.parametrize(("variables", "scenario", "finding"), [
    ({"ssh_from_world": "true"}, "test_the_security_groups_are_failclosed",
     "expected no ingress from anywhere, found tcp 22-22 from ['0.0.0.0/0', '::/0']"),
    ({"imds_optional_node": "1"}, "test_the_nodes_are_locked_down",
     "expected IMDSv2 (HttpTokens=required), found HttpTokens=optional"),
], ids=["ssh-from-world", "imds-optional"])
def test_each_breakage_is_one_named_finding(built: tf.TerraformLab, tmp_path: Path, variables: dict[str, str],
                                           scenario: str, finding: str) -> None:
    one_named_finding(built, tmp_path, variables, scenario, finding)
