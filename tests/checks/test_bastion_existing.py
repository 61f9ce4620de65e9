"""--existing bastion checks hold a bastion built elsewhere to the design, and each can fail.

States are built by hand (what DescribeInstances / DescribeLaunchTemplateVersions return for a
Terraform-built bastion), so each check is shown passing on the design and failing on one change.
"""

from __future__ import annotations

from dataclasses import replace

from provisioning import profiles
from provisioning.aws.bastion_state import BastionState, InstanceState, TemplateState, TemplateVersion
from provisioning.checks import bastion as check
from provisioning.checks import bastion_existing as design
from provisioning.checks import bastion_launch as launch
from provisioning.data import load_data

AMI = load_data("bastion")["ami"]
CACHES = load_data("versions")["registry_caches"]
PLAIN = "ami-0plain"
ECS = "ami-0ecs"
IMAGES = {PLAIN: ("al2023-ami-2023.6.20250107.0-kernel-6.1-arm64", "arm64"),
          ECS: ("al2023-ami-ecs-hvm-2023.0.20250110-kernel-6.1-arm64", "arm64"),
          "ami-0x86": ("al2023-ami-2023.6.20250107.0-kernel-6.1-x86_64", "x86_64")}
USER_DATA = "\n".join(
    [f"docker run -d -p 10.10.0.100:{c['port']}:5000 -e REGISTRY_PROXY_REMOTEURL={c['remote']} registry:2"
     for c in CACHES]
    + ["python3 -m http.server 8081 --directory /srv/assets  # boot-to-talos", "systemctl enable --now dnsmasq",
       "sysctl -w net.ipv4.ip_forward=1", "iptables -t nat -A POSTROUTING -s 10.10.0.0/24 -j MASQUERADE"])


def instance(**changes: object) -> InstanceState:
    base = InstanceState(id="i-0bastion", state="running", subnet_id="subnet-1", private_ip="10.10.0.100",
                         instance_type="t4g.small", image_id=PLAIN, key_name="", http_tokens="required",
                         http_endpoint="enabled", profile_arn=None, root_device="/dev/xvda", volumes=(),
                         interfaces=(), user_data=USER_DATA, tags={"Name": "lab-bastion"})
    return replace(base, **changes)  # type: ignore[arg-type]


def version(**changes: object) -> TemplateVersion:
    base = TemplateVersion(number=1, labels=("$Default", "$Latest"), image_id=PLAIN, instance_type="t4g.small",
                           key_name="", http_tokens="required", profile=None, interfaces=(), volumes=(),
                           user_data=USER_DATA)
    return replace(base, **changes)  # type: ignore[arg-type]


def state(inst: InstanceState | None = None, ver: TemplateVersion | None = None, *, template: bool = True,
          key_pair: tuple[str, str, dict[str, str]] | None = None) -> BastionState:
    lt = TemplateState("lt-0lab", "lab-bastion", (ver or version(),), {}) if template else None
    return BastionState(planned_subnet=("subnet-1", "10.10.0.0/24", ()), ami_now=PLAIN, ami_recorded=PLAIN,
                        ami_architecture="arm64", eni=None, instance=inst or instance(), template=lt, group=None,
                        iam=None, key_pair=key_pair, eip=None)


def allowed(s: BastionState) -> list[str]:
    return design.image_allowed(s, IMAGES, AMI["existing_images"], AMI["ecs_optimised"], "arm64")


def test_any_al2023_arm64_image_passes_and_an_ecs_optimised_one_is_a_finding() -> None:
    assert allowed(state()) == []
    ecs = allowed(state(instance(image_id=ECS)))
    assert ecs == ["bastion instance i-0bastion: expected a plain Amazon Linux 2023 arm64 image, found the "
                   f"ECS-optimised {IMAGES[ECS][0]} ({ECS})"]
    x86 = allowed(state(ver=version(image_id="ami-0x86")))
    assert len(x86) == 1 and "found al2023-ami-2023.6.20250107.0-kernel-6.1-x86_64 (x86_64, ami-0x86)" in x86[0]
    assert "not an image EC2 describes" in allowed(state(instance(image_id="ami-0gone")))[0]


