"""Bastion checks: compare what the API reports about the bastion with what the profile plans.

Each function returns a list of violations (empty = the check passes); each names the
resource, the expected and the actual value. Missing resources are violations too.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable

from provisioning import credits
from provisioning import tags as tagging
from provisioning.aws.bastion_state import BastionState, InstanceState, TemplateVersion
from provisioning.aws.state import NetworkState
from provisioning.checks.secrets import scan
from provisioning.schedule import hours_per_day
from provisioning.topology import Topology
from provisioning.userdata.model import BastionRendering

UTC_ZONES = {"UTC", "Etc/UTC", "Etc/GMT", "GMT"}


def _instance(s: BastionState) -> tuple[InstanceState | None, list[str]]:
    if s.instance is None:
        return None, ["bastion instance: expected one running, found none"]
    if s.instance.state != "running":
        return s.instance, [f"bastion instance {s.instance.id}: expected running, found {s.instance.state}"]
    return s.instance, []


def _versions(s: BastionState) -> list[tuple[str, TemplateVersion]]:
    """Each checked template version with the words that name it in a violation."""
    if s.template is None:
        return []
    return [(f"launch template {s.template.id} v{v.number} ({'/'.join(v.labels)})", v) for v in s.template.versions]


def placement(t: Topology, s: BastionState) -> list[str]:
    """The bastion runs in the planned subnet, as the planned type, with the run's key pair."""
    i, out = _instance(s)
    if i is None:
        return out
    planned = s.planned_subnet[0] if s.planned_subnet else None
    if i.subnet_id != planned:
        out.append(f"bastion instance {i.id}: expected subnet {t.bastion.subnet} ({planned}), found {i.subnet_id}")
    if s.eni is not None and s.eni.subnet_id != planned:
        out.append(f"bastion interface {s.eni.id}: expected subnet {planned}, found {s.eni.subnet_id}")
    if i.instance_type != t.bastion.instance_type:
        out.append(f"bastion instance {i.id}: expected type {t.bastion.instance_type}, found {i.instance_type}")
    key = s.key_pair[1] if s.key_pair else None
    if (i.key_name or None) != key:  # EC2 reports no key as "" (absent KeyName); no key pair found is None
        out.append(f"bastion instance {i.id}: expected key pair {key or '(the run key pair)'}, "
                   f"found {i.key_name or 'none'}")
    return out


def private_address(t: Topology, s: BastionState) -> list[str]:
    """Exactly the planned private IP, on the bastion's own interface, attached as device 0."""
    ip = t.bastion.private_ip
    if s.eni is None:
        return [f"bastion interface: expected one holding {ip}, found none"]
    out = []
    if s.eni.private_ips != (ip,):
        out.append(f"bastion interface {s.eni.id}: expected exactly {ip}, found {list(s.eni.private_ips)}")
    i = s.instance
    if i is None or s.eni.instance_id != i.id or s.eni.device_index != 0:
        out.append(f"bastion interface {s.eni.id}: expected attached to the bastion {i.id if i else '(none)'} "
                   f"as device 0, found {s.eni.instance_id} device {s.eni.device_index}")
    elif i.private_ip != ip:
        out.append(f"bastion instance {i.id}: expected primary address {ip}, found {i.private_ip}")
    return out


def ipv6_address(t: Topology, s: BastionState) -> list[str]:
    """One IPv6 address inside the subnet's /64 when the profile asks for IPv6; none otherwise."""
    if s.eni is None:
        return ["bastion interface: expected it to exist, found none"]
    got = list(s.eni.ipv6)
    if not t.bastion.ipv6:
        return [f"bastion interface {s.eni.id}: expected no IPv6, found {got}"] if got else []
    blocks = [ipaddress.IPv6Network(c) for c in (s.planned_subnet[2] if s.planned_subnet else ())]
    inside = [a for a in got if any(ipaddress.IPv6Address(a) in b for b in blocks)]
    if len(got) != 1 or len(inside) != 1:
        return [f"bastion interface {s.eni.id}: expected one IPv6 address in {[str(b) for b in blocks]}, found {got}"]
    return []


