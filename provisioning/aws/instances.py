"""Instances: launched from their launch template, found by tag, terminated together.

An instance is handed the template's network interfaces, metadata options, instance profile
and block devices again as RunInstances arguments: AWS takes them from either, moto only from
the arguments (shared/facts/tooling-facts.md §3). Teardown starts terminating every instance,
then waits for all of them with one DescribeInstances per poll.
"""

from __future__ import annotations

from typing import Any

from provisioning import tags as tagging
from provisioning.aws.compute import checked_call, profile_retry, tag_finder, template_version
from provisioning.aws.kinds import Kind, RunContext, register
from provisioning.errors import NotFoundError, SetupError
from provisioning.plan import ResourceSpec
from provisioning.waiting import wait_for

LIVE_STATES = ("pending", "running", "stopping", "stopped")
UNKNOWN = "unknown"
METADATA_KEYS = ("HttpTokens", "HttpPutResponseHopLimit", "HttpEndpoint", "HttpProtocolIpv6", "InstanceMetadataTags")
EBS_KEYS = ("VolumeSize", "VolumeType", "Encrypted", "DeleteOnTermination", "Iops", "Throughput", "KmsKeyId",
            "SnapshotId")
NIC_KEYS = ("DeviceIndex", "NetworkInterfaceId", "SubnetId", "PrivateIpAddress", "Groups", "Ipv6AddressCount",
            "AssociatePublicIpAddress", "DeleteOnTermination", "Description")


def run_arguments(data: dict[str, Any]) -> dict[str, Any]:
    """The template fields moto does not apply at launch, in RunInstances' request shape."""
    args: dict[str, Any] = {}
    if data.get("NetworkInterfaces"):
        args["NetworkInterfaces"] = [{k: n[k] for k in NIC_KEYS if n.get(k) not in (None, [])}
                                     for n in data["NetworkInterfaces"]]
    if data.get("MetadataOptions"):
        args["MetadataOptions"] = {k: data["MetadataOptions"][k] for k in METADATA_KEYS if k in data["MetadataOptions"]}
    profile = data.get("IamInstanceProfile") or {}
    if profile.get("Arn") or profile.get("Name"):
        args["IamInstanceProfile"] = {"Arn": profile["Arn"]} if profile.get("Arn") else {"Name": profile["Name"]}
    if data.get("BlockDeviceMappings"):
        args["BlockDeviceMappings"] = [
            {"DeviceName": m["DeviceName"], "Ebs": {k: m["Ebs"][k] for k in EBS_KEYS if m["Ebs"].get(k) is not None}}
            for m in data["BlockDeviceMappings"] if "Ebs" in m]
    if data.get("TagSpecifications"):
        args["TagSpecifications"] = [{"ResourceType": t["ResourceType"], "Tags": t["Tags"]}
                                     for t in data["TagSpecifications"]]
    return args


def instance_state(ctx: RunContext, rid: str) -> str:
    """State name of an instance, or UNKNOWN when EC2 does not show it.

    Never "terminated" for NotFound: right after RunInstances EC2 may not show the instance yet
    (eventual consistency), and an instance taken for terminated would be dropped from the
    ledger while it runs.
    """
    try:
        items = checked_call("DescribeInstances", lambda: ctx.ec2.describe_instances(InstanceIds=[rid])["Reservations"])
    except NotFoundError:
        return UNKNOWN
    found = [i for r in items for i in r["Instances"] if i["InstanceId"] == rid]
    return str(found[0]["State"]["Name"]) if found else UNKNOWN


def _create_instance(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    """Launch from the template; its data as this run created it, else as EC2 returns its default version."""
    lt = p["launch_template"]
    data = ctx.memo.peek(("template", lt))
    args = run_arguments(data if data is not None else template_version(ctx, lt))
    args.update(LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Default"}, MinCount=1, MaxCount=1)
    args["TagSpecifications"] = [t for t in args.get("TagSpecifications", []) if t["ResourceType"] != "instance"]
    args["TagSpecifications"].append(ctx.tag_spec("instance", spec)[0])
    rid = profile_retry("RunInstances", lambda: str(ctx.ec2.run_instances(**args)["Instances"][0]["InstanceId"]))
    wait_for(f"instance {rid} ({spec.name}) running", lambda: instance_state(ctx, rid) == "running",
             timeout_s=600, interval_s=5)
    return rid


def _instance_tags(ctx: RunContext, rid: str) -> dict[str, str] | None:
    try:
        items = checked_call("DescribeInstances", lambda: ctx.ec2.describe_instances(InstanceIds=[rid])["Reservations"])
    except NotFoundError as exc:  # unknown, not gone: keep it in the ledger (the sweeper finds it by tag)
        raise SetupError(f"instance {rid} is not shown by EC2 ({exc.code}); its state is unknown, so it is not "
                         "taken for terminated and stays in the ledger") from exc
    found = [i for r in items for i in r["Instances"] if i["InstanceId"] == rid]
    if not found or found[0]["State"]["Name"] == "terminated":
        return None
    return tagging.from_aws(found[0].get("Tags"))


def _terminate(ctx: RunContext, rid: str) -> None:
    """Start terminating rid (the teardown waits for every instance at once: _wait_terminated)."""
    checked_call("TerminateInstances", lambda: ctx.ec2.terminate_instances(InstanceIds=[rid]))


def _states(ctx: RunContext, rids: list[str]) -> dict[str, str]:
    """Instance id -> state name for rids, in one DescribeInstances call (absent: not shown yet)."""
    try:
        items = checked_call("DescribeInstances", lambda: ctx.ec2.describe_instances(InstanceIds=rids)["Reservations"])
    except NotFoundError:  # one of them not visible yet (eventual consistency): ask again
        return {}
    return {str(i["InstanceId"]): str(i["State"]["Name"]) for r in items for i in r["Instances"]}


def _wait_terminated(ctx: RunContext, rids: list[str]) -> None:
    """Wait until every instance in rids is terminated, asking about all of them in each poll."""
    if not rids:
        return
    def all_terminated() -> bool:
        states = _states(ctx, rids)  # one call for every instance
        return all(states.get(r) == "terminated" for r in rids)

    wait_for(f"instances {', '.join(rids)} terminated", all_terminated, timeout_s=900, interval_s=5)


def _destroy_instance(ctx: RunContext, rid: str) -> None:
    if instance_state(ctx, rid) == "terminated":
        raise NotFoundError("TerminateInstances", "InvalidInstanceID.NotFound", f"{rid} is already terminated")
    _terminate(ctx, rid)
    _wait_terminated(ctx, [rid])


register(Kind("instance", tag_finder("describe_instances", "Reservations", "InstanceId", "instance",
                                      extra=[{"Name": "instance-state-name", "Values": list(LIVE_STATES)}]),
              _create_instance, _destroy_instance, _instance_tags, begin=_terminate, settle=_wait_terminated))
