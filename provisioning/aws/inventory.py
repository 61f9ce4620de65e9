"""Find every resource the suite tagged (all runs, or one): what the sweeper and the leak tests read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from provisioning import tags as tagging
from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call
from provisioning.errors import NotFoundError


@dataclass(frozen=True)
class Found:
    """One tagged resource: its kind (as the executor names kinds), id, tags and state."""

    kind: str
    id: str
    tags: dict[str, str]
    state: str = ""
    attrs: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def run_id(self) -> str:
        return self.tags.get(tagging.RUN_ID_KEY, "")


def _filters(run_id: str | None) -> list[dict[str, Any]]:
    f: list[dict[str, Any]] = [{"Name": f"tag:{tagging.MANAGED_BY_KEY}", "Values": [tagging.MANAGED_BY_VALUE]}]
    if run_id:
        f.append({"Name": f"tag:{tagging.RUN_ID_KEY}", "Values": [run_id]})
    return f


# kind, describe operation, list key, id key, state key or None, states that count as gone
_EC2: tuple[tuple[str, str, str, str, str | None, tuple[str, ...]], ...] = (
    ("instance", "describe_instances", "Reservations", "InstanceId", "State", ("terminated",)),
    ("launch_template", "describe_launch_templates", "LaunchTemplates", "LaunchTemplateId", None, ()),
    ("network_interface", "describe_network_interfaces", "NetworkInterfaces", "NetworkInterfaceId", None, ()),
    ("volume", "describe_volumes", "Volumes", "VolumeId", "State", ("deleted",)),
    ("key_pair", "describe_key_pairs", "KeyPairs", "KeyPairId", None, ()),
    ("nat_gateway", "describe_nat_gateways", "NatGateways", "NatGatewayId", "State", ("deleted",)),
    ("elastic_ip", "describe_addresses", "Addresses", "AllocationId", None, ()),
    ("route_table", "describe_route_tables", "RouteTables", "RouteTableId", None, ()),
    ("security_group", "describe_security_groups", "SecurityGroups", "GroupId", None, ()),
    ("subnet", "describe_subnets", "Subnets", "SubnetId", None, ()),
    ("internet_gateway", "describe_internet_gateways", "InternetGateways", "InternetGatewayId", None, ()),
    ("dhcp_options", "describe_dhcp_options", "DhcpOptions", "DhcpOptionsId", None, ()),
    ("vpc", "describe_vpcs", "Vpcs", "VpcId", None, ()),
)


def _items(ec2: Any, op: str, list_key: str, filters: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    with aws_call(op):
        if ec2.can_paginate(op):
            pages = ec2.get_paginator(op).paginate(Filters=filters)
            result = [item for page in pages for item in page[list_key]]
        else:
            result = getattr(ec2, op)(Filters=filters)[list_key]
    for item in result:
        if list_key == "Reservations":
            yield from item["Instances"]
        else:
            yield item


# What the sweeper needs to price a resource (instance type, size, public address), by kind.
_ATTRS: dict[str, tuple[str, ...]] = {
    "instance": ("InstanceType", "PublicIpAddress", "LaunchTime"),
    "volume": ("Size", "VolumeType"),
    "elastic_ip": ("PublicIp", "AssociationId", "InstanceId"),
    "nat_gateway": ("SubnetId",),
}


def _attrs(kind: str, item: dict[str, Any]) -> dict[str, str]:
    return {k: str(item[k]) for k in _ATTRS.get(kind, ()) if item.get(k) is not None}


def _state(item: dict[str, Any], key: str | None) -> str:
    if key is None:
        return ""
    value = item.get(key, "")
    return str(value.get("Name", "")) if isinstance(value, dict) else str(value)


def _ec2_kind(ec2: Any, spec: tuple[str, str, str, str, str | None, tuple[str, ...]],
              run_id: str | None) -> list[Found]:
    kind, op, list_key, id_key, state_key, gone = spec
    out = []
    for item in _items(ec2, op, list_key, _filters(run_id)):
        state = _state(item, state_key)
        if state in gone:
            continue
        # ENIs carry their tags under TagSet, everything else under Tags.
        tags = tagging.from_aws(item.get("Tags") or item.get("TagSet"))
        out.append(Found(kind, str(item[id_key]), tags, state, _attrs(kind, item)))
    return out


def find_tagged(clients: ClientFactory, run_id: str | None = None) -> list[Found]:
    """Every live resource with ManagedBy=tdg (and the run id), EC2, autoscaling and IAM.

    The listings do not depend on each other and are made side by side (at 0.2 s per call the
    scan takes about one call's time, not eighteen); the result is in the order of _EC2.
    """
    ec2 = clients.client("ec2")
    jobs: list[Callable[[], list[Found]]] = [
        *(partial(_ec2_kind, ec2, spec, run_id) for spec in _EC2),
        partial(_autoscaling, clients, run_id), partial(_iam, clients, run_id, "iam_role"),
        partial(_iam, clients, run_id, "instance_profile")]
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="tdg-scan") as pool:
        parts = list(pool.map(lambda job: job(), jobs))
    return [found for part in parts for found in part]


# EC2 id prefixes of the kinds above (EC2 API reference, the ids' documented shapes; reconstructed).
_PREFIX_KIND: dict[str, str] = {
    "i": "instance", "lt": "launch_template", "eni": "network_interface", "vol": "volume", "key": "key_pair",
    "nat": "nat_gateway", "eipalloc": "elastic_ip", "rtb": "route_table", "sg": "security_group",
    "subnet": "subnet", "igw": "internet_gateway", "dopt": "dhcp_options", "vpc": "vpc",
}
_KIND_ORDER = {spec[0]: n for n, spec in enumerate(_EC2)}
# Values in one filter: the EC2 API reference gives no limit; EC2 refuses long lists (reported near 200,
# apache/druid#1954 keeps to 100), so a run with more resources is read in chunks of 100.
RESOURCE_ID_FILTER_MAX = 100


def _described_tags(ec2: Any, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with aws_call("DescribeTags"):
        return [row for page in ec2.get_paginator("describe_tags").paginate(Filters=filters) for row in page["Tags"]]


def _ec2_of_run(clients: ClientFactory, run_id: str) -> list[Found]:
    """The run's tagged EC2 resources of every kind from DescribeTags: the ids carrying the run's id, then their tags.

    One paginated call finds every resource tagged tdg:run-id=<run> whatever its kind (it
    lists tags, not resources: kinds the suite has no listing for are found too); a second
    reads every tag of those ids (ownership, phase and spec key decide). The kind follows
    from the id's prefix. No state: an instance is read by id before it is terminated.
    """
    ec2 = clients.client("ec2")
    rows = _described_tags(ec2, [{"Name": "key", "Values": [tagging.RUN_ID_KEY]},
                                 {"Name": "value", "Values": [run_id]}])
    ids = sorted({str(r["ResourceId"]) for r in rows
                  if r.get("Key") == tagging.RUN_ID_KEY and r.get("Value") == run_id})
    tags: dict[str, dict[str, str]] = {rid: {} for rid in ids}
    for start in range(0, len(ids), RESOURCE_ID_FILTER_MAX):
        chunk = ids[start:start + RESOURCE_ID_FILTER_MAX]
        for row in _described_tags(ec2, [{"Name": "resource-id", "Values": chunk}]):
            if row.get("ResourceId") in tags:
                tags[str(row["ResourceId"])][str(row["Key"])] = str(row.get("Value", ""))
    found = [Found(_PREFIX_KIND.get(rid.rsplit("-", 1)[0], rid.rsplit("-", 1)[0]), rid, t) for rid, t in tags.items()
             if _matches(t, run_id)]
    return sorted(found, key=lambda f: (_KIND_ORDER.get(f.kind, len(_KIND_ORDER)), f.id))


def find_run_tagged(clients: ClientFactory, run_id: str) -> list[Found]:
    """The run's tagged resources, for its teardown: EC2 from DescribeTags (two calls for every EC2 kind),
    Auto Scaling and IAM from their own listings; the three side by side.

    Only kind, id and tags are known (no state, no attributes): what the executor adopts and
    checks ownership with. The sweeper, which prices what it finds, uses find_tagged.
    """
    jobs: list[Callable[[], list[Found]]] = [
        partial(_ec2_of_run, clients, run_id), partial(_autoscaling, clients, run_id),
        partial(_iam, clients, run_id, "iam_role"), partial(_iam, clients, run_id, "instance_profile")]
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="tdg-scan") as pool:
        parts = list(pool.map(lambda job: job(), jobs))
    return [found for part in parts for found in part]


def _matches(tags: dict[str, str], run_id: str | None) -> bool:
    return tagging.is_ours(tags, run_id)


def _autoscaling(clients: ClientFactory, run_id: str | None) -> list[Found]:
    asg = clients.client("autoscaling")
    with aws_call("DescribeAutoScalingGroups"):
        groups = [g for page in asg.get_paginator("describe_auto_scaling_groups").paginate()
                  for g in page["AutoScalingGroups"]]
    out = []
    for g in groups:
        tags = {t["Key"]: t["Value"] for t in g.get("Tags", [])}
        if _matches(tags, run_id):
            out.append(Found("autoscaling_group", g["AutoScalingGroupName"], tags, g.get("Status", "")))
    return out


def _could_be_of(name: str, run_id: str | None) -> bool:
    """Whether an IAM name can be run_id's: the suite names them '<name>-<run id>', cut at 64 characters."""
    return run_id is None or name.endswith(f"-{run_id}") or len(name) >= 64


def _iam(clients: ClientFactory, run_id: str | None, kind: str) -> list[Found]:
    """The suite's roles or instance profiles (kind) under /tdg/ with the run's tags.

    With a run id, only names that can be the run's are asked for their tags (the tags decide).
    """
    iam = clients.client("iam")
    listings: dict[str, tuple[str, str, str, Callable[[str], list[dict[str, str]]]]] = {
        "iam_role": ("list_roles", "Roles", "RoleName", lambda name: iam.list_role_tags(RoleName=name)["Tags"]),
        # GetInstanceProfile returns the tags on AWS and on moto (which lacks ListInstanceProfileTags).
        "instance_profile": ("list_instance_profiles", "InstanceProfiles", "InstanceProfileName",
                             lambda name: iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
                             .get("Tags", [])),
    }
    op, key, name_key, tag_reader = listings[kind]
    with aws_call(op):
        items = [i for page in iam.get_paginator(op).paginate(PathPrefix="/tdg/") for i in page[key]]
    out = []
    for item in items:
        if not _could_be_of(item[name_key], run_id):
            continue
        try:
            with aws_call(op):
                tags = tagging.from_aws(tag_reader(item[name_key]))
        except NotFoundError:  # deleted since the listing (another run's teardown, a sweeper): not there
            continue
        if _matches(tags, run_id):
            out.append(Found(kind, item[name_key], tags))
    return out
