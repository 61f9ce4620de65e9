"""Network interface, launch template and instance kinds on the moto server (and stubbed error paths)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from provisioning import tags as tagging
from provisioning.aws.client import ClientFactory
from provisioning.aws.compute import UserData, not_found_as_such, profile_retry
from provisioning.aws.instance_state import read_instances
from provisioning.aws.instances import instance_state, run_arguments
from provisioning.aws.kinds import REGISTRY, RunContext
from provisioning.errors import AwsError, DependencyError, NotFoundError, SetupError, WaitTimeout
from provisioning.plan import ResourceSpec
from tests.aws.bastion_parts import PARAM, Net, eni_params, lt_params, make_net


@pytest.fixture
def net(factory: ClientFactory, run_id: str) -> Iterator[Net]:
    with make_net(factory, run_id) as n:
        yield n


def test_eni_gets_the_fixed_ip_one_ipv6_no_source_dest_check_and_the_eip(net: Net) -> None:
    kind, s = REGISTRY["network_interface"], ResourceSpec("network_interface", "eni", "bastion", "t-eni")
    alloc = net.ec2.allocate_address(Domain="vpc")["AllocationId"]
    eni = kind.create(net.ctx, s, eni_params(net, eip=alloc))
    got = net.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert [p["PrivateIpAddress"] for p in got["PrivateIpAddresses"]] == ["10.10.0.100"]
    assert len(got["Ipv6Addresses"]) == 1 and got["SourceDestCheck"] is False and got["Association"]["PublicIp"]
    assert kind.find(net.ctx, s) == eni and (kind.tags(net.ctx, eni) or {})[tagging.SPEC_KEY] == "eni"
    kind.destroy(net.ctx, eni)  # EC2 ends the address's association with it
    assert kind.tags(net.ctx, eni) is None and kind.find(net.ctx, s) is None
    REGISTRY["elastic_ip"].destroy(net.ctx, alloc)  # the address is released after its interface went
    assert REGISTRY["elastic_ip"].tags(net.ctx, alloc) is None
    with pytest.raises(NotFoundError):
        kind.destroy(net.ctx, eni)


def test_an_eni_still_in_use_is_a_dependency_to_retry(factory: ClientFactory, run_id: str) -> None:
    ctx = RunContext(factory, run_id, "approved")
    with Stubber(factory.client("ec2")) as stub:
        stub.add_client_error("delete_network_interface", "InvalidNetworkInterface.InUse", "in use")
        with pytest.raises(DependencyError):
            REGISTRY["network_interface"].destroy(ctx, "eni-1")


def test_launch_template_resolves_the_image_and_holds_the_machine(net: Net) -> None:
    eni = REGISTRY["network_interface"].create(net.ctx, ResourceSpec("network_interface", "eni", "bastion", "t"),
                                               eni_params(net))
    kind, s = REGISTRY["launch_template"], ResourceSpec("launch_template", "lt", "bastion", "t-lt")
    lt = kind.create(net.ctx, s, lt_params(net, eni))
    data = net.ec2.describe_launch_template_versions(LaunchTemplateId=lt)["LaunchTemplateVersions"][0][
        "LaunchTemplateData"]
    ami = net.ctx.clients.client("ssm").get_parameter(Name=PARAM)["Parameter"]["Value"]
    assert data["ImageId"] == ami and data["InstanceType"] == "t4g.small"
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["BlockDeviceMappings"] == [{"DeviceName": "/dev/xvda", "Ebs": {
        "Encrypted": True, "DeleteOnTermination": True, "VolumeSize": 30, "VolumeType": "gp3"}}]
    assert data["NetworkInterfaces"][0]["NetworkInterfaceId"] == eni
    assert base64.b64decode(data["UserData"]).decode() == "#!/bin/bash\necho bastion\n"
    kinds = {t["ResourceType"]: tagging.from_aws(t["Tags"]) for t in data["TagSpecifications"]}
    assert kinds["instance"][tagging.SPEC_KEY] == "i" and kinds["volume"][tagging.RUN_ID_KEY] == net.ctx.run_id
    assert kind.find(net.ctx, s) == lt
    kind.destroy(net.ctx, lt)
    assert kind.tags(net.ctx, lt) is None
    with pytest.raises(NotFoundError):
        kind.destroy(net.ctx, lt)
    REGISTRY["network_interface"].destroy(net.ctx, eni)


def test_an_image_of_another_architecture_is_refused(net: Net) -> None:
    with pytest.raises(SetupError, match="expected arm64"):
        REGISTRY["launch_template"].create(net.ctx, ResourceSpec("launch_template", "lt", "bastion", "t"), lt_params(
            net, "eni-x", ami_parameter="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"))


def test_instance_launches_from_the_template_with_its_fields_and_terminates(net: Net) -> None:
    eni = REGISTRY["network_interface"].create(net.ctx, ResourceSpec("network_interface", "eni", "bastion", "t"),
                                               eni_params(net))
    lt = REGISTRY["launch_template"].create(net.ctx, ResourceSpec("launch_template", "lt", "bastion", "t"),
                                            lt_params(net, eni))
    kind, s = REGISTRY["instance"], ResourceSpec("instance", "i", "bastion", "t-bastion")
    iid = kind.create(net.ctx, s, {"launch_template": lt})
    i = net.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert i["State"]["Name"] == "running" and i["PrivateIpAddress"] == "10.10.0.100"
    assert i["MetadataOptions"]["HttpTokens"] == "required" and i["NetworkInterfaces"][0]["NetworkInterfaceId"] == eni
    assert tagging.from_aws(i["Tags"])[tagging.SPEC_KEY] == "i" and kind.find(net.ctx, s) == iid
    vol = net.ec2.describe_volumes(VolumeIds=[i["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]])["Volumes"][0]
    assert vol["Encrypted"] and vol["VolumeType"] == "gp3" and len(i["BlockDeviceMappings"]) == 1
    kind.destroy(net.ctx, iid)
    assert instance_state(net.ctx, iid) == "terminated" and kind.tags(net.ctx, iid) is None
    assert kind.find(net.ctx, s) is None
    with pytest.raises(NotFoundError):
        kind.destroy(net.ctx, iid)
    REGISTRY["launch_template"].destroy(net.ctx, lt)
    REGISTRY["network_interface"].destroy(net.ctx, eni)


def test_run_arguments_repeat_the_template_in_request_shape() -> None:
    data = {"NetworkInterfaces": [{"DeviceIndex": 0, "NetworkInterfaceId": "eni-1", "Ipv6Addresses": []}],
            "MetadataOptions": {"HttpTokens": "required", "State": "applied"},
            "IamInstanceProfile": {"Name": "p"},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True, "Throughput": None}}],
            "TagSpecifications": [{"ResourceType": "volume", "Tags": [{"Key": "a", "Value": "b"}]}]}
    assert run_arguments(data) == {
        "NetworkInterfaces": [{"DeviceIndex": 0, "NetworkInterfaceId": "eni-1"}],
        "MetadataOptions": {"HttpTokens": "required"}, "IamInstanceProfile": {"Name": "p"},
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True}}],
        "TagSpecifications": [{"ResourceType": "volume", "Tags": [{"Key": "a", "Value": "b"}]}]}


def test_user_data_prints_as_size_and_digest_only() -> None:
    ud = UserData("#!/bin/bash\nsecret-looking-text\n")
    assert "secret-looking-text" not in str(ud) and str(ud).startswith("<user-data 32 bytes sha256:")
    assert base64.b64decode(ud.b64).decode() == ud.text


def test_not_found_exception_codes_count_as_not_found() -> None:
    err = not_found_as_such(AwsError("DeleteLaunchTemplate", "InvalidLaunchTemplateId.NotFoundException", "gone"))
    assert isinstance(err, NotFoundError)
    other = AwsError("X", "UnauthorizedOperation", "no")
    assert not_found_as_such(other) is other


def _client_error(code: str, message: str) -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message}}, "RunInstances")


def test_profile_retry_waits_for_iam_and_not_for_other_errors() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _client_error("InvalidParameterValue", "Invalid IAM Instance Profile name")
        return "i-1"

    assert profile_retry("RunInstances", flaky, interval_s=0.01) == "i-1" and len(calls) == 3

    def denied() -> str:
        raise _client_error("UnauthorizedOperation", "no")

    with pytest.raises(AwsError, match="UnauthorizedOperation"):
        profile_retry("RunInstances", denied, interval_s=0.01)

    def never() -> str:
        raise _client_error("InvalidParameterValue", "Invalid IAM Instance Profile name")

    with pytest.raises(WaitTimeout, match="accepting the new instance profile"):
        profile_retry("RunInstances", never, timeout_s=0.05, interval_s=0.01)


def test_a_data_volume_is_a_second_encrypted_gp3_mapping_tagged_and_deleted_with_the_node(net: Net) -> None:
    eni = REGISTRY["network_interface"].create(net.ctx, ResourceSpec("network_interface", "eni", "talos", "t"),
                                               eni_params(net))
    lt = REGISTRY["launch_template"].create(net.ctx, ResourceSpec("launch_template", "lt", "talos", "t"),
                                            lt_params(net, eni, data_volume_gb=100, data_device="/dev/sdb"))
    data = net.ec2.describe_launch_template_versions(LaunchTemplateId=lt)["LaunchTemplateVersions"][0][
        "LaunchTemplateData"]
    assert data["BlockDeviceMappings"][1] == {"DeviceName": "/dev/sdb", "Ebs": {
        "Encrypted": True, "DeleteOnTermination": True, "VolumeSize": 100, "VolumeType": "gp3"}}
    iid = REGISTRY["instance"].create(net.ctx, ResourceSpec("instance", "i", "talos", "t"), {"launch_template": lt})
    i = net.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    (inst,) = [s for s in read_instances(net.ctx.clients, net.ctx.run_id, "talos") if s.id == iid] or [None]
    assert inst is not None and len(i["BlockDeviceMappings"]) == 2
    (vol,) = inst.data_volumes
    assert (vol.size_gib, vol.volume_type, vol.encrypted, vol.delete_on_termination) == (100, "gp3", True, True)
    assert vol.tags[tagging.RUN_ID_KEY] == net.ctx.run_id
    REGISTRY["instance"].destroy(net.ctx, iid)
    REGISTRY["launch_template"].destroy(net.ctx, lt)
    REGISTRY["network_interface"].destroy(net.ctx, eni)


def test_a_run_resolves_its_image_and_key_once_and_launches_from_the_template_it_made(net: Net) -> None:
    """Facts the run learned from its own calls are not asked again; a run that did not make the template reads it."""
    calls = net.ctx.clients.calls
    enis = [REGISTRY["network_interface"].create(net.ctx, ResourceSpec("network_interface", f"eni{n}", "talos", "t"),
                                                 eni_params(net, private_ip=f"10.10.0.{110 + n}")) for n in (1, 2)]
    before = dict(calls.counts)
    lts = [REGISTRY["launch_template"].create(net.ctx, ResourceSpec("launch_template", f"lt{n}", "talos", f"t{n}"),
                                              lt_params(net, eni, instance_key=f"i{n}"))
           for n, eni in zip((1, 2), enis, strict=True)]
    made = {k: n - before.get(k, 0) for k, n in calls.counts.items() if n != before.get(k, 0)}
    assert made == {"ssm:GetParameter": 1, "ec2:DescribeImages": 1, "ec2:CreateLaunchTemplate": 2}  # key: imported
    before = dict(calls.counts)
    reads = before.get("ec2:DescribeLaunchTemplateVersions", 0)
    mine = REGISTRY["instance"].create(net.ctx, ResourceSpec("instance", "i1", "talos", "t1"),
                                       {"launch_template": lts[0]})
    assert calls.counts["ec2:DescribeLaunchTemplateVersions"] == reads
    other = RunContext(net.ctx.clients, net.ctx.run_id, "approved")  # e.g. a --reuse run: it did not make lts[1]
    theirs = REGISTRY["instance"].create(other, ResourceSpec("instance", "i2", "talos", "t2"),
                                         {"launch_template": lts[1]})
    assert calls.counts["ec2:DescribeLaunchTemplateVersions"] == reads + 1
    for iid, eni in ((mine, enis[0]), (theirs, enis[1])):
        i = net.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        assert i["NetworkInterfaces"][0]["NetworkInterfaceId"] == eni
        assert i["MetadataOptions"]["HttpTokens"] == "required"
        assert i["KeyName"] == f"t-key-{net.ctx.run_id}"
    for iid in (mine, theirs):
        REGISTRY["instance"].destroy(net.ctx, iid)
    for lt in lts:
        REGISTRY["launch_template"].destroy(net.ctx, lt)
    for eni in enis:
        REGISTRY["network_interface"].destroy(net.ctx, eni)
