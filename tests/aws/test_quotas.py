"""The vCPU quota preflight: one Service Quotas read (botocore Stubber; moto has no EC2 quotas), no change."""

from __future__ import annotations

from dataclasses import replace

import pytest
from botocore.stub import Stubber

from provisioning import profiles
from provisioning.aws.client import ClientFactory
from provisioning.aws.quotas import QuotaTooLow, check_vcpu_quota, profile_vcpus
from provisioning.capacity import instance_catalog
from provisioning.errors import GuardError

VCPUS = {t: i.vcpu for t, i in instance_catalog().items()}
REQUEST = {"ServiceCode": "ec2", "QuotaCode": "L-1216C47A"}


def answer(value: float) -> dict[str, object]:
    return {"Quota": {"ServiceCode": "ec2", "QuotaCode": "L-1216C47A", "Value": value,
                      "QuotaName": "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"}}


def test_the_approved_profile_needs_8_vcpus() -> None:
    # bastion t4g.small (2) + 3 nodes t4g.medium (2 each)
    assert profile_vcpus(profiles.load("approved"), VCPUS) == {"t4g.small": 2, "t4g.medium": 6}


def test_a_quota_that_covers_the_profile_passes_with_one_read(factory: ClientFactory) -> None:
    with Stubber(factory.client("service-quotas")) as stub:
        stub.add_response("get_service_quota", answer(16.0), REQUEST)
        quota = check_vcpu_quota(factory, profiles.load("approved"), VCPUS)
        stub.assert_no_pending_responses()
    assert (quota.limit, quota.needed) == (16.0, 8)
    # The Stubber answers exactly the one GetServiceQuota it was given and refuses any other call;
    # nothing reached the moto server.
    assert factory.calls.total == 0


def test_a_quota_below_the_profile_is_refused_naming_code_limit_and_need(factory: ClientFactory) -> None:
    big = profiles.load("approved")
    big = replace(big, nodes=tuple(replace(n, instance_type="t4g.2xlarge") for n in big.nodes))
    with Stubber(factory.client("service-quotas")) as stub:
        stub.add_response("get_service_quota", answer(16.0), REQUEST)
        with pytest.raises(QuotaTooLow) as err:
            check_vcpu_quota(factory, big, VCPUS)
    text = str(err.value)
    assert "L-1216C47A" in text and ": 16, the profile needs 26" in text and "t4g.2xlarge 24" in text
    assert "request an increase" in text and isinstance(err.value, GuardError)


def test_an_instance_type_without_facts_is_refused_before_the_read(factory: ClientFactory) -> None:
    with pytest.raises(GuardError, match="t4g.medium: its vCPU count is unknown"):
        check_vcpu_quota(factory, profiles.load("approved"), {"t4g.small": 2})
    assert factory.calls.total == 0
