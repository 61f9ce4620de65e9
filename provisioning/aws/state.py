"""Read the network of a run back from the API into plain, typed snapshots (for the checks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioning import tags as tagging
from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call


@dataclass(frozen=True)
class SubnetState:
    id: str
    cidr: str
    az: str
    map_public_ipv4: bool
    ipv6_cidrs: tuple[str, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class RouteState:
    destination: str
    target: str


@dataclass(frozen=True)
class RouteTableState:
    id: str
    main: bool
    subnet_ids: tuple[str, ...]
    routes: tuple[RouteState, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class RuleState:
    """One ingress permission, flattened: protocol, ports and sources."""

    protocol: str
    from_port: int | None
    to_port: int | None
    ipv4: tuple[str, ...]
    ipv6: tuple[str, ...]
    groups: tuple[str, ...]

    def covers(self, port: int) -> bool:
        """True when the rule admits TCP traffic on port."""
        if self.protocol == "-1":
            return True
        if self.protocol not in ("tcp", "6"):
            return False
        return (self.from_port or 0) <= port <= (self.to_port if self.to_port is not None else 65535)


@dataclass(frozen=True)
class SecurityGroupState:
    id: str
    name: str
    ingress: tuple[RuleState, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class NetworkState:
    """The VPC of a run and what is in it, as the API reports it."""

    vpc_id: str
    cidr: str
    ipv6_cidrs: tuple[str, ...]
    tags: dict[str, str]
    subnets: tuple[SubnetState, ...]
    igw_attachments: dict[str, tuple[str, ...]]
    igw_tags: dict[str, dict[str, str]]
    route_tables: tuple[RouteTableState, ...]
    nat_gateways: dict[str, str]
    nat_tags: dict[str, dict[str, str]]
    security_groups: tuple[SecurityGroupState, ...]
    dhcp_dns: tuple[str, ...]
    dhcp_tags: dict[str, str]

    def by_key(self, key: str) -> Any:
        """The subnet, route table or security group tagged tdg:key=key, or None."""
        items: list[SubnetState | RouteTableState | SecurityGroupState] = [
            *self.subnets, *self.route_tables, *self.security_groups]
        for item in items:
            if item.tags.get(tagging.SPEC_KEY) == key:
                return item
        return None


def _rule(perm: dict[str, Any]) -> RuleState:
    return RuleState(
        protocol=str(perm.get("IpProtocol")), from_port=perm.get("FromPort"), to_port=perm.get("ToPort"),
        ipv4=tuple(r["CidrIp"] for r in perm.get("IpRanges", [])),
        ipv6=tuple(r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])),
        groups=tuple(g["GroupId"] for g in perm.get("UserIdGroupPairs", [])))


def _target(route: dict[str, Any]) -> str:
    for key in ("GatewayId", "NatGatewayId", "NetworkInterfaceId", "EgressOnlyInternetGatewayId", "InstanceId"):
        if route.get(key):
            return str(route[key])
    return "unknown"


def read_network(clients: ClientFactory, vpc_id: str) -> NetworkState:
    """Describe everything in vpc_id that the network checks look at."""
    ec2 = clients.client("ec2")
    vpc_filter = [{"Name": "vpc-id", "Values": [vpc_id]}]
    with aws_call("DescribeVpcs"):
        vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    with aws_call("DescribeSubnets"):
        subnets = ec2.describe_subnets(Filters=vpc_filter)["Subnets"]
    with aws_call("DescribeInternetGateways"):
        igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    with aws_call("DescribeRouteTables"):
        rts = ec2.describe_route_tables(Filters=vpc_filter)["RouteTables"]
    with aws_call("DescribeNatGateways"):
        nats = ec2.describe_nat_gateways(Filters=vpc_filter)["NatGateways"]
    with aws_call("DescribeSecurityGroups"):
        sgs = ec2.describe_security_groups(Filters=vpc_filter)["SecurityGroups"]
    dhcp_dns: tuple[str, ...] = ()
    dhcp_tags: dict[str, str] = {}
    if vpc.get("DhcpOptionsId") and vpc["DhcpOptionsId"] != "default":
        with aws_call("DescribeDhcpOptions"):
            dopt = ec2.describe_dhcp_options(DhcpOptionsIds=[vpc["DhcpOptionsId"]])["DhcpOptions"][0]
        dhcp_tags = tagging.from_aws(dopt.get("Tags"))
        for conf in dopt.get("DhcpConfigurations", []):
            if conf["Key"] == "domain-name-servers":
                dhcp_dns = tuple(v["Value"] for v in conf["Values"])
    return NetworkState(
        vpc_id=vpc_id, cidr=vpc["CidrBlock"], tags=tagging.from_aws(vpc.get("Tags")),
        ipv6_cidrs=tuple(a["Ipv6CidrBlock"] for a in vpc.get("Ipv6CidrBlockAssociationSet", [])
                         if a.get("Ipv6CidrBlockState", {}).get("State") == "associated"),
        subnets=tuple(SubnetState(
            id=s["SubnetId"], cidr=s["CidrBlock"], az=s["AvailabilityZone"],
            map_public_ipv4=bool(s.get("MapPublicIpOnLaunch")), tags=tagging.from_aws(s.get("Tags")),
            ipv6_cidrs=tuple(a["Ipv6CidrBlock"] for a in s.get("Ipv6CidrBlockAssociationSet", [])))
            for s in subnets),
        igw_attachments={g["InternetGatewayId"]: tuple(a["VpcId"] for a in g.get("Attachments", [])
                                                       if a.get("State") in ("available", "attached"))
                         for g in igws["InternetGateways"]},
        igw_tags={g["InternetGatewayId"]: tagging.from_aws(g.get("Tags")) for g in igws["InternetGateways"]},
        route_tables=tuple(RouteTableState(
            id=rt["RouteTableId"], main=any(a.get("Main") for a in rt.get("Associations", [])),
            subnet_ids=tuple(a["SubnetId"] for a in rt.get("Associations", []) if a.get("SubnetId")),
            routes=tuple(RouteState(r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock", ""),
                                    _target(r)) for r in rt.get("Routes", [])),
            tags=tagging.from_aws(rt.get("Tags"))) for rt in rts),
        nat_gateways={n["NatGatewayId"]: n["State"] for n in nats},
        nat_tags={n["NatGatewayId"]: tagging.from_aws(n.get("Tags")) for n in nats},
        security_groups=tuple(SecurityGroupState(
            id=g["GroupId"], name=g["GroupName"], tags=tagging.from_aws(g.get("Tags")),
            ingress=tuple(_rule(p) for p in g.get("IpPermissions", []))) for g in sgs),
        dhcp_dns=dhcp_dns, dhcp_tags=dhcp_tags,
    )
