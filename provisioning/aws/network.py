"""VPC, subnets, internet gateway and DHCP options: find by tag, create tagged, destroy."""

from __future__ import annotations

import ipaddress
from typing import Any

from provisioning.aws.errors import aws_call
from provisioning.aws.kinds import Kind, RunContext, ec2_finder, ec2_tag_reader, register
from provisioning.errors import SetupError
from provisioning.plan import ResourceSpec
from provisioning.waiting import wait_for

# --- VPC -------------------------------------------------------------------------------------

def _associated_block(vpc: dict[str, Any]) -> str | None:
    for assoc in vpc.get("Ipv6CidrBlockAssociationSet", []):
        if assoc.get("Ipv6CidrBlockState", {}).get("State") == "associated":
            return str(assoc["Ipv6CidrBlock"])
    return None


def vpc_ipv6_block(ctx: RunContext, vpc_id: str) -> str | None:
    """The VPC's associated Amazon IPv6 block, or None."""
    with aws_call("DescribeVpcs"):
        vpc = ctx.ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    return _associated_block(vpc)


def _create_vpc(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    """Create the VPC; wait until it is available and (ipv6) its Amazon block associated, unless CreateVpc
    already says so (EC2 usually answers pending / associating: then DescribeVpcs is polled)."""
    with aws_call("CreateVpc"):
        vpc = ctx.ec2.create_vpc(CidrBlock=p["cidr"], AmazonProvidedIpv6CidrBlock=bool(p["ipv6"]),
                                 TagSpecifications=ctx.tag_spec("vpc", spec))["Vpc"]
        vpc_id = str(vpc["VpcId"])
        if vpc.get("State") != "available":
            ctx.ec2.get_waiter("vpc_available").wait(VpcIds=[vpc_id], WaiterConfig={"Delay": 2, "MaxAttempts": 60})
        ctx.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    if p["ipv6"]:
        block = _associated_block(vpc) or wait_for(f"IPv6 block of {vpc_id}", lambda: vpc_ipv6_block(ctx, vpc_id),
                                                   timeout_s=120, interval_s=2)
        ctx.memo.put(("ipv6_block", vpc_id), block)  # an associated block stays the VPC's: the subnets use it
    return vpc_id


def _destroy_vpc(ctx: RunContext, rid: str) -> None:
    with aws_call("DeleteVpc"):
        ctx.ec2.delete_vpc(VpcId=rid)


register(Kind("vpc", ec2_finder("describe_vpcs", "Vpcs", "VpcId", "vpc"), _create_vpc, _destroy_vpc,
              ec2_tag_reader("describe_vpcs", "VpcIds", "Vpcs")))


# --- subnet ----------------------------------------------------------------------------------

def _create_subnet(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    args: dict[str, Any] = {"VpcId": p["vpc"], "CidrBlock": p["cidr"], "AvailabilityZone": p["az"],
                            "TagSpecifications": ctx.tag_spec("subnet", spec)}
    if p.get("ipv6_index") is not None:
        block = ctx.memo.get(("ipv6_block", p["vpc"]), lambda: vpc_ipv6_block(ctx, p["vpc"]))
        if block is None:
            raise SetupError(f"subnet {spec.name} wants IPv6 but VPC {p['vpc']} has no IPv6 block")
        net = ipaddress.IPv6Network(block)
        args["Ipv6CidrBlock"] = str(list(net.subnets(new_prefix=64))[p["ipv6_index"]])
    with aws_call("CreateSubnet"):
        sid = str(ctx.ec2.create_subnet(**args)["Subnet"]["SubnetId"])
        ctx.ec2.modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": bool(p["map_public_ipv4"])})
        if "Ipv6CidrBlock" in args:
            ctx.ec2.modify_subnet_attribute(SubnetId=sid, AssignIpv6AddressOnCreation={"Value": True})
    return sid


def _destroy_subnet(ctx: RunContext, rid: str) -> None:
    with aws_call("DeleteSubnet"):
        ctx.ec2.delete_subnet(SubnetId=rid)


register(Kind("subnet", ec2_finder("describe_subnets", "Subnets", "SubnetId", "subnet"), _create_subnet,
              _destroy_subnet, ec2_tag_reader("describe_subnets", "SubnetIds", "Subnets")))


# --- internet gateway ------------------------------------------------------------------------

def _create_igw(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    with aws_call("CreateInternetGateway"):
        igw = str(ctx.ec2.create_internet_gateway(
            TagSpecifications=ctx.tag_spec("internet-gateway", spec))["InternetGateway"]["InternetGatewayId"])
        ctx.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=p["vpc"])
    return igw


def _destroy_igw(ctx: RunContext, rid: str) -> None:
    with aws_call("DescribeInternetGateways"):
        igw = ctx.ec2.describe_internet_gateways(InternetGatewayIds=[rid])["InternetGateways"][0]
    for att in igw.get("Attachments", []):
        with aws_call("DetachInternetGateway"):
            ctx.ec2.detach_internet_gateway(InternetGatewayId=rid, VpcId=att["VpcId"])
    with aws_call("DeleteInternetGateway"):
        ctx.ec2.delete_internet_gateway(InternetGatewayId=rid)


register(Kind("internet_gateway", ec2_finder("describe_internet_gateways", "InternetGateways", "InternetGatewayId",
                                        "internet_gateway"), _create_igw, _destroy_igw,
              ec2_tag_reader("describe_internet_gateways", "InternetGatewayIds", "InternetGateways")))


# --- DHCP options ----------------------------------------------------------------------------

def _create_dhcp(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    with aws_call("CreateDhcpOptions"):
        did = str(ctx.ec2.create_dhcp_options(
            DhcpConfigurations=[{"Key": "domain-name-servers", "Values": list(p["domain_name_servers"])}],
            TagSpecifications=ctx.tag_spec("dhcp-options", spec))["DhcpOptions"]["DhcpOptionsId"])
        # moto 5.2.5 drops TagSpecifications on DHCP options; tagging again is harmless on AWS.
        ctx.ec2.create_tags(Resources=[did], Tags=ctx.tag_spec("dhcp-options", spec)[0]["Tags"])
        ctx.ec2.associate_dhcp_options(DhcpOptionsId=did, VpcId=p["vpc"])
    return did


def _destroy_dhcp(ctx: RunContext, rid: str) -> None:
    with aws_call("DescribeVpcs"):
        vpcs = ctx.ec2.describe_vpcs(Filters=[{"Name": "dhcp-options-id", "Values": [rid]}])["Vpcs"]
    for vpc in vpcs:
        with aws_call("AssociateDhcpOptions"):
            ctx.ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc["VpcId"])
    with aws_call("DeleteDhcpOptions"):
        ctx.ec2.delete_dhcp_options(DhcpOptionsId=rid)


register(Kind("dhcp_options", ec2_finder("describe_dhcp_options", "DhcpOptions", "DhcpOptionsId", "dhcp_options"),
              _create_dhcp, _destroy_dhcp, ec2_tag_reader("describe_dhcp_options", "DhcpOptionsIds", "DhcpOptions")))
