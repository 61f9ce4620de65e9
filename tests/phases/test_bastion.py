"""The bastion plan: what each profile launches, in which order, and what it refuses."""

from __future__ import annotations

import io
from argparse import Namespace
from contextlib import redirect_stdout
from dataclasses import replace

import pytest

from provisioning import profiles
from provisioning.aws.compute import UserData
from provisioning.commands import plan as plan_command
from provisioning.errors import ProfileError
from provisioning.phases import bastion
from provisioning.plan import Ref, plan
from provisioning.topology import Schedule


def by_key(specs):  # type: ignore[no-untyped-def]
    return {s.key: s for s in specs}


def test_approved_runs_one_instance_with_an_elastic_ip() -> None:
    specs = bastion.specs(profiles.load("approved"))
    assert [s.kind for s in specs] == ["key_pair", "iam_role", "instance_profile", "elastic_ip", "network_interface",
                                       "launch_template", "instance"]
    eni = by_key(specs)[bastion.ENI].params
    assert eni["private_ip"] == "10.10.0.100" and eni["ipv6_count"] == 1 and eni["source_dest_check"] is False
    assert eni["subnet"] == Ref("subnet-public") and eni["groups"] == [Ref("sg-bastion")]
    assert eni["eip"] == Ref("bastion-eip")


def test_homelab_runs_a_scheduled_group_without_public_ipv4() -> None:
    specs = by_key(bastion.specs(profiles.load("homelab-replica")))
    assert bastion.EIP not in specs and bastion.INSTANCE not in specs
    assert specs[bastion.ENI].params["eip"] is None and specs[bastion.ENI].params["private_ip"] == "10.20.13.140"
    group = specs[bastion.GROUP].params
    assert (group["min"], group["max"], group["desired"]) == (0, 1, 1) and group["subnets"] == [Ref("subnet-private")]
    actions = specs[bastion.SCHEDULE].params["actions"]
    assert [(a["recurrence"], a["desired"]) for a in actions] == [("0 12 * * *", 1), ("0 17 * * *", 0)]
    assert specs[bastion.SCHEDULE].params["time_zone"] == "Etc/UTC"


def test_the_launch_template_names_the_parameter_not_an_ami() -> None:
    lt = by_key(bastion.specs(profiles.load("approved")))[bastion.TEMPLATE].params
    assert lt["ami_parameter"] == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    assert not any(str(v).startswith("ami-") for v in lt.values())
    assert lt["metadata_options"]["HttpTokens"] == "required"
    assert (lt["volume_type"], lt["encrypted"], lt["root_volume_gb"]) == ("gp3", True, 30)
    assert lt["network_interface"] == Ref(bastion.ENI) and lt["instance_profile"] == Ref(bastion.PROFILE)


def test_the_user_data_is_the_rendering_and_prints_as_a_digest() -> None:
    topo = profiles.load("approved")
    ud = by_key(bastion.specs(topo))[bastion.TEMPLATE].params["user_data"]
    assert isinstance(ud, UserData) and ud.text == bastion.boot_rendering(topo).user_data
    assert str(ud).startswith("<user-data ") and "#!/bin/bash" not in str(ud)


def test_the_role_policy_is_inline_and_names_only_ssm_actions() -> None:
    role = by_key(bastion.specs(profiles.load("approved")))[bastion.ROLE].params
    actions = role["policy"]["Statement"][0]["Action"]
    assert role["path"] == "/tdg/" and role["service"] == "ec2.amazonaws.com"
    assert actions and all(a.split(":")[0] in {"ssm", "ssmmessages", "ec2messages"} for a in actions)
    assert "*" not in actions and "ssm:GetParameter" not in actions


def test_a_schedule_that_does_not_add_up_is_refused_before_any_call() -> None:
    topo = profiles.load("homelab-replica")
    wrong = replace(topo, bastion=replace(topo.bastion, schedule=Schedule("0 12 * * *", "0 18 * * *", 5)))
    with pytest.raises(ProfileError, match="6 h apart"):
        bastion.specs(wrong)
    weekly = replace(topo, bastion=replace(topo.bastion, schedule=Schedule("0 12 * * 1", "0 17 * * 1", 5)))
    with pytest.raises(ProfileError, match="daily"):
        bastion.specs(weekly)


def test_plan_command_lists_the_bastion_without_the_script() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert plan_command.run(Namespace(profile="homelab-replica", phase="bastion")) == 0
    text = out.getvalue()
    for kind in ("key_pair", "iam_role", "instance_profile", "network_interface", "launch_template",
                 "autoscaling_group", "scheduled_actions"):
        assert f"[bastion] {kind} " in text
    assert "<user-data " in text and "ensure_container" not in text


def test_both_phases_plan_in_order() -> None:
    specs = plan(profiles.load("approved"), ("network", "bastion"))
    keys = [s.key for s in specs]
    order = [keys.index(k) for k in ("sg-bastion", bastion.ENI, bastion.TEMPLATE, bastion.INSTANCE)]
    assert order == sorted(order)


def test_the_bastion_and_the_nodes_take_the_checksum_from_the_same_place(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from provisioning import profiles
    from provisioning.phases import bastion, talos
    from provisioning.userdata.model import RenderError

    topo = profiles.load("approved")
    monkeypatch.delenv(bastion.SHA256_ENV, raising=False)
    with pytest.raises(RenderError):
        bastion.live_rendering(topo)
    sha = "ab" * 32
    monkeypatch.setenv(bastion.SHA256_ENV, sha)
    assert sha in bastion.live_rendering(topo).user_data
    assert talos.pinned_sha256() == sha
