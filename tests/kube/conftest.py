"""Fixtures for the Kubernetes tests: topologies and the loopback stand-in for both recordings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from fixtures.kube_standin import StandIn, nodes_from_topology, start_standin
from provisioning import profiles
from provisioning.kube.adapter import KubeReader, api_client
from provisioning.topology import Topology


def sized(topo: Topology, instance_type: str, data_volume_gb: int = 0) -> Topology:
    """The topology with every node of instance_type (and a data volume of data_volume_gb)."""
    return replace(topo, nodes=tuple(replace(n, instance_type=instance_type, data_volume_gb=data_volume_gb)
                                     for n in topo.nodes))


@pytest.fixture(name="sized")
def sized_fixture() -> Callable[..., Topology]:
    """sized(topo, instance_type, data_volume_gb=0) as a fixture."""
    return sized


@pytest.fixture
def approved() -> Topology:
    return profiles.load("approved")


@pytest.fixture
def big(approved: Topology) -> Topology:
    """Three c7g.metal nodes with data disks: large enough for CozyStack and with /dev/kvm."""
    return sized(approved, "c7g.metal", 256)


@pytest.fixture
def undersized(approved: Topology) -> Iterator[StandIn]:
    with start_standin("undersized", nodes_from_topology(approved)) as kube:
        yield kube


@pytest.fixture
def healthy(big: Topology) -> Iterator[StandIn]:
    with start_standin("healthy", nodes_from_topology(big)) as kube:
        yield kube


@pytest.fixture
def undersized_reader(undersized: StandIn) -> KubeReader:
    return KubeReader(api_client(undersized.url, live=False))


@pytest.fixture
def healthy_reader(healthy: StandIn) -> KubeReader:
    return KubeReader(api_client(healthy.url, live=False))