def source_dest_check_off(s: BastionState) -> list[str]:
    """The bastion's interface does not drop traffic that is not addressed to it (it forwards for the nodes)."""
    if s.eni is None:
        return ["bastion interface: expected it to exist, found none"]
    return [f"bastion interface {s.eni.id}: expected source/destination check off, found on"] \
        if s.eni.source_dest_check else []


def public_ipv4(t: Topology, s: BastionState) -> list[str]:
    """A public IPv4 (the run's Elastic IP on the bastion interface) exactly when the profile gives one."""
    if s.eni is None:
        return ["bastion interface: expected it to exist, found none"]
    if not t.bastion.public_ipv4:
        return [f"bastion interface {s.eni.id}: expected no public IPv4, found {s.eni.public_ipv4}"] \
            if s.eni.public_ipv4 else []
    if s.eip is None or s.eip[2] != s.eni.id or s.eni.public_ipv4 != s.eip[1]:
        return [f"bastion interface {s.eni.id}: expected the run's Elastic IP "
                f"{s.eip[1] if s.eip else '(none allocated)'}, found {s.eni.public_ipv4 or 'no public IPv4'}"]
    return []


def image(s: BastionState, architecture: str) -> list[str]:
    """Template versions and instance use the image the launch template recorded, of the planned architecture.

    The reference is the template's $Default image (resolved from the public SSM parameter when
    it was created), not the parameter's value today: a new AL2023 release is not a failure.
    """
    out = []
    if s.template is None:
        return ["bastion launch template: expected it to exist (it records the image), found none"]
    if not any("$Default" in v.labels for v in s.template.versions):
        return [f"launch template {s.template.id}: expected a $Default version recording the image, found none"]
    if s.ami_architecture != architecture:
        out.append(f"image {s.ami_recorded} (recorded in launch template {s.template.id}): expected {architecture}, "
                   f"found {s.ami_architecture}")
    out += [f"{name}: expected image {s.ami_recorded} (recorded at creation, $Default), found {v.image_id}"
            for name, v in _versions(s) if v.image_id != s.ami_recorded]
    if s.instance is not None and s.instance.image_id != s.ami_recorded:
        out.append(f"bastion instance {s.instance.id}: expected image {s.ami_recorded} (launch template $Default), "
                   f"found {s.instance.image_id}")
    return out


def cpu_credits(t: Topology, s: BastionState, *, template_required: bool = True) -> list[str]:
    """Every launchable template version records the profile's CPU credit mode (standard unless asked).

    template_required=False (--existing, the profile marks the template optional): no template, nothing to check.
    """
    if s.template is None:
        return ["bastion launch template: expected it to exist, found none"] if template_required else []
    return [v for name, ver in _versions(s)
            for v in credits.violations(name, ver.instance_type, ver.cpu_credits, t.cpu_credits)]


def imdsv2(s: BastionState, *, template_required: bool = True) -> list[str]:
    """IMDSv2 (session tokens) is required on the instance and in every used template version."""
    i, out = _instance(s)
    if i is not None and (i.http_tokens != "required" or i.http_endpoint != "enabled"):
        out.append(f"bastion instance {i.id}: expected metadata HttpTokens=required on an enabled endpoint, "
                   f"found HttpTokens={i.http_tokens}, HttpEndpoint={i.http_endpoint}")
    if s.template is None:
        return [*out, "bastion launch template: expected it to exist, found none"] if template_required else out
    out += [f"{name}: expected HttpTokens=required, found {v.http_tokens}"
            for name, v in _versions(s) if v.http_tokens != "required"]
    return out


def root_volume(t: Topology, s: BastionState, volume_type: str) -> list[str]:
    """The root volume (instance and template) is encrypted, of the planned type and size."""
    i, out = _instance(s)
    want = (True, volume_type, t.bastion.root_volume_gb)
    if i is not None:
        v = i.root_volume
        got = (v.encrypted, v.volume_type, v.size_gib) if v else None
        if got != want:
            out.append(f"bastion instance {i.id} root volume {v.id if v else '(none at ' + i.root_device + ')'}: "
                       f"expected encrypted {volume_type} {t.bastion.root_volume_gb} GiB, found "
                       + (f"encrypted={got[0]} {got[1]} {got[2]} GiB" if got else "no volume"))
    for name, ver in _versions(s):
        bad = [d for d in ver.volumes if (d[1], d[2], d[3]) != want]
        bad += [] if ver.volumes else [("(none)", False, "", 0)]
        out += [f"{name} device {d[0]}: expected encrypted {volume_type} {t.bastion.root_volume_gb} GiB, found "
                f"encrypted={d[1]} {d[2] or '-'} {d[3]} GiB" for d in bad]
    return out


