"""Elastic IPs, NAT gateways and route tables: find by tag, create tagged, destroy."""

from __future__ import annotations

from typing import Any

from provisioning.aws.errors import aws_call
from provisioning.aws.kinds import Kind, RunContext, ec2_finder, ec2_tag_reader, register
from provisioning.errors import AwsError, NotFoundError
from provisioning.plan import ResourceSpec
from provisioning.waiting import wait_for

# --- elastic IP ------------------------------------------------------------------------------


def _create_eip(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    with aws_call("AllocateAddress"):
        return str(ctx.ec2.allocate_address(
            Domain="vpc", TagSpecifications=ctx.tag_spec("elastic-ip", spec))["AllocationId"])


def _destroy_eip(ctx: RunContext, rid: str) -> None:
    """Release the address; one EC2 still shows associated (InvalidIPAddress.InUse) is disassociated first.

    Its interface was deleted a tier earlier, which ends the association on EC2; an endpoint
    that keeps it refuses the release as EC2 does for an address in use in a VPC.
    """
    try:
        with aws_call("ReleaseAddress"):
            ctx.ec2.release_address(AllocationId=rid)
        return
    except AwsError as exc:
        if exc.code != "InvalidIPAddress.InUse":
            raise
    with aws_call("DescribeAddresses"):
        addresses = ctx.ec2.describe_addresses(AllocationIds=[rid])["Addresses"]
    for address in addresses:
        if address.get("AssociationId"):
            with aws_call("DisassociateAddress"):
                ctx.ec2.disassociate_address(AssociationId=address["AssociationId"])
    with aws_call("ReleaseAddress"):
        ctx.ec2.release_address(AllocationId=rid)


register(Kind("elastic_ip", ec2_finder("describe_addresses", "Addresses", "AllocationId", "elastic_ip"),
              _create_eip, _destroy_eip, ec2_tag_reader("describe_addresses", "AllocationIds", "Addresses")))


# --- NAT gateway -----------------------------------------------------------------------------

def nat_state(ctx: RunContext, rid: str) -> str:
    """State of a NAT gateway ('deleted' when AWS no longer knows it)."""
    try:
        with aws_call("DescribeNatGateways"):
            items = ctx.ec2.describe_nat_gateways(NatGatewayIds=[rid])["NatGateways"]
    except NotFoundError:
        return "deleted"
    return str(items[0]["State"]) if items else "deleted"


def _find_nat(ctx: RunContext, spec: ResourceSpec) -> str | None:
    rid = ec2_finder("describe_nat_gateways", "NatGateways", "NatGatewayId", "nat_gateway")(ctx, spec)
    return rid if rid and nat_state(ctx, rid) in ("pending", "available") else None


def _create_nat(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    with aws_call("CreateNatGateway"):
        rid = str(ctx.ec2.create_nat_gateway(SubnetId=p["subnet"], AllocationId=p["eip"],
                                             TagSpecifications=ctx.tag_spec("natgateway", spec))
                  ["NatGateway"]["NatGatewayId"])
    wait_for(f"NAT gateway {rid} available", lambda: nat_state(ctx, rid) == "available",
             timeout_s=600, interval_s=10)
    return rid


def _destroy_nat(ctx: RunContext, rid: str) -> None:
    if nat_state(ctx, rid) == "deleted":
        raise NotFoundError("DeleteNatGateway", "NatGatewayNotFound", f"{rid} is already deleted")
    with aws_call("DeleteNatGateway"):
        ctx.ec2.delete_nat_gateway(NatGatewayId=rid)
    wait_for(f"NAT gateway {rid} deleted", lambda: nat_state(ctx, rid) == "deleted", timeout_s=600, interval_s=10)


def _nat_tags(ctx: RunContext, rid: str) -> dict[str, str] | None:
    if nat_state(ctx, rid) == "deleted":
        return None
    return ec2_tag_reader("describe_nat_gateways", "NatGatewayIds", "NatGateways")(ctx, rid)


register(Kind("nat_gateway", _find_nat, _create_nat, _destroy_nat, _nat_tags))


# --- route table -----------------------------------------------------------------------------

def _route_target(route: dict[str, Any]) -> dict[str, str]:
    if "nat_gateway" in route:
        return {"NatGatewayId": route["nat_gateway"]}
    if "network_interface" in route:
        return {"NetworkInterfaceId": route["network_interface"]}
    return {"GatewayId": route["gateway"]}


def _create_rt(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    with aws_call("CreateRouteTable"):
        rt = str(ctx.ec2.create_route_table(VpcId=p["vpc"], TagSpecifications=ctx.tag_spec("route-table", spec))
                 ["RouteTable"]["RouteTableId"])
    for route in p["routes"]:
        dest = route["destination"]
        key = "DestinationIpv6CidrBlock" if ":" in dest else "DestinationCidrBlock"
        with aws_call("CreateRoute"):
            ctx.ec2.create_route(RouteTableId=rt, **{key: dest}, **_route_target(route))
    with aws_call("AssociateRouteTable"):
        ctx.ec2.associate_route_table(RouteTableId=rt, SubnetId=p["subnet"])
    return rt


def _destroy_rt(ctx: RunContext, rid: str) -> None:
    with aws_call("DescribeRouteTables"):
        rt = ctx.ec2.describe_route_tables(RouteTableIds=[rid])["RouteTables"][0]
    for assoc in rt.get("Associations", []):
        if not assoc.get("Main"):
            with aws_call("DisassociateRouteTable"):
                ctx.ec2.disassociate_route_table(AssociationId=assoc["RouteTableAssociationId"])
    with aws_call("DeleteRouteTable"):
        ctx.ec2.delete_route_table(RouteTableId=rid)


register(Kind("route_table", ec2_finder("describe_route_tables", "RouteTables", "RouteTableId", "route_table"),
              _create_rt, _destroy_rt, ec2_tag_reader("describe_route_tables", "RouteTableIds", "RouteTables")))
