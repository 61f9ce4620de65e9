"""Network interfaces and launch templates: find by tag, create tagged, destroy; the helpers machines share.

A launch template is the one description of a machine (image from a public SSM parameter,
type, IMDS, root volume, network interface, instance profile, user-data). Instances are
launched from it by provisioning/aws/instances.py.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from provisioning import tags as tagging
from provisioning.aws.errors import aws_call
from provisioning.aws.identity import key_name
from provisioning.aws.kinds import Kind, RunContext, first_id, register
from provisioning.errors import AwsError, DependencyError, NotFoundError, SetupError
from provisioning.plan import ResourceSpec
from provisioning.waiting import wait_for

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class UserData:
    """User-data text in a plan; printed as its size and digest, never as the script."""

    text: str

    def __str__(self) -> str:
        digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:12]
        return f"<user-data {len(self.text.encode('utf-8'))} bytes sha256:{digest}>"

    @property
    def b64(self) -> str:
        return base64.b64encode(self.text.encode("utf-8")).decode("ascii")


def not_found_as_such(exc: AwsError) -> AwsError:
    """EC2 spells some not-found codes '...NotFoundException': make them NotFoundError too."""
    if "NotFound" in exc.code and not isinstance(exc, NotFoundError):
        return NotFoundError(exc.operation, exc.code, str(exc))
    return exc


def checked_call(op: str, fn: Callable[[], T]) -> T:
    """Run fn as AWS operation op; EC2's '...NotFoundException' codes become NotFoundError too."""
    try:
        with aws_call(op):
            return fn()
    except AwsError as exc:
        raise not_found_as_such(exc) from exc


def tag_finder(op: str, list_key: str, id_key: str, kind: str, *, tag_field: str = "Tags",
                extra: list[dict[str, Any]] | None = None) -> Callable[[RunContext, ResourceSpec], str | None]:
    """Like kinds.ec2_finder, for lists whose tags sit under another field (ENIs: TagSet)."""
    def find(ctx: RunContext, spec: ResourceSpec) -> str | None:
        filters = [*tagging.run_filters(ctx.run_id, spec.key), *(extra or [])]
        items = checked_call(op, lambda: getattr(ctx.ec2, op)(Filters=filters)[list_key])
        if list_key == "Reservations":
            items = [i for r in items for i in r["Instances"]]
        items = [i for i in items if tagging.is_ours(tagging.from_aws(i.get(tag_field)), ctx.run_id)
                 and tagging.from_aws(i.get(tag_field)).get(tagging.SPEC_KEY) == spec.key]
        return first_id(items, id_key, kind, spec.key)
    return find


# --- network interface -----------------------------------------------------------------------

def _create_eni(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    args: dict[str, Any] = {"SubnetId": p["subnet"], "PrivateIpAddress": p["private_ip"], "Groups": list(p["groups"]),
                            "Description": p.get("description", spec.name),
                            "TagSpecifications": ctx.tag_spec("network-interface", spec)}
    if p.get("ipv6_count"):
        args["Ipv6AddressCount"] = int(p["ipv6_count"])
    with aws_call("CreateNetworkInterface"):
        eni = str(ctx.ec2.create_network_interface(**args)["NetworkInterface"]["NetworkInterfaceId"])
    if p.get("source_dest_check") is False:
        with aws_call("ModifyNetworkInterfaceAttribute"):
            ctx.ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, SourceDestCheck={"Value": False})
    if p.get("eip"):
        with aws_call("AssociateAddress"):
            ctx.ec2.associate_address(AllocationId=p["eip"], NetworkInterfaceId=eni, PrivateIpAddress=p["private_ip"])
    return eni


def _eni_tags(ctx: RunContext, rid: str) -> dict[str, str] | None:
    try:
        items = checked_call("DescribeNetworkInterfaces",
                      lambda: ctx.ec2.describe_network_interfaces(NetworkInterfaceIds=[rid])["NetworkInterfaces"])
    except NotFoundError:
        return None
    return tagging.from_aws(items[0].get("TagSet")) if items else None


def _destroy_eni(ctx: RunContext, rid: str) -> None:
    """Delete the interface; an Elastic IP associated with it is let go by EC2 with it (routing's
    _destroy_eip disassociates what an endpoint still shows as associated)."""
    try:
        with aws_call("DeleteNetworkInterface"):
            ctx.ec2.delete_network_interface(NetworkInterfaceId=rid)
    except AwsError as exc:
        if exc.code == "InvalidNetworkInterface.InUse":  # its instance is still terminating: retry
            raise DependencyError(exc.operation, exc.code, str(exc)) from exc
        raise not_found_as_such(exc) from exc


register(Kind("network_interface", tag_finder("describe_network_interfaces", "NetworkInterfaces",
                                               "NetworkInterfaceId", "network_interface", tag_field="TagSet"),
              _create_eni, _destroy_eni, _eni_tags))


# --- launch template -------------------------------------------------------------------------

def resolve_image(ctx: RunContext, parameter: str, architecture: str) -> tuple[str, str]:
    """Return (AMI id, root device name) that the public SSM parameter names; check its architecture.

    Asked once per run and parameter: every machine the run builds from one parameter runs the
    same image, even when a new release moves the parameter while the run launches.
    """
    return ctx.memo.get(("image", parameter, architecture), lambda: _resolve_image(ctx, parameter, architecture))


