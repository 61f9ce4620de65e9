"""Find infrastructure built by something else (--existing): plan key -> id, by name, CIDR or address.

Verify-only: every call here is a Describe/Get/List, and in existing mode the lab's
ClientFactory is read_only, so a mutating call would be refused before it is sent. Nothing
found is ever put in a ledger, so teardown cannot delete it.

The VPC is found by its CIDR (and by Name as well when existing.names.vpc gives one). Every
other planned resource is looked for by the name the profile's optional ``existing.names``
gives its plan key (a Name tag, a security group, ASG or IAM name, or an id such as
sg-0123...), else by the name the suite itself would give it, else by identity
(provisioning/existing_identity.py): subnets by CIDR, network interfaces and instances by
their fixed private addresses, the security groups by the interfaces at those addresses, the
bastion's role, profile, key pair, Elastic IP and launch template from its instance and
interface, route tables by the subnet they serve, the internet gateway and DHCP options by
the VPC. A name that matches several resources is an error listing them. What is not found
is reported, not created: the checks then fail naming it. Only a missing VPC stops the
phase here (there is nothing to check); a missing bastion stops its phase in the fixture.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from provisioning import existing_identity as identity
from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call
from provisioning.errors import NotFoundError, SetupError
from provisioning.plan import Ref, ResourceSpec, plan
from provisioning.topology import Topology

log = logging.getLogger(__name__)

ID_RE = re.compile(r"^(vpc|subnet|igw|rtb|dopt|eipalloc|nat|sg|eni|i|vol|lt|key)-[0-9a-f]{8,17}$")


@dataclass(frozen=True)
class Lookup:
    """What to look for: the spec, the name (or id) to match, params with known Refs resolved, the VPC."""

    spec: ResourceSpec
    name: str
    params: Mapping[str, Any]
    vpc: str | None
    topo: Topology | None = None
    explicit: bool = False


@dataclass(frozen=True)
class Discovery:
    """The result for one phase: plan key -> id, and what was not found (key, how it was looked for)."""

    phase: str
    ids: dict[str, str]
    missing: tuple[tuple[str, str], ...] = ()
    absent_optional: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """Report lines: what was found and what was not."""
        out = [f"existing {self.phase}: found {len(self.ids)} resource(s) by name, CIDR or address; "
               "nothing created or deleted"]
        out += [f"existing {self.phase}: not found: {key} ({how})" for key, how in self.missing]
        if self.absent_optional:
            out.append(f"existing {self.phase}: optional, absent: {', '.join(self.absent_optional)}")
        return out


Locator = Callable[[ClientFactory, Lookup], "str | None"]


def _one(items: list[str], what: str) -> str | None:
    return identity.pick(((i, "") for i in items), what)


def _ec2(clients: ClientFactory, op: str, list_key: str, id_key: str, filters: list[dict[str, Any]],
         skip: Callable[[dict[str, Any]], bool] = lambda item: False) -> list[str]:
    ec2 = clients.client("ec2")
    with aws_call(op):
        if ec2.can_paginate(op):
            items = [i for page in ec2.get_paginator(op).paginate(Filters=filters) for i in page[list_key]]
        else:
            items = getattr(ec2, op)(Filters=filters)[list_key]
    if list_key == "Reservations":
        items = [inst for r in items for inst in r["Instances"]]
    return [str(i[id_key]) for i in items if not skip(i)]


def _f(name: str, *values: str | None) -> dict[str, Any]:
    return {"Name": name, "Values": [v for v in values if v]}


def _in_vpc(q: Lookup) -> list[dict[str, Any]]:
    return [_f("vpc-id", q.vpc)] if q.vpc else []


def _ec2_locator(op: str, list_key: str, id_key: str, id_filter: str, *, in_vpc: bool = True,
                 name_filters: tuple[str, ...] = ("tag:Name",),
                 fallback: Callable[[Lookup], list[dict[str, Any]] | None] | None = None,
                 skip: Callable[[dict[str, Any]], bool] = lambda item: False) -> Locator:
    """A locator: by id when the name looks like one, else by each name filter, else by fallback filters."""
    def locate(clients: ClientFactory, q: Lookup) -> str | None:
        scope = _in_vpc(q) if in_vpc else []
        if ID_RE.match(q.name):
            return _one(_ec2(clients, op, list_key, id_key, [_f(id_filter, q.name)], skip), q.name)
        for name_filter in name_filters:
            found = _one(_ec2(clients, op, list_key, id_key, scope + [_f(name_filter, q.name)], skip),
                         f"{q.spec.kind} {name_filter}={q.name}")
            if found:
                return found
        extra = fallback(q) if fallback else None
        if extra:
            return _one(_ec2(clients, op, list_key, id_key, scope + extra, skip), f"{q.spec.kind} {extra}")
        return None
    return locate


def _address(q: Lookup) -> str | None:
    """The first private IPv4 address in the spec's params (how ENIs and instances are placed)."""
    for key, value in q.params.items():
        if "ip" in key and isinstance(value, str):
            try:
                return str(ipaddress.IPv4Address(value))
            except ValueError:
                continue
    return None


