"""Bastion phase: key pair, IAM role and profile, fixed-address ENI, launch template, instance or scheduled ASG.

The ENI carries the profile's private IP, one IPv6 address (when the profile asks), the
bastion security group and source/destination check off (the bastion forwards for the
nodes); a public IPv4 (profile: public_ipv4) is an Elastic IP on it. The launch template
attaches that ENI as device 0, so a replacement instance keeps the address. The user-data
is the bastion rendering (provisioning/userdata), the image the public SSM parameter of
provisioning/data/bastion.yaml, resolved at launch.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

from provisioning import credits
from provisioning.aws.compute import UserData
from provisioning.data import load_data
from provisioning.errors import Problem, ProfileError
from provisioning.plan import Ref, ResourceSpec
from provisioning.schedule import hours_up
from provisioning.topology import Topology
from provisioning.userdata import BastionRendering, render_bastion
from provisioning.userdata.model import BootToTalos

PHASE = "bastion"
KEY_PAIR, ROLE, PROFILE, EIP, ENI = "bastion-key", "bastion-role", "bastion-profile", "bastion-eip", "bastion-eni"
TEMPLATE, INSTANCE, GROUP, SCHEDULE, VOLUME = ("bastion-lt", "bastion-instance", "bastion-asg", "bastion-schedule",
                                               "bastion-root")


SHA256_ENV = "TDG_BOOT_TO_TALOS_SHA256"


def pinned_sha256(env: Mapping[str, str] | None = None) -> str | None:
    """The boot-to-talos tarball's sha256: TDG_BOOT_TO_TALOS_SHA256, else versions.yaml, else None.

    The bastion verifies the tarball with it and the nodes verify their download with it, so
    both read it here.
    """
    env = os.environ if env is None else env
    value = env.get(SHA256_ENV) or load_data("versions")["boot_to_talos"].get("sha256")
    return str(value).strip().lower() if value else None


def _boot_to_talos() -> BootToTalos:
    return BootToTalos.from_versions(load_data("versions"), sha256=pinned_sha256())


def boot_rendering(t: Topology) -> BastionRendering:
    """The rendering whose user-data the launch template carries (live bindings; no live-only guards).

    A live run calls live_rendering() first, which refuses what a real bastion must not get.
    """
    return render_bastion(t, boot_to_talos=_boot_to_talos(), live=False)


def live_rendering(t: Topology) -> BastionRendering:
    """The rendering a live bastion may boot with; RenderError when it is not fit (e.g. no pinned sha256)."""
    return render_bastion(t, boot_to_talos=_boot_to_talos(), live=True)


def policy_document(actions: list[str]) -> dict[str, Any]:
    """The inline least-privilege policy of the bastion role."""
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": sorted(actions), "Resource": "*"}]}


def schedule_actions(t: Topology) -> list[dict[str, Any]]:
    """The ASG's daily start and stop actions (UTC cron from the profile); ProfileError when they do not add up."""
    sched = t.bastion.schedule
    if sched is None:
        raise ProfileError(t.source, [Problem("bastion.schedule", None, "an ASG bastion needs a start/stop schedule")])
    try:
        hours = hours_up(sched.start, sched.stop)
    except ValueError as exc:
        raise ProfileError(t.source, [Problem("bastion.schedule", f"{sched.start} / {sched.stop}", str(exc))]) from exc
    if not math.isclose(hours, sched.hours_per_day, abs_tol=1 / 60):
        raise ProfileError(t.source, [Problem("bastion.schedule.hours_per_day", sched.hours_per_day,
                                              f"start '{sched.start}' and stop '{sched.stop}' are {hours:g} h apart")])
    return [{"name": "tdg-start", "recurrence": sched.start, "min": 0, "max": 1, "desired": 1},
            {"name": "tdg-stop", "recurrence": sched.stop, "min": 0, "max": 1, "desired": 0}]


def specs(t: Topology) -> list[ResourceSpec]:
    """The bastion phase's resources, in creation order."""
    data = load_data("bastion")
    n, b = t.name, t.bastion
    name = f"{n}-bastion"
    iam = data["iam"]
    out = [
        ResourceSpec("key_pair", KEY_PAIR, PHASE, name, {"source": "operator public key (TDG_SSH_KEY)"}),
        ResourceSpec("iam_role", ROLE, PHASE, name, {
            "path": iam["path"], "service": iam["trust_service"], "policy_name": iam["policy_name"],
            "policy": policy_document(list(iam["actions"])),
            "description": "bastion: Systems Manager session and run command only"}),
        ResourceSpec("instance_profile", PROFILE, PHASE, name, {"path": iam["path"], "role": Ref(ROLE)}),
    ]
    if b.public_ipv4:
        out.append(ResourceSpec("elastic_ip", EIP, PHASE, f"{name}-ipv4", {}))
    out += [
        ResourceSpec("network_interface", ENI, PHASE, name, {
            "subnet": Ref(f"subnet-{b.subnet}"), "private_ip": b.private_ip, "ipv6_count": 1 if b.ipv6 else 0,
            "groups": [Ref("sg-bastion")], "source_dest_check": False, "eip": Ref(EIP) if b.public_ipv4 else None,
            "description": f"{name}: fixed address {b.private_ip}"}),
        ResourceSpec("launch_template", TEMPLATE, PHASE, name, {
            "ami_parameter": data["ami"]["ssm_parameter"], "architecture": data["ami"]["architecture"],
            "instance_type": b.instance_type, "key_pair": Ref(KEY_PAIR), "instance_profile": Ref(PROFILE),
            "network_interface": Ref(ENI), "root_volume_gb": b.root_volume_gb,
            "volume_type": data["root_volume"]["type"], "encrypted": bool(data["root_volume"]["encrypted"]),
            "metadata_options": dict(data["metadata_options"]), "user_data": UserData(boot_rendering(t).user_data),
            "instance_key": INSTANCE, "instance_name": name, "volume_key": VOLUME,
            "cpu_credits": credits.planned_mode(b.instance_type, t.cpu_credits)}),
    ]
    if b.mode == "asg":
        out += [
            ResourceSpec("autoscaling_group", GROUP, PHASE, name, {
                "launch_template": Ref(TEMPLATE), "subnets": [Ref(f"subnet-{b.subnet}")], "min": 0, "max": 1,
                "desired": 1}),
            ResourceSpec("scheduled_actions", SCHEDULE, PHASE, name, {
                "group": Ref(GROUP), "time_zone": data["schedule"]["time_zone"], "actions": schedule_actions(t)}),
        ]
    else:
        out.append(ResourceSpec("instance", INSTANCE, PHASE, name, {
            "launch_template": Ref(TEMPLATE), "private_ip": b.private_ip}))
    return out