def _resolve_image(ctx: RunContext, parameter: str, architecture: str) -> tuple[str, str]:
    with aws_call("GetParameter"):
        ami = str(ctx.clients.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"])
    with aws_call("DescribeImages"):
        images = ctx.ec2.describe_images(ImageIds=[ami])["Images"]
    if not images:
        raise SetupError(f"{parameter} names {ami}, which DescribeImages does not know")
    if images[0].get("Architecture") != architecture:
        raise SetupError(f"{parameter} names {ami} ({images[0].get('Architecture')}), expected {architecture}")
    return ami, str(images[0].get("RootDeviceName") or "/dev/xvda")


def launch_data(p: dict[str, Any], ami: str, root_device: str, key: str, tags: list[dict[str, Any]]) -> dict[str, Any]:
    """The LaunchTemplateData of a machine (pure; p are the resolved spec params)."""
    data: dict[str, Any] = {
        "ImageId": ami, "InstanceType": p["instance_type"], "KeyName": key,
        "MetadataOptions": dict(p["metadata_options"]),
        "BlockDeviceMappings": [{"DeviceName": root_device, "Ebs": {
            "VolumeSize": int(p["root_volume_gb"]), "VolumeType": p["volume_type"], "Encrypted": bool(p["encrypted"]),
            "DeleteOnTermination": True}}],
        "NetworkInterfaces": [{"DeviceIndex": 0, "NetworkInterfaceId": p["network_interface"]}],
        "UserData": p["user_data"].b64,
        "TagSpecifications": tags,
    }
    if int(p.get("data_volume_gb") or 0) > 0:  # the node's raw data disk (LINSTOR): encrypted, gone with the node
        data["BlockDeviceMappings"].append({"DeviceName": p["data_device"], "Ebs": {
            "VolumeSize": int(p["data_volume_gb"]), "VolumeType": p["volume_type"], "Encrypted": bool(p["encrypted"]),
            "DeleteOnTermination": True}})
    if p.get("instance_profile"):
        data["IamInstanceProfile"] = {"Name": p["instance_profile"]}
    if p.get("cpu_credits"):  # burstable types only; without it EC2 launches T4g as unlimited
        data["CreditSpecification"] = {"CpuCredits": p["cpu_credits"]}
    return data


def _create_lt(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    ami, root = resolve_image(ctx, p["ami_parameter"], p["architecture"])
    instance = ResourceSpec("instance", p["instance_key"], spec.phase, p["instance_name"])
    volume = ResourceSpec("volume", p["volume_key"], spec.phase, f"{p['instance_name']}-root")
    tags = [ctx.tag_spec("instance", instance)[0], ctx.tag_spec("volume", volume)[0]]
    data = launch_data(p, ami, root, key_name(ctx, p["key_pair"]), tags)
    log.info("launch template %s: %s (%s), %s", spec.name, ami, p["ami_parameter"], p["instance_type"])
    lt = profile_retry("CreateLaunchTemplate", lambda: str(ctx.ec2.create_launch_template(
        LaunchTemplateName=f"{spec.name}-{ctx.run_id}", LaunchTemplateData=data,
        TagSpecifications=ctx.tag_spec("launch-template", spec))["LaunchTemplate"]["LaunchTemplateId"]))
    ctx.memo.put(("template", lt), data)  # version 1, the default: what instances._create_instance launches from
    return lt


def _lt_tags(ctx: RunContext, rid: str) -> dict[str, str] | None:
    try:
        items = checked_call("DescribeLaunchTemplates",
                      lambda: ctx.ec2.describe_launch_templates(LaunchTemplateIds=[rid])["LaunchTemplates"])
    except NotFoundError:
        return None
    return tagging.from_aws(items[0].get("Tags")) if items else None


def _destroy_lt(ctx: RunContext, rid: str) -> None:
    checked_call("DeleteLaunchTemplate", lambda: ctx.ec2.delete_launch_template(LaunchTemplateId=rid))
    ctx.memo.forget(("template", rid))


register(Kind("launch_template", tag_finder("describe_launch_templates", "LaunchTemplates", "LaunchTemplateId",
                                             "launch_template"), _create_lt, _destroy_lt, _lt_tags))


def template_version(ctx: RunContext, template_id: str, version: str = "$Default") -> dict[str, Any]:
    """One version's LaunchTemplateData as EC2 returns it."""
    versions = checked_call("DescribeLaunchTemplateVersions", lambda: ctx.ec2.describe_launch_template_versions(
        LaunchTemplateId=template_id, Versions=[version])["LaunchTemplateVersions"])
    if not versions:
        raise NotFoundError("DescribeLaunchTemplateVersions", "NotFound", f"{template_id} has no version {version}")
    return dict(versions[0]["LaunchTemplateData"])


def profile_not_yet_usable(exc: AwsError) -> bool:
    """True for the answer EC2 (InvalidParameterValue) and Auto Scaling (ValidationError) give while a new
    instance profile has not reached them: "... Invalid IAM Instance Profile name" (or ARN)."""
    return (exc.code in ("InvalidParameterValue", "ValidationError")
            and "invalid iam instance profile" in str(exc).lower())


def profile_retry(op: str, call: Callable[[], T], timeout_s: float = 120, interval_s: float = 1) -> T:
    """Run call, retrying while EC2 does not see a new instance profile yet (IAM is eventually consistent)."""
    def attempt() -> tuple[T | None, AwsError | None]:
        try:
            with aws_call(op):
                return call(), None
        except AwsError as exc:
            if profile_not_yet_usable(exc):
                raise  # wait_for retries this one
            return None, exc
    result, error = wait_for(f"{op} accepting the new instance profile", attempt, timeout_s=timeout_s,
                             interval_s=interval_s, first_interval_s=interval_s / 10)
    if error is not None:
        raise not_found_as_such(error)
    return result  # type: ignore[return-value]