def _by_cidr(q: Lookup) -> list[dict[str, Any]] | None:
    return [_f("cidr-block", q.params.get("cidr"))] if q.params.get("cidr") else None


def _by_address(filter_name: str) -> Callable[[Lookup], list[dict[str, Any]] | None]:
    def filters(q: Lookup) -> list[dict[str, Any]] | None:
        ip = _address(q)
        return [_f(filter_name, ip)] if ip else None
    return filters


def _gone(state_key: str, *gone: str) -> Callable[[dict[str, Any]], bool]:
    def skip(item: dict[str, Any]) -> bool:
        value = item.get(state_key, "")
        return (value.get("Name") if isinstance(value, dict) else value) in gone
    return skip


def _igw(clients: ClientFactory, q: Lookup) -> str | None:
    return _one(_ec2(clients, "describe_internet_gateways", "InternetGateways", "InternetGatewayId",
                     [_f("attachment.vpc-id", q.vpc)]), f"internet gateway attached to {q.vpc}") if q.vpc else None


def _route_table(clients: ClientFactory, q: Lookup) -> str | None:
    subnet = q.params.get("subnet")
    if isinstance(subnet, str):
        found = _one(_ec2(clients, "describe_route_tables", "RouteTables", "RouteTableId",
                          [_f("association.subnet-id", subnet)]), f"route table of {subnet}")
        if found:
            return found
    return _ec2_locator("describe_route_tables", "RouteTables", "RouteTableId", "route-table-id")(clients, q)


def _dhcp(clients: ClientFactory, q: Lookup) -> str | None:
    if not q.vpc:
        return None
    with aws_call("DescribeVpcs"):
        vpc = clients.client("ec2").describe_vpcs(VpcIds=[q.vpc])["Vpcs"][0]
    dopt = vpc.get("DhcpOptionsId")
    return str(dopt) if dopt and dopt != "default" else None


def _asg(clients: ClientFactory, q: Lookup) -> str | None:
    with aws_call("DescribeAutoScalingGroups"):
        groups = clients.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[q.name])["AutoScalingGroups"]
    return str(groups[0]["AutoScalingGroupName"]) if groups else None


def _schedules(clients: ClientFactory, q: Lookup) -> str | None:
    """The ASG (named for this key) when it has scheduled actions."""
    with aws_call("DescribeScheduledActions"):
        actions = clients.client("autoscaling").describe_scheduled_actions(
            AutoScalingGroupName=q.name)["ScheduledUpdateGroupActions"]
    return q.name if actions else None


def _iam(op: str, param: str) -> Locator:
    def locate(clients: ClientFactory, q: Lookup) -> str | None:
        try:
            with aws_call(op):
                getattr(clients.client("iam"), op)(**{param: q.name})
        except NotFoundError:
            return None
        return q.name
    return locate


def _vpc(clients: ClientFactory, q: Lookup) -> str | None:
    """By id when names.vpc is one; else by CIDR, and by Name too when names.vpc gives one."""
    if ID_RE.match(q.name):
        return _one(_ec2(clients, "describe_vpcs", "Vpcs", "VpcId", [_f("vpc-id", q.name)]), q.name)
    return identity.vpc_by_cidr(clients, str(q.params["cidr"]), q.name if q.explicit else None)


