"""Fixtures for the Kubernetes tests: topologies, and the loopback stand-in with the install applied.

The stand-in computes its outcome from the nodes (scheduling model over CozyStack v1.3.3's data):
`undersized` is three t4g.small (the platform's requests do not fit), `healthy` three c7g.metal
(everything fits, and /dev/kvm).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from fixtures.kube_standin import StandIn, nodes_from_topology, start_standin
from provisioning import profiles
from provisioning.kube.adapter import KubeReader, api_client
from provisioning.kube.install import apply, render_install
from provisioning.topology import Topology


def sized(topo: Topology, instance_type: str, data_volume_gb: int = 0) -> Topology:
    """The topology with every node of instance_type (and a data volume of data_volume_gb)."""
    return replace(topo, nodes=tuple(replace(n, instance_type=instance_type, data_volume_gb=data_volume_gb)
                                     for n in topo.nodes))


def installed_standin(topo: Topology) -> StandIn:
    """A stand-in with topo's nodes and the install plan's objects applied (what the offline fixture does)."""
    plan = render_install(topo)
    kube = start_standin(nodes_from_topology(topo), charts=[c.release for c in plan.charts])
    apply(plan.objects, api_client(kube.url, live=False))
    return kube


@pytest.fixture(name="sized")
def sized_fixture() -> Callable[..., Topology]:
    """sized(topo, instance_type, data_volume_gb=0) as a fixture."""
    return sized


@pytest.fixture
def approved() -> Topology:
    return profiles.load("approved")


@pytest.fixture
def small(approved: Topology) -> Topology:
    """Three t4g.small nodes: CozyStack v1.3.3's requests do not fit their allocatable memory."""
    return sized(approved, "t4g.small")


@pytest.fixture
def big(approved: Topology) -> Topology:
    """Three c7g.metal nodes with data disks: large enough for CozyStack and with /dev/kvm."""
    return sized(approved, "c7g.metal", 256)


@pytest.fixture
def undersized(small: Topology) -> Iterator[StandIn]:
    with installed_standin(small) as kube:
        yield kube


@pytest.fixture
def healthy(big: Topology) -> Iterator[StandIn]:
    with installed_standin(big) as kube:
        yield kube


@pytest.fixture
def undersized_reader(undersized: StandIn) -> KubeReader:
    return KubeReader(api_client(undersized.url, live=False))


@pytest.fixture
def healthy_reader(healthy: StandIn) -> KubeReader:
    return KubeReader(api_client(healthy.url, live=False))


@pytest.fixture
def nano_reader(approved: Topology) -> Iterator[KubeReader]:
    """Three t4g.nano nodes: Talos' reservations leave the gateway nothing, so cilium and everything after it wait."""
    with installed_standin(sized(approved, "t4g.nano")) as kube:
        yield KubeReader(api_client(kube.url, live=False))


@pytest.fixture
def fresh_healthy(big: Topology) -> Iterator[StandIn]:
    """The healthy stand-in before anything is applied (for tests of the install itself)."""
    with start_standin(nodes_from_topology(big), charts=[c.release for c in render_install(big).charts]) as kube:
        yield kube


@pytest.fixture
def fresh_undersized(small: Topology) -> Iterator[StandIn]:
    """The undersized stand-in before anything is applied."""
    with start_standin(nodes_from_topology(small), charts=[c.release for c in render_install(small).charts]) as kube:
        yield kube
