"""`tdg plan`: validates the profile and lists the ordered resources, then the verdicts."""

from __future__ import annotations

import pytest

from provisioning.cli import main


@pytest.mark.parametrize("profile", ["approved", "homelab-replica"])
def test_plan_lists_every_phase_in_order(profile: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--profile", profile]) == 0
    out = capsys.readouterr().out
    order = [out.index(f"[{phase}]") for phase in ("network", "bastion", "talos")]
    assert order == sorted(order)
    assert "vpc" in out and "network_interface" in out and "instance" in out
    assert "capacity verdict for CozyStack" in out and "RECOMMENDED:" in out


def test_plan_of_the_approved_profile_names_the_blockers(capsys: pytest.CaptureFixture[str]) -> None:
    main(["plan"])
    out = capsys.readouterr().out
    assert "ram_per_node: NOT met: measured 4 GiB (t4g.medium), required 24 GiB" in out
    assert "kvm: NOT met" in out
    assert "nat_gateway" not in out


def test_plan_of_the_replica_says_ec2_has_no_pxe(capsys: pytest.CaptureFixture[str]) -> None:
    main(["plan", "--profile", "homelab-replica", "--phase", "talos"])
    out = capsys.readouterr().out
    assert "nat_gateway" in out and "PXE" in out and "capacity verdict" not in out


def test_plan_stops_at_the_phase(capsys: pytest.CaptureFixture[str]) -> None:
    main(["plan", "--phase", "network"])
    out = capsys.readouterr().out
    assert "[network]" in out and "[bastion]" not in out


def test_plan_refuses_a_bad_profile_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--profile", "nope"]) == 2
    err = capsys.readouterr().err
    assert "--profile = 'nope': no such profile file" in err
