"""--existing against the operator's sandbox as their Terraform builds it (tests/terraform/sandbox-eu).

Names sandbox-eu-* and tf-*, SSH open to the world, a user-data holding a WireGuard private key
and a registry password, no asset server or DNS forwarder on the bastion: phases 01 and 02 both
report their findings, nothing is blocked by a finding, no secret value is printed, and no
call mutates anything. Skips, saying what is missing, without terraform or the provider mirror.
"""

from __future__ import annotations

import base64
import re
import secrets
import string
from fnmatch import fnmatchcase
from pathlib import Path

import boto3
import pytest

from fixtures.backend import MotoServer
from tests.integration.helpers import run_suite
from tests.terraform import lab as tf

WHY = tf.missing()
pytestmark = [pytest.mark.integration, pytest.mark.skipif(WHY is not None, reason=f"Terraform lab: {WHY}")]
FAILED = re.compile(r"^FAILED features/(\S+)::(\S+)", re.M)
THEIR_FILTER = "al2023-ami-*-kernel-6.1-arm64"  # tests/terraform/sandbox-eu: most_recent = true


def bastion_image(url: str) -> tuple[str, str]:
    """The name of the image Terraform chose for the bastion, and the newest date among its filter's matches."""
    ec2 = boto3.client("ec2", region_name=tf.REGION, endpoint_url=url, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    # moto's state is per process: other tests in this worker may have left instances, so find theirs by name.
    (reservation,) = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["tf-bastion"]},
                                                     {"Name": "instance-state-name", "Values": ["running"]}])[
        "Reservations"]
    image_id = reservation["Instances"][0]["ImageId"]
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": [THEIR_FILTER]}])["Images"]
    chosen = next(i for i in images if i["ImageId"] == image_id)
    assert all(fnmatchcase(i["Name"], THEIR_FILTER) for i in images)
    newest = max(i["CreationDate"] for i in images)
    assert chosen["CreationDate"] == newest, (chosen, newest)  # most_recent chose by release date, not load order
    return chosen["Name"], newest


def test_the_sandbox_reports_findings_of_both_phases_and_blocks_nothing(tmp_path: Path) -> None:
    wireguard = base64.b64encode(secrets.token_bytes(32)).decode()
    token = "ghp_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36))
    with MotoServer() as url, tf.moto_for_terraform():
        try:
            lab = tf.TerraformLab("sandbox-eu", tmp_path / "terraform", url)
            with lab.provider_served():
                lab.init()
                lab.apply({"wireguard_client_key": wireguard, "ghcr_token": token})
            image, _ = bastion_image(url)
            result = run_suite("features/", "--existing", "--profile", "sandbox-eu", "--aws-endpoint", url,
                               "--phase", "bastion", "-rfs", reports=tmp_path / "reports")
        finally:
            tf.forget(url)
    out = result.stdout + result.stderr
    failed = FAILED.findall(out)
    assert result.returncode == 1, out
    assert ("test_01_network.py", "test_the_security_groups_are_failclosed") in failed, out
    assert ("test_02_bastion.py", "test_the_bastion_is_locked_down") in failed, out
    assert ("test_02_bastion.py", "test_the_bastions_services_are_running") in failed, out
    assert ("test_02_bastion.py", "test_no_secret_is_in_the_bastions_userdata_or_launch_template") in failed, out
    # Their filter also matches ECS-optimised and minimal images: whichever is newest is a finding only if ECS.
    assert ("found the ECS-optimised al2023-ami-ecs-" in out) == ("-ecs-" in image), (image, out)
    assert "blocked: phase" not in out, out
    assert re.search(r"^bastion\s+([1-9]\d*)\s", out, re.M), out[-3000:]  # bastion scenarios passed too
    assert "user-data: expected no secrets, found a WireGuard private key on line" in out, out
    assert "found a GitHub token on line" in out, out
    assert "expected the boot-to-talos asset server on port 8081, found none" in out
    assert " AWS API calls (0 mutating)" in out
    results = (tmp_path / "reports" / "results.txt").read_text(encoding="utf-8")
    assert "  - network: The security groups are fail-closed" in results
    assert "  - bastion: The bastion is locked down" in results
    html = (tmp_path / "reports" / "acceptance.html").read_text(encoding="utf-8")
    assert "FINDINGS (" in html and "network: The security groups are fail-closed" in html
    for value in (wireguard, token):
        assert value not in out
        assert all(value not in p.read_text(errors="replace") for p in (tmp_path / "reports").iterdir()
                   if p.is_file())
