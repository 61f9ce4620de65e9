"""A Terraform-built lab on a loopback moto server, for the --existing tests (offline, nothing downloaded).

Terraform and the AWS provider come from this machine: `terraform` on PATH and the provider in
a filesystem mirror (TDG_TF_PLUGIN_MIRROR, default /opt/tf-plugins). The CLI configuration this
module writes allows that mirror only, so `terraform init` can never download anything; the
provider talks to the moto endpoint on 127.0.0.1 only, with fake keys.

moto 5.2.5 renders a subnet's IPv6 association state as "{'State': 'associated'}" instead of
"associated", and the provider waits for "associated" forever; and it knows no AWS managed
policy unless loaded at start-up, so attaching AmazonSSMManagedInstanceCore (as the operator's
Terraform does) is refused. moto gives its bundled Amazon images no creation date, so each gets the
moment it was loaded: `most_recent = true` then picks among near-equal timestamps, and which image
wins depended on load timing (an ECS-optimised image on a quiet machine, another one under load).
moto_for_terraform() fixes the rendering, adds the managed policies a lab attaches (from moto's own
bundled copy) and dates every bundled image by the release date its name carries (Amazon Linux 2023
names end in YYYYMMDD; reconstructed: EC2 dates an image when it is registered, which is that day),
in the moto running in this process, while the lab exists.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from fixtures.processes import end

HERE = Path(__file__).resolve().parent
MIRROR_ENV = "TDG_TF_PLUGIN_MIRROR"
DEFAULT_MIRROR = "/opt/tf-plugins"
PROVIDER = ("registry.terraform.io", "hashicorp", "aws", "5.100.0", "linux_amd64")
CLI_CONFIG = """provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
}}
"""


def missing() -> str | None:
    """Why a Terraform lab cannot be built on this machine (None when it can)."""
    if shutil.which("terraform") is None:
        return "terraform is not on PATH (the Terraform lab test needs terraform >= 1.5 installed locally)"
    mirror = Path(os.environ.get(MIRROR_ENV, DEFAULT_MIRROR))
    provider = mirror.joinpath(*PROVIDER)
    if not provider.is_dir():
        return (f"the AWS provider {PROVIDER[3]} is not in a filesystem mirror at {provider} "
                f"(set {MIRROR_ENV}; nothing is downloaded)")
    return None


MANAGED_POLICIES = ("AmazonSSMManagedInstanceCore",)
REGION = "eu-west-1"
RELEASE_DATE = re.compile(r"[.-](20\d{6})(?:[.-]|$)")  # al2023-ami-2023.12.20260930.0-..., ...-hvm-2023.0.20260922-...


def _date_images(account: str) -> dict[str, datetime]:
    """Date each bundled image by the release date in its name; return the dates it had."""
    from moto.ec2.models import ec2_backends

    before = {}
    for image in ec2_backends[account][REGION].amis.values():
        found = RELEASE_DATE.search(image.name or "")
        if found:
            before[image.id] = image.creation_date
            image.creation_date = datetime.strptime(found.group(1), "%Y%m%d")
    return before


@contextmanager
def moto_for_terraform() -> Iterator[None]:
    """Render subnet IPv6 association states as EC2 does, know AWS's managed SSM policy, date the images."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models.subnets import Subnet
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy, iam_backends

    iam = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    data = json.loads(aws_managed_policies_data)
    added = [AWSManagedPolicy.from_data(name, DEFAULT_ACCOUNT_ID, iam.region_name, data[name])
             for name in MANAGED_POLICIES if name in data]
    added = [p for p in added if p.arn not in iam.managed_policies]
    for policy in added:
        iam.managed_policies[policy.arn] = policy

    original = Subnet.ipv6_cidr_block_association_set

    def faithful(self: Any) -> list[dict[str, Any]]:
        return [{"ipv6CidrBlock": a["ipv6CidrBlock"], "associationId": a["associationId"],
                 "ipv6CidrBlockState": {"state": a["ipv6CidrBlockState"]["State"]}}
                for a in self.ipv6_cidr_block_associations.values()
                if a["ipv6CidrBlockState"]["State"] == "associated"]

    Subnet.ipv6_cidr_block_association_set = property(faithful)  # type: ignore[method-assign,assignment]
    dated = _date_images(DEFAULT_ACCOUNT_ID)
    try:
        yield
    finally:
        Subnet.ipv6_cidr_block_association_set = original  # type: ignore[method-assign]
        from moto.ec2.models import ec2_backends

        amis = ec2_backends[DEFAULT_ACCOUNT_ID][REGION].amis
        for image_id, when in dated.items():
            if image_id in amis:
                amis[image_id].creation_date = when
        for policy in added:
            iam.managed_policies.pop(policy.arn, None)


