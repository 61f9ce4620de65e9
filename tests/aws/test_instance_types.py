"""EC2 instance-type facts for the verdict: read from the API (moto on loopback) and compared with the data file."""

from __future__ import annotations

import pytest

from provisioning.aws import instance_types
from provisioning.aws.client import ClientFactory
from provisioning.capacity import InstanceInfo
from provisioning.errors import AwsError


def test_describe_reads_the_node_types_without_mutating_anything(factory: ClientFactory) -> None:
    facts = instance_types.describe(factory, ["t4g.medium", "t4g.medium", "c7g.metal"])
    assert facts.info == {"t4g.medium": InstanceInfo(2, 4096, "arm64", False),
                          "c7g.metal": InstanceInfo(64, 131072, "arm64", True)}
    assert facts.disagreements == ()
    assert factory.calls.mutating() == 0


def test_a_disagreement_with_the_data_file_is_reported(factory: ClientFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(instance_types, "instance_catalog",
                        lambda: {"t4g.medium": InstanceInfo(2, 8192, "arm64", False)})
    facts = instance_types.describe(factory, ["t4g.medium"])
    assert facts.disagreements == ("t4g.medium: EC2 says InstanceInfo(vcpu=2, memory_mib=4096, architecture='arm64', "
                                   "kvm=False), instance_types.yaml says InstanceInfo(vcpu=2, memory_mib=8192, "
                                   "architecture='arm64', kvm=False)",)


def test_an_unknown_type_is_a_typed_error(factory: ClientFactory) -> None:
    with pytest.raises(AwsError):
        instance_types.describe(factory, ["t9z.huge"])