def test_one_user_data_for_instance_and_template() -> None:
    assert design.one_user_data(state()) == []
    differ = design.one_user_data(state(ver=version(user_data="#!/bin/bash\necho other\n")))
    assert len(differ) == 1 and "expected one user-data for the instance and its template, found 2" in differ[0]
    assert design.one_user_data(state(instance(user_data=""))) == [
        "bastion instance i-0bastion: expected user-data, found none"]


def test_the_real_user_data_starts_the_design_services() -> None:
    topo = profiles.load("approved")
    assert design.services_in_user_data(topo, USER_DATA, "here", CACHES, 8081) == []
    without = USER_DATA.replace("5052", "5099").replace("dnsmasq", "unbound")
    found = design.services_in_user_data(topo, without, "here", CACHES, 8081)
    assert found == ["here user-data: expected the quay.io cache on port 5052 pulling through quay.io, found no "
                     "such service", "here user-data: expected the DNS forwarder (dnsmasq) for the VPC, found none"]
    assert design.services_in_user_data(topo, "", "here", CACHES, 8081) == [
        "here: expected user-data that starts the bastion's services, found none"]


def test_forwarding_exactly_when_the_profile_makes_the_bastion_the_exit() -> None:
    approved, sandbox = profiles.load("approved"), profiles.load("sandbox-eu")
    assert design.forwarding_in_user_data(approved, USER_DATA, "here") == []
    assert design.forwarding_in_user_data(sandbox, "# no ip_forward, no MASQUERADE here\necho ok\n", "here") == []
    no_nat = USER_DATA.replace("MASQUERADE", "ACCEPT")
    assert design.forwarding_in_user_data(approved, no_nat, "here") == [
        "here user-data: expected a MASQUERADE rule (the bastion is the nodes' exit), found none"]
    assert design.forwarding_in_user_data(sandbox, USER_DATA, "here") == [
        "here user-data: expected no forwarding (the profile does not make the bastion the nodes' exit), found "
        "net.ipv4.ip_forward=1 and a MASQUERADE rule"]


def test_no_key_pair_and_no_key_name_agree_without_hiding_the_other_checks() -> None:
    topo = profiles.load("sandbox-eu")
    s = state(instance(subnet_id="subnet-1", instance_type="t4g.small"))
    assert check.placement(topo, s) == []  # KeyName absent ("") and no key pair found (None)
    with_key = state(instance(key_name="tf-key"))
    assert check.placement(topo, with_key) == [
        "bastion instance i-0bastion: expected key pair (the run key pair), found tf-key"]


def test_imdsv2_and_credits_without_the_optional_template_check_the_instance_only() -> None:
    topo = profiles.load("sandbox-eu")
    s = state(template=False)
    assert launch.imdsv2(s, template_required=False) == []
    assert launch.imdsv2(s) == ["bastion launch template: expected it to exist, found none"]
    optional = launch.imdsv2(state(instance(http_tokens="optional"), template=False), template_required=False)
    assert len(optional) == 1 and "found HttpTokens=optional" in optional[0]
    assert launch.cpu_credits(topo, s, template_required=False) == []


def test_iam_path_and_managed_policies_are_the_profile_s() -> None:
    from provisioning.aws.iam_state import IamState

    core = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    iam = IamState(role="tf-role", role_path="/", trusted=("ec2.amazonaws.com",), inline_actions={},
                   attached=(core,), profile="tf-instance-profile", profile_arn="arn:p", profile_path="/",
                   profile_roles=("tf-role",), role_tags={}, profile_tags={})
    s = replace(state(instance(profile_arn="arn:p"), template=False), iam=iam)
    actions = load_data("bastion")["iam"]["actions"]
    assert launch.instance_profile(s, actions, "/", (core,)) == []
    suite = launch.instance_profile(s, actions, "/tdg/")
    assert "role tf-role / profile tf-instance-profile: expected path /tdg/, found / / /" in suite
    assert f"role tf-role: expected no managed policies but [] (least privilege inline), found ['{core}']" in suite