def instance_profile(s: BastionState, allowed: Iterable[str], path: str, managed: Iterable[str] = ()) -> list[str]:
    """The bastion has its profile; the role trusts EC2 only and allows no more than the planned actions.

    managed: the managed policy ARNs the role may carry (none for the suite's own role).
    """
    if s.iam is None:
        return ["bastion IAM role and instance profile: expected both, found at least one missing"]
    a, out = s.iam, []
    i = s.instance
    if i is None or i.profile_arn != a.profile_arn:
        out.append(f"bastion instance {i.id if i else '(none)'}: expected instance profile {a.profile_arn}, "
                   f"found {i.profile_arn if i else None}")
    out += [f"{name}: expected instance profile {a.profile}, found {v.profile}"
            for name, v in _versions(s) if v.profile not in (a.profile, a.profile_arn)]
    if a.profile_roles != (a.role,):
        out.append(f"instance profile {a.profile}: expected only role {a.role}, found {list(a.profile_roles)}")
    if (a.role_path, a.profile_path) != (path, path):
        out.append(f"role {a.role} / profile {a.profile}: expected path {path}, found {a.role_path} / {a.profile_path}")
    if a.trusted != ("ec2.amazonaws.com",):
        out.append(f"role {a.role}: expected to trust ec2.amazonaws.com only, found {list(a.trusted)}")
    extra_managed = [arn for arn in a.attached if arn not in set(managed)]
    if extra_managed:
        out.append(f"role {a.role}: expected no managed policies but {sorted(managed)} (least privilege inline), "
                   f"found {extra_managed}")
    extra = sorted({x for acts in a.inline_actions.values() for x in acts} - set(allowed))
    if extra:
        out.append(f"role {a.role}: expected only the Systems Manager core actions, found also {extra}")
    return out


def schedule(t: Topology, s: BastionState) -> list[str]:
    """ASG profiles: a 0..1 group in the planned subnet, running now, with >= 2 UTC actions adding up to the plan.

    Instance profiles: no group; the instance runs.
    """
    g = s.group
    if t.bastion.mode == "instance":
        _, out = _instance(s)
        return out + ([f"Auto Scaling group {g.name}: expected none (profile runs a single instance)"] if g else [])
    sched = t.bastion.schedule
    if g is None or sched is None:
        return ["bastion Auto Scaling group: expected one with a schedule, found none"]
    out = []
    planned = s.planned_subnet[0] if s.planned_subnet else None
    if (g.min_size, g.max_size) != (0, 1) or g.subnets != (planned,):
        out.append(f"Auto Scaling group {g.name}: expected min 0 / max 1 in subnet {planned}, found "
                   f"min {g.min_size} / max {g.max_size} in {list(g.subnets)}")
    if g.desired != 1 or not g.instances:
        out.append(f"Auto Scaling group {g.name}: expected 1 instance in service now, found desired {g.desired}, "
                   f"{len(g.instances)} in service")
    if len(g.actions) < 2:
        out.append(f"Auto Scaling group {g.name}: expected at least 2 scheduled actions, found {len(g.actions)}")
    zones = sorted({a.time_zone for a in g.actions} - UTC_ZONES)
    if zones:
        out.append(f"Auto Scaling group {g.name}: expected schedules in UTC, found {zones}")
    try:
        hours = hours_per_day([a.recurrence for a in g.actions if (a.desired or 0) >= 1],
                              [a.recurrence for a in g.actions if a.desired == 0])
    except ValueError as exc:
        return [*out, f"Auto Scaling group {g.name}: expected daily start/stop actions, found {exc}"]
    if not math.isclose(hours, sched.hours_per_day, abs_tol=1 / 60):
        out.append(f"Auto Scaling group {g.name}: expected {sched.hours_per_day:g} h/day scheduled, found {hours:g} h "
                   f"({[(a.name, a.recurrence, a.desired) for a in g.actions]})")
    return out


