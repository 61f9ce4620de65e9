"""Profile validation: every rule fails before any API call, naming field, value and rule."""

from __future__ import annotations

from dataclasses import replace

import pytest

from provisioning import profiles
from provisioning.errors import ProfileError
from provisioning.topology import Subnet, Topology


@pytest.fixture
def approved() -> Topology:
    return profiles.load("approved")


def problems(exc: pytest.ExceptionInfo[ProfileError]) -> list[tuple[str, object]]:
    return [(p.field, p.value) for p in exc.value.problems]


@pytest.mark.parametrize("name", profiles.available())
def test_bundled_profiles_load(name: str) -> None:
    t = profiles.load(name)
    assert t.nodes and t.bastion.private_ip


def test_approved_matches_the_design(approved: Topology) -> None:
    assert approved.vpc_cidr == "10.10.0.0/16"
    assert [s.cidr for s in approved.subnets] == ["10.10.0.0/24"]
    assert approved.bastion.private_ip == "10.10.0.100"
    assert [n.private_ip for n in approved.nodes] == ["10.10.0.101", "10.10.0.102", "10.10.0.103"]
    assert approved.nat_gateway_subnet is None
    assert {n.instance_type for n in approved.nodes} == {"t4g.medium"}


def test_homelab_replica_matches_seeds() -> None:
    t = profiles.load("homelab-replica")
    assert t.vpc_cidr == "10.20.0.0/16" and t.nat_gateway_subnet == "public"
    assert t.bastion.private_ip == "10.20.13.140" and t.boot_method == "pxe"
    assert t.subnet("private").default_route == "nat"


def test_subnet_outside_vpc(approved: Topology) -> None:
    with pytest.raises(ProfileError) as exc:
        replace(approved, subnets=(replace(approved.subnets[0], cidr="10.99.0.0/24"),))
    assert ("subnets[0].cidr", "10.99.0.0/24") in problems(exc)
    assert "must lie inside the VPC 10.10.0.0/16" in str(exc.value)


def test_overlapping_subnets(approved: Topology) -> None:
    extra = Subnet("other", "10.10.0.128/25", "eu-west-1a")
    with pytest.raises(ProfileError, match=r"subnets\[1\]\.cidr = '10.10.0.128/25': overlaps subnet public"):
        replace(approved, subnets=(*approved.subnets, extra))


@pytest.mark.parametrize("ip", ["10.10.0.0", "10.10.0.1", "10.10.0.2", "10.10.0.3", "10.10.0.255"])
def test_reserved_addresses_are_refused(approved: Topology, ip: str) -> None:
    with pytest.raises(ProfileError, match="AWS reserves the first four and the last address"):
        replace(approved, bastion=replace(approved.bastion, private_ip=ip))


def test_ip_outside_subnet(approved: Topology) -> None:
    with pytest.raises(ProfileError, match=r"bastion.private_ip = '10.10.5.100': must lie inside subnet public"):
        replace(approved, bastion=replace(approved.bastion, private_ip="10.10.5.100"))


def test_duplicate_ips(approved: Topology) -> None:
    nodes = (approved.nodes[0], replace(approved.nodes[1], private_ip="10.10.0.100"), approved.nodes[2])
    with pytest.raises(ProfileError, match=r"nodes\[1\].private_ip = '10.10.0.100': already used by bastion"):
        replace(approved, nodes=nodes)


@pytest.mark.parametrize("home,rule", [
    ("2001:db8::/64", "must be a /128"),
    ("2001:db8::1/64", "has host bits set"),
    ("not-an-address", "not an IPv6 network"),
    ("fd00::1/128", "global unicast"),
])
def test_home_address_rules(approved: Topology, home: str, rule: str) -> None:
    with pytest.raises(ProfileError, match=rule):
        profiles.with_home_ipv6(approved, home)


def test_prefix64_allowed_only_when_the_profile_says_so(approved: Topology) -> None:
    t = replace(approved, access=replace(approved.access, allow_prefix64=True, home_ipv6="2001:db8:1::/64"))
    assert t.access.home_ipv6 == "2001:db8:1::/64"


def test_unknown_zone_for_region(approved: Topology) -> None:
    with pytest.raises(ProfileError, match=r"subnets\[0\].az = 'us-east-1a': not a zone of eu-west-1"):
        replace(approved, subnets=(replace(approved.subnets[0], az="us-east-1a"),))


def test_node_count_limits(approved: Topology) -> None:
    four = (*approved.nodes, replace(approved.nodes[2], name="n4", private_ip="10.10.0.104"))
    with pytest.raises(ProfileError, match="1 to 3 nodes"):
        replace(approved, nodes=four)
    assert len(replace(approved, nodes=four, allow_more_nodes=True).nodes) == 4


def test_architecture_must_match_the_image(approved: Topology) -> None:
    with pytest.raises(ProfileError, match="is x86_64 but the node image is arm64"):
        replace(approved, nodes=(replace(approved.nodes[0], instance_type="t3.medium"), *approved.nodes[1:]))


def test_every_problem_is_reported_at_once(approved: Topology) -> None:
    with pytest.raises(ProfileError) as exc:
        replace(approved, region="mars-1", bastion=replace(approved.bastion, private_ip="10.10.0.1"))
    fields = [f for f, _ in problems(exc)]
    assert "region" in fields and "bastion.private_ip" in fields


def test_unknown_keys_in_a_profile_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.yaml"
    text = (profiles.PROFILE_DIR / "approved.yaml").read_text().replace("region: eu-west-1", "regoin: eu-west-1")
    path.write_text(text)
    with pytest.raises(ProfileError, match="regoin = 'eu-west-1': unknown key"):
        profiles.load(str(path))
