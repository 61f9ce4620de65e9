"""Talos node phase: one network interface (fixed IP) and one boot-to-talos instance per node.

Every node gets its own ENI holding the planned private IP in the nodes' subnet and security
group, with no public IPv4; the instance boots Amazon Linux 2023 arm64 (AMI from the public SSM
parameter, never a hard-coded id) with IMDSv2 required, an encrypted gp3 root of the planned
size, and user-data that installs Talos to disk with boot-to-talos fetched from the bastion.

EC2 has no PXE (talos-cozystack-facts §3), so a profile that plans a netboot is told so before
anything is launched (boot_verdict) and its nodes boot with boot-to-talos like the approved
profile; the feature reports the netboot scenario as an expected failure with that reason.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from provisioning import credits
from provisioning import tags as tagging
from provisioning.aws.compute import UserData
from provisioning.aws.errors import aws_call
from provisioning.data import load_data
from provisioning.phases import bastion
from provisioning.plan import Ref, ResourceSpec
from provisioning.talos import userdata
from provisioning.topology import Node, Topology
from provisioning.userdata import render_bastion

if TYPE_CHECKING:
    from provisioning.aws.executor import Executor
    from provisioning.aws.kinds import RunContext

log = logging.getLogger(__name__)
PHASE = "talos"
ROLE_KEY = "tdg:role"
LAUNCH_ORDER = ("network_interface", "launch_template", "instance")
# IMDSv2 only. Amazon Linux runs just long enough to install Talos; Talos (platform metal) never asks IMDS.
NODE_METADATA = {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1}
SHA256_ENV = bastion.SHA256_ENV
# What the plan shows when no checksum is pinned: an offline-only value (the sha256 of this very
# label), which no release tarball has. preflight() refuses to launch live nodes with it.
OFFLINE_LABEL = b"tdg offline placeholder: boot-to-talos sha256 not pinned"
OFFLINE_SHA256 = hashlib.sha256(OFFLINE_LABEL).hexdigest()
# The data volume's block-device name: only an EC2 API label; on Nitro it appears as the next NVMe
# device (/dev/nvme1n1), the volume id without its dash as serial (talos-cozystack-facts §8).
DATA_DEVICE = "/dev/sdb"
NO_PXE = ("EC2 has no PXE: instances boot from their AMI's root volume through the firmware, and VPC DHCP "
          "option sets carry no next-server or boot-file, so dnsmasq and matchbox on the bastion cannot boot "
          "a node (talos-cozystack-facts §3)")


@dataclass(frozen=True)
class BootVerdict:
    """How the nodes boot: what the profile plans, what the run uses, and why they differ."""

    planned: str
    used: str
    reason: str

    @property
    def substituted(self) -> bool:
        return self.planned != self.used

    def lines(self) -> tuple[str, ...]:
        """The verdict in words, for the log and the terminal summary."""
        if not self.substituted:
            return (f"node boot: {self.used} ({self.reason})",)
        return (f"node boot: the profile plans {self.planned}, which cannot work: {self.reason}",
                f"node boot: booting the nodes with {self.used} instead; the {self.planned} scenario is "
                "reported as an expected failure")


def instance_key(node: Node) -> str:
    """The plan key of a node's instance."""
    return f"instance-{node.name}"


def interface_key(node: Node) -> str:
    """The plan key of a node's network interface."""
    return f"eni-{node.name}"


def boot_verdict(t: Topology) -> BootVerdict:
    """Decide, before launching, how the nodes boot (never by netboot: EC2 has none)."""
    if t.boot_method == "pxe":
        return BootVerdict("pxe", "boot-to-talos", NO_PXE)
    return BootVerdict(t.boot_method, "boot-to-talos", "user-data installs Talos to disk, then reboots")


def pinned_sha256(env: Mapping[str, str] | None = None) -> str | None:
    """The boot-to-talos tarball's sha256, from the same source the bastion serves it with."""
    return bastion.pinned_sha256(env)


def asset_url(t: Topology) -> str:
    """Where the bastion serves the verified boot-to-talos tarball (the bastion's rendered asset server)."""
    return render_bastion(t, live=False).assets.url


def user_data(t: Topology, node: Node, sha256: str) -> str:
    """The node's user-data: fetch boot-to-talos from the bastion, verify it, install Talos to disk."""
    return userdata.render(node, bastion_ip=t.bastion.private_ip, asset_url=asset_url(t), sha256=sha256)


def template_key(node: Node) -> str:
    """The plan key of a node's launch template."""
    return f"lt-{node.name}"


