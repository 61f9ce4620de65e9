"""Read Talos nodes built elsewhere (--existing): the instances found at the planned addresses, and any other.

Read-only. The instances discovery found (plan key -> id) come back with found_as set to
their plan key, so the node checks pair them with the planned nodes as they pair a run's own
instances by tag. Every other live instance of the VPC that carries the nodes' security group
(apart from the bastion) comes back with found_as "": a node at an address no node plans.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call
from provisioning.aws.instance_state import GONE, InstanceState, _instance, describe_volumes


def read_existing_nodes(clients: ClientFactory, found: Mapping[str, str], vpc: str, node_group: str | None,
                        bastion_ip: str) -> tuple[InstanceState, ...]:
    """The found instances (ordered by plan key), then the others in node_group, as the API reports them now.

    The others are found through their interfaces (an instance launched on an existing interface
    carries the interface's groups, which DescribeInstances' group filter does not always see).
    """
    ec2 = clients.client("ec2")
    by_id = {iid: key for key, iid in found.items()}
    wanted = set(by_id)
    if node_group:
        with aws_call("DescribeNetworkInterfaces"):
            enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                            {"Name": "group-id", "Values": [node_group]}])
        wanted |= {str(e["Attachment"]["InstanceId"]) for e in enis["NetworkInterfaces"]
                   if (e.get("Attachment") or {}).get("InstanceId")}
    if not wanted:
        return ()
    with aws_call("DescribeInstances"):
        items = [i for r in ec2.describe_instances(InstanceIds=sorted(wanted))["Reservations"] for i in r["Instances"]]
    live = [i for i in items if i["State"]["Name"] not in GONE and i.get("PrivateIpAddress") != bastion_ip]
    volumes = describe_volumes(ec2, live)  # one call for every node's disks
    states = [replace(_instance(ec2, i, volumes), found_as=by_id.get(str(i["InstanceId"]), "")) for i in live]
    return tuple(sorted(states, key=lambda s: (s.found_as == "", s.found_as, s.private_ip)))
