"""Instance-type facts for the capacity verdict: ask EC2 (describe_instance_types), compare with the data file.

A read, free of charge: the verdict can run before anything is created. When the API cannot
answer, the caller falls back to data/instance_types.yaml.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call
from provisioning.capacity import InstanceInfo, instance_catalog

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstanceFacts:
    """What EC2 said per type, and every way it disagrees with data/instance_types.yaml."""

    info: dict[str, InstanceInfo]
    disagreements: tuple[str, ...]


def describe(clients: ClientFactory, types: Iterable[str]) -> InstanceFacts:
    """Return EC2's vCPU, memory, architecture and bare-metal facts for types (AwsError on failure)."""
    names = sorted(set(types))
    with aws_call("ec2:DescribeInstanceTypes"):
        answer = clients.client("ec2").describe_instance_types(InstanceTypes=names)
    info = {str(t["InstanceType"]): InstanceInfo.from_describe(t) for t in answer.get("InstanceTypes", [])}
    known = instance_catalog()
    disagree = []
    for name, live in sorted(info.items()):
        filed = known.get(name)
        if filed is not None and filed != live:
            disagree.append(f"{name}: EC2 says {live}, instance_types.yaml says {filed}")
    for line in disagree:
        log.warning("instance type facts differ: %s", line)
    return InstanceFacts(info, tuple(disagree))