def forget(endpoint: str) -> None:
    """Reset the moto behind endpoint: its backends are this process's, shared with every later test in it.

    A lab left in moto made a later test in the same xdist worker find two VPCs named sandbox-eu-vpc
    and a role tf-role that already existed. moto's reset endpoint empties every backend of the process.
    """
    if not endpoint.startswith("http://127."):
        raise ValueError(f"{endpoint}: only a loopback moto is reset")
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (loopback moto only)
        answer.read()


class TerraformLab:
    """One Terraform working directory (a copy of a configuration under tests/terraform/) and its state."""

    def __init__(self, config: str, workdir: Path, endpoint: str) -> None:
        if not endpoint.startswith(("http://127.", "http://localhost")):
            raise ValueError(f"{endpoint}: the Terraform lab talks to a loopback endpoint only")
        self.dir = workdir / config
        shutil.copytree(HERE / config, self.dir)
        self.endpoint = endpoint
        rc = workdir / "terraform.rc"
        rc.write_text(CLI_CONFIG.format(mirror=os.environ.get(MIRROR_ENV, DEFAULT_MIRROR)), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_"))}
        # GOGC=400 (the Go runtime's documented GC target, read by terraform and by the provider it starts):
        # the AWS provider builds its whole schema in every process terraform starts (three per plan), and
        # at the default 100 collecting that garbage was ~30 % of a plan's CPU (11 s -> 7.6 s user+sys per
        # no-op plan here, for ~470 MB instead of ~330 MB peak).
        self.env = {**env, "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1",
                    "TF_DATA_DIR": str(self.dir / ".terraform"), "GOGC": "400"}
        self.applied: dict[str, str] | None = None  # the variables of the last apply that succeeded

    @contextmanager
    def provider_served(self, timeout: float = 60) -> Iterator[None]:
        """One AWS provider process (the mirror's binary, in its documented -debug mode) for every command.

        terraform otherwise starts the provider three or four times per apply, and each start builds
        the whole 700 MB provider's schema again; attached through TF_REATTACH_PROVIDERS (terraform's
        documented way to use a provider it did not start), a no-op plan took 6.2 s user+sys instead of
        8.0 s. The provider gets the lab's environment (no AWS_ or TF_ variables from outside) and is
        stopped, by its own pid, when the lab is done.
        """
        binary = next(Path(os.environ.get(MIRROR_ENV, DEFAULT_MIRROR)).joinpath(*PROVIDER).glob(
            "terraform-provider-aws_v*"))
        proc = subprocess.Popen([str(binary), "-debug"], env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        guard = threading.Timer(timeout, proc.kill)  # a provider that never says where it listens
        guard.start()
        said: list[str] = []
        try:
            for line in proc.stdout:
                said.append(line)
                if line.strip().startswith("TF_REATTACH_PROVIDERS="):
                    break
            guard.cancel()
            if not said or not said[-1].strip().startswith("TF_REATTACH_PROVIDERS="):
                raise RuntimeError(f"the AWS provider did not start (exit {proc.poll()}):\n{''.join(said)[-3000:]}")
            reattach = said[-1].strip().split("=", 1)[1].strip("'")
            json.loads(reattach)  # what terraform will parse
            stdout = proc.stdout
            threading.Thread(target=lambda: stdout.read(), daemon=True).start()  # its log: drained, unread
            self.env["TF_REATTACH_PROVIDERS"] = reattach
            yield
        finally:
            guard.cancel()
            self.env.pop("TF_REATTACH_PROVIDERS", None)
            end(proc, 10.0)

    def _run(self, *args: str, timeout: float = 240) -> str:
        done = subprocess.run(["terraform", *args, "-no-color", "-input=false"], cwd=self.dir, env=self.env,
                              text=True, capture_output=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"terraform {args[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                               f"{done.stderr[-3000:]}")
        return done.stdout + done.stderr

    def init(self) -> None:
        """terraform init from the filesystem mirror only."""
        self._run("init", "-get=false")

    def apply(self, variables: Mapping[str, str] | None = None) -> bool:
        """terraform apply with the endpoint and the given variables (the state is kept between applies).

        Nothing but these applies changes the lab, so the state is the truth: -refresh=false (moto's
        refresh of instances costs the provider's 10 s waits), and the same variables as the last apply
        that succeeded build what is there already, so that apply is skipped. True when terraform ran.
        """
        wanted = dict(variables or {})
        if wanted == self.applied:
            return False
        args = [f"-var=endpoint={self.endpoint}"] + [f"-var={k}={v}" for k, v in wanted.items()]
        self.applied = None
        self._run("apply", "-auto-approve", "-refresh=false", "-parallelism=8", *args)
        self.applied = wanted
        return True

    def destroy(self) -> None:
        """terraform destroy (test clean-up; the suite itself never deletes what it did not create)."""
        self._run("destroy", "-auto-approve", "-refresh=false", f"-var=endpoint={self.endpoint}")