LOCATORS: dict[str, Locator] = {
    "vpc": _vpc,
    "subnet": _ec2_locator("describe_subnets", "Subnets", "SubnetId", "subnet-id", fallback=_by_cidr),
    "internet_gateway": _igw,
    "route_table": _route_table,
    "dhcp_options": _dhcp,
    "elastic_ip": _ec2_locator("describe_addresses", "Addresses", "AllocationId", "allocation-id", in_vpc=False),
    "nat_gateway": _ec2_locator("describe_nat_gateways", "NatGateways", "NatGatewayId", "nat-gateway-id",
                                skip=_gone("State", "deleted", "deleting", "failed")),
    "security_group": _ec2_locator("describe_security_groups", "SecurityGroups", "GroupId", "group-id",
                                   name_filters=("group-name", "tag:Name")),
    "network_interface": _ec2_locator("describe_network_interfaces", "NetworkInterfaces", "NetworkInterfaceId",
                                      "network-interface-id", fallback=_by_address("addresses.private-ip-address")),
    "instance": _ec2_locator("describe_instances", "Reservations", "InstanceId", "instance-id",
                             fallback=_by_address("private-ip-address"),
                             skip=_gone("State", "terminated", "shutting-down")),
    "volume": _ec2_locator("describe_volumes", "Volumes", "VolumeId", "volume-id", in_vpc=False),
    "launch_template": _ec2_locator("describe_launch_templates", "LaunchTemplates", "LaunchTemplateId",
                                    "launch-template-id", in_vpc=False, name_filters=("launch-template-name",)),
    "key_pair": _ec2_locator("describe_key_pairs", "KeyPairs", "KeyPairId", "key-pair-id", in_vpc=False,
                             name_filters=("key-name",)),
    "autoscaling_group": _asg,
    "scheduled_actions": _schedules,
    "iam_role": _iam("get_role", "RoleName"),
    "instance_profile": _iam("get_instance_profile", "InstanceProfileName"),
}


def _known(value: Any, ids: Mapping[str, str]) -> Any:
    """Replace each Ref by the id found for it (None when it was not found)."""
    if isinstance(value, Ref):
        return ids.get(value.key)
    if isinstance(value, Mapping):
        return {k: _known(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_known(v, ids) for v in value]
    return value


def _locate(clients: ClientFactory, topo: Topology, spec: ResourceSpec, ids: Mapping[str, str]) -> str | None:
    if spec.kind == "sg_ingress":  # a rule set lives on its group: it is there when the group is
        return ids.get(spec.key.removesuffix("-ingress"))
    locate = LOCATORS.get(spec.kind)
    if locate is None:
        raise SetupError(f"existing mode cannot look for a {spec.kind} ({spec.key}) yet: add a locator to "
                         "provisioning/existing.py")
    explicit = spec.key in topo.existing.names
    q = Lookup(spec, topo.existing.names.get(spec.key, spec.name), _known(dict(spec.params), ids), ids.get("vpc"),
               topo, explicit)
    found = locate(clients, q)
    if found is not None or explicit or spec.kind == "vpc" or q.vpc is None:
        return found
    return identity.by_identity(clients, topo, q.vpc, spec, q.params)


def discover(clients: ClientFactory, topo: Topology, phase: str,
             known: Mapping[str, str] | None = None) -> Discovery:
    """Find every resource phase plans, read-only; raise SetupError when the VPC itself is not found.

    known holds what earlier phases found (plan key -> id), so Refs to them resolve.
    """
    ids = dict(known or {})
    found: dict[str, str] = {}
    missing: list[tuple[str, str]] = []
    absent: list[str] = []
    for spec in plan(topo, (phase,)):
        rid = _locate(clients, topo, spec, ids)
        if rid is not None:
            ids[spec.key] = found[spec.key] = rid
            log.info("existing: %s %s is %s", spec.kind, spec.key, rid)
            continue
        how = f"{spec.kind} named {topo.existing.names.get(spec.key, spec.name)!r}"
        if spec.kind == "sg_ingress":
            how = f"the rules of {spec.key.removesuffix('-ingress')}, which was not found"
        if spec.kind == "vpc":
            named = f" named {topo.existing.names['vpc']!r}" if "vpc" in topo.existing.names else ""
            raise SetupError(f"existing mode: no VPC with CIDR {topo.vpc_cidr}{named} in {clients.region}; "
                             f"check vpc.cidr or set existing.names.vpc (a Name or an id) in profile {topo.name}")
        if spec.key in topo.existing.optional or _implicitly_optional(spec):
            absent.append(spec.key)
        else:
            log.warning("existing: %s not found (%s)", spec.key, how)
            missing.append((spec.key, how))
    return Discovery(phase, found, tuple(missing), tuple(absent))


def _implicitly_optional(spec: ResourceSpec) -> bool:
    """A node launched without a launch template is as good as one launched from one."""
    return spec.kind == "launch_template" and spec.phase == "talos"
