"""Bastion checks: where the bastion runs and how it is reached, against what the profile plans.

Subnet, type and key pair, addresses, interface settings and groups, schedule and run tags. Each
function returns a list of violations (empty = the check passes); each names the resource, the
expected and the actual value. Missing resources are violations too. What it boots with (image,
IMDS, volumes, IAM profile, user-data) is checked in provisioning/checks/bastion_launch.py.
"""

from __future__ import annotations

import ipaddress
import math

from provisioning import tags as tagging
from provisioning.aws.bastion_state import BastionState
from provisioning.aws.state import NetworkState
from provisioning.checks.bastion_launch import running_instance
from provisioning.schedule import hours_per_day
from provisioning.topology import Topology

UTC_ZONES = {"UTC", "Etc/UTC", "Etc/GMT", "GMT"}


def placement(t: Topology, s: BastionState) -> list[str]:
    """The bastion runs in the planned subnet, as the planned type, with the run's key pair."""
    i, out = running_instance(s)
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


def schedule(t: Topology, s: BastionState) -> list[str]:
    """ASG profiles: a 0..1 group in the planned subnet, running now, with >= 2 UTC actions adding up to the plan.

    Instance profiles: no group; the instance runs.
    """
    g = s.group
    if t.bastion.mode == "instance":
        _, out = running_instance(s)
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


def bastion_group_only(s: BastionState, net: NetworkState) -> list[str]:
    """The bastion interface carries the bastion group and no other (phase 01 checks that group's rules)."""
    group = net.by_key("sg-bastion")
    if s.eni is None:
        return ["bastion interface: expected it to exist, found none"]
    if group is None or s.eni.groups != (group.id,):
        return [f"bastion interface {s.eni.id}: expected only the bastion security group "
                f"{group.id if group else '(missing)'}, found {list(s.eni.groups)}"]
    return []
