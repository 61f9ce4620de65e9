"""The account's EC2 vCPU quota against what a profile will run (one Service Quotas read, live only).

Running On-Demand Standard instances (quota L-1216C47A, provisioning/data/quotas.yaml) is a
vCPU count for the whole account and region; a lab whose instances need more fails at
RunInstances with VcpuLimitExceeded after the network and bastion exist. Preflight reads it
first. Instances the account already runs count too; the quota is compared with the profile
alone, so a busy account can still hit the limit (the refusal then comes from EC2).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call
from provisioning.data import load_data
from provisioning.errors import GuardError
from provisioning.topology import Topology

log = logging.getLogger(__name__)


class QuotaTooLow(GuardError):
    """The account's vCPU quota cannot hold the profile's instances."""


@dataclass(frozen=True)
class VcpuQuota:
    """The quota's value and what the profile needs from it."""

    code: str
    name: str
    limit: float
    needed: int
    by_type: dict[str, int]

    def describe(self) -> str:
        parts = ", ".join(f"{t} {n}" for t, n in sorted(self.by_type.items()))
        return f"vCPU quota {self.code} ({self.name}): {self.limit:g}, the profile needs {self.needed} ({parts})"


def _spec() -> dict[str, Any]:
    return dict(load_data("quotas")["running_on_demand_standard"])


def profile_vcpus(topo: Topology, vcpus: Mapping[str, int]) -> dict[str, int]:
    """vCPUs per instance type the profile runs (bastion + nodes) that count against the standard quota."""
    families = tuple(str(f) for f in _spec()["families"])
    out: dict[str, int] = {}
    for t in [topo.bastion.instance_type, *(n.instance_type for n in topo.nodes)]:
        if t[:1] not in families:
            continue
        if t not in vcpus:
            raise GuardError(f"instance type {t}: its vCPU count is unknown (instance facts), so the quota "
                             f"{_spec()['quota_code']} cannot be checked")
        out[t] = out.get(t, 0) + int(vcpus[t])
    return out


def check_vcpu_quota(clients: ClientFactory, topo: Topology, vcpus: Mapping[str, int]) -> VcpuQuota:
    """Read the quota (GetServiceQuota) and refuse when the profile's vCPUs exceed it."""
    spec = _spec()
    by_type = profile_vcpus(topo, vcpus)
    with aws_call("GetServiceQuota"):
        answer = clients.client("service-quotas").get_service_quota(ServiceCode=str(spec["service_code"]),
                                                                    QuotaCode=str(spec["quota_code"]))
    quota = VcpuQuota(str(spec["quota_code"]), str(spec["name"]), float(answer["Quota"]["Value"]),
                      sum(by_type.values()), by_type)
    if quota.needed > quota.limit:
        raise QuotaTooLow(f"{quota.describe()}: request an increase of {quota.code} in the Service Quotas console "
                          f"(region {topo.region}) to at least {quota.needed}, or choose smaller instance types")
    log.info("%s", quota.describe())
    return quota