def run_tags(s: BastionState, run_id: str) -> list[str]:
    """Everything of the bastion phase carries ManagedBy, the run id, its phase and a Name."""
    items: list[tuple[str, dict[str, str]]] = []
    if s.eni:
        items.append((f"network interface {s.eni.id}", s.eni.tags))
    if s.instance:
        items.append((f"instance {s.instance.id}", s.instance.tags))
        items += [(f"volume {v.id}", v.tags) for v in s.instance.volumes]
    if s.template:
        items.append((f"launch template {s.template.id}", s.template.tags))
    if s.group:
        items.append((f"Auto Scaling group {s.group.name}", s.group.tags))
    if s.iam:
        items += [(f"IAM role {s.iam.role}", s.iam.role_tags),
                  (f"instance profile {s.iam.profile}", s.iam.profile_tags)]
    if s.key_pair:
        items.append((f"key pair {s.key_pair[1]}", s.key_pair[2]))
    if s.eip:
        items.append((f"Elastic IP {s.eip[0]}", s.eip[3]))
    out = [f"bastion {what}: expected it to exist, found none" for what in s.missing]
    for what, tg in items:
        if not tagging.is_ours(tg, run_id) or tg.get(tagging.PHASE_KEY) != "bastion" or not tg.get("Name"):
            shown = {k: tg.get(k) for k in (tagging.MANAGED_BY_KEY, tagging.RUN_ID_KEY, tagging.PHASE_KEY, "Name")}
            out.append(f"{what}: expected ManagedBy=tdg, {tagging.RUN_ID_KEY}={run_id}, {tagging.PHASE_KEY}=bastion "
                       f"and a Name, found {shown}")
    return out


def no_secrets(s: BastionState, secrets: Iterable[str]) -> list[str]:
    """No secret value or key-shaped string in any template version's or the instance's user-data."""
    known = list(secrets)
    out = [v for name, ver in _versions(s) for v in scan(ver.user_data, f"{name} user-data", known)]
    if s.instance is not None:
        out += scan(s.instance.user_data, f"bastion instance {s.instance.id} user-data", known)
    return out


def bastion_group_only(s: BastionState, net: NetworkState) -> list[str]:
    """The bastion interface carries the bastion group and no other (phase 01 checks that group's rules)."""
    group = net.by_key("sg-bastion")
    if s.eni is None:
        return ["bastion interface: expected it to exist, found none"]
    if group is None or s.eni.groups != (group.id,):
        return [f"bastion interface {s.eni.id}: expected only the bastion security group "
                f"{group.id if group else '(missing)'}, found {list(s.eni.groups)}"]
    return []


def boots_rendering(s: BastionState, rendering: BastionRendering) -> list[str]:
    """Every template version and the instance carry exactly the rendered user-data."""
    want = rendering.user_data
    out = [f"{name}: expected the rendered user-data ({len(want)} bytes), found {len(v.user_data)} bytes that differ"
           for name, v in _versions(s) if v.user_data != want]
    if s.instance is not None and s.instance.user_data != want:
        out.append(f"bastion instance {s.instance.id}: expected the rendered user-data, found "
                   f"{len(s.instance.user_data)} bytes that differ")
    return out + ([] if s.template else ["bastion launch template: expected it to exist, found none"])


def services_started(rendering: BastionRendering) -> list[str]:
    """The user-data starts every rendered service: each container with ensure_container, each unit with systemctl."""
    ud = rendering.user_data
    enabled = [ln for ln in ud.splitlines() if ln.startswith("systemctl enable --now ")]
    out = []
    for svc in rendering.services:
        started = f"ensure_container {svc.name} " in ud if svc.kind == "container" \
            else any(svc.name in ln.split() for ln in enabled)
        if not started:
            out.append(f"user-data: expected it to start {svc.kind} {svc.name}, found no such step")
    return out