def specs(t: Topology) -> list[ResourceSpec]:
    """The phase's resources: every node's interface, then launch template, then instance.

    The nodes get the bastion's key pair (reachable only from the bastion, and only until
    boot-to-talos replaces Amazon Linux), so a stuck install can be inspected.
    """
    sha = pinned_sha256() or OFFLINE_SHA256
    ami = load_data("bastion")["ami"]
    enis, templates, instances = [], [], []
    for n in t.nodes:
        name, role = f"{t.name}-{n.name}", {ROLE_KEY: n.role}
        enis.append(ResourceSpec("network_interface", interface_key(n), PHASE, name, {
            "subnet": Ref(f"subnet-{t.node_subnet}"), "private_ip": n.private_ip, "groups": [Ref("sg-nodes")],
            "description": f"{name} ({n.role}): fixed address {n.private_ip}", "tags": role}))
        templates.append(ResourceSpec("launch_template", template_key(n), PHASE, name, {
            "ami_parameter": ami["ssm_parameter"], "architecture": ami["architecture"],
            "instance_type": n.instance_type, "key_pair": Ref(bastion.KEY_PAIR),
            "network_interface": Ref(interface_key(n)), "root_volume_gb": n.root_volume_gb, "volume_type": "gp3",
            "encrypted": True, "metadata_options": dict(NODE_METADATA), "user_data": UserData(user_data(t, n, sha)),
            "instance_key": instance_key(n), "instance_name": name, "volume_key": f"root-{n.name}", "tags": role,
            "cpu_credits": credits.planned_mode(n.instance_type, t.cpu_credits),
            "data_volume_gb": n.data_volume_gb, "data_device": DATA_DEVICE}))
        instances.append(ResourceSpec("instance", instance_key(n), PHASE, name, {
            "launch_template": Ref(template_key(n)), "private_ip": n.private_ip, "tags": role}))
    return enis + templates + instances


def launch(executor: Executor, phase_specs: Sequence[ResourceSpec]) -> dict[str, str]:
    """Ensure the phase's specs kind by kind (interfaces, templates, instances), each kind concurrently.

    Nothing in a group refers to another member, so launching three nodes takes about as
    long as launching one (bench/parallel_launch.py measures it).
    """
    groups: dict[str, list[ResourceSpec]] = {}
    for spec in phase_specs:
        groups.setdefault(spec.kind, []).append(spec)
    unknown = set(groups) - set(LAUNCH_ORDER)
    if unknown:
        raise ValueError(f"the talos phase launches {', '.join(LAUNCH_ORDER)} only, got {sorted(unknown)}")
    ids: dict[str, str] = {}
    for kind in LAUNCH_ORDER:
        ids = executor.ensure_parallel(groups.get(kind, []))
    instances = groups.get("instance", [])
    with ThreadPoolExecutor(max_workers=max(1, len(instances))) as pool:
        for done in [pool.submit(tag_instance, executor.ctx, ids[s.key], dict(s.params.get("tags") or {}))
                     for s in instances]:
            done.result()
    return ids


def tag_instance(ctx: RunContext, instance_id: str, extra: Mapping[str, str]) -> None:
    """Add per-node tags (the role) to an instance, its volumes and its interfaces.

    The run's identity tags are set in the create calls; the compute kinds take no per-spec
    tags, so the role follows right after (idempotent; tags are not identity). An instance that
    already carries them (a kept run adopted by --reuse) is left alone: one CreateTags call
    tags the instance, its volumes and interfaces together.
    """
    if not extra:
        return
    with aws_call("DescribeInstances"):
        found = [i for r in ctx.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
                 for i in r["Instances"]]
    if found and all(extra.items() <= tagging.from_aws(i.get("Tags")).items() for i in found):
        return
    resources = [instance_id]
    for inst in found:
        resources += [m["Ebs"]["VolumeId"] for m in inst.get("BlockDeviceMappings", []) if "Ebs" in m]
        resources += [n["NetworkInterfaceId"] for n in inst.get("NetworkInterfaces", [])]
    with aws_call("CreateTags"):
        ctx.ec2.create_tags(Resources=resources, Tags=tagging.to_aws(extra))


def preflight(t: Topology, *, live: bool, env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Return the phase's verdict lines; live, refuse to launch without the pinned boot-to-talos sha256.

    Raises userdata.BootToTalosChecksumMissing (a SetupError) naming where to set it.
    """
    lines = boot_verdict(t).lines()
    sha = pinned_sha256(env)
    if live and sha is None:
        raise userdata.BootToTalosChecksumMissing(
            f"boot-to-talos sha256 is not pinned: set boot_to_talos.sha256 in provisioning/data/versions.yaml "
            f"or {SHA256_ENV} (from the {load_data('versions')['boot_to_talos']['version']} release page) "
            "before launching Talos nodes")
    if sha is None:
        lines += (f"boot-to-talos sha256: not pinned; offline user-data carries the labelled placeholder "
                  f"{OFFLINE_SHA256[:12]}…",)
    for line in lines:
        log.info("%s", line)
    return lines
