"""--existing against the Terraform-built approved lab broken in ways that replace a node.

As test_terraform_existing.py (whose lab shows the design itself passing), on a lab of its own so
that both modules run side by side: Terraform builds the lab with node 3's root volume
unencrypted, then re-applies it with node 3 at .104 instead (one replacement of node 3 undoes the
first breakage and makes the second). Each fails exactly one scenario, named, and nothing else;
no run makes a mutating call. Skips, saying what is missing, without terraform or the provider
mirror.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.terraform_existing import approved_lab, one_named_finding
from tests.terraform import lab as tf

WHY = tf.missing()
pytestmark = [pytest.mark.integration, pytest.mark.skipif(WHY is not None, reason=f"Terraform lab: {WHY}")]
UNENCRYPTED = {"unencrypted_root_node": "2"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tf.TerraformLab]:
    with approved_lab(tmp_path_factory.mktemp("terraform"), UNENCRYPTED) as lab:  # the first test's build
        yield lab


@pytest.mark.parametrize(("variables", "scenario", "finding"), [
    (UNENCRYPTED, "test_the_nodes_are_locked_down", "encrypted, found unencrypted"),
    ({"node_ips": '["10.10.0.101","10.10.0.102","10.10.0.104"]'},
     "test_one_node_is_launched_for_every_node_the_profile_plans",
     "at 10.10.0.104 in the nodes' security group: expected no instance but the planned nodes"),
], ids=["unencrypted-root", "node-at-104"])
def test_each_breakage_is_one_named_finding(built: tf.TerraformLab, tmp_path: Path, variables: dict[str, str],
                                           scenario: str, finding: str) -> None:
    one_named_finding(built, tmp_path, variables, scenario, finding)
