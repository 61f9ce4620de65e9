"""Elastic IP release: straight away, or (an endpoint still showing it associated) after disassociating."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from provisioning.aws.client import ClientFactory
from provisioning.aws.kinds import REGISTRY, RunContext
from provisioning.errors import AwsError


def test_a_free_address_is_released_without_reading_it(factory: ClientFactory, run_id: str) -> None:
    ctx = RunContext(factory, run_id, "approved")
    with Stubber(factory.client("ec2")) as stub:
        stub.add_response("release_address", {}, {"AllocationId": "eipalloc-1"})
        REGISTRY["elastic_ip"].destroy(ctx, "eipalloc-1")
        stub.assert_no_pending_responses()


def test_an_address_still_in_use_is_disassociated_then_released(factory: ClientFactory, run_id: str) -> None:
    ctx = RunContext(factory, run_id, "approved")
    with Stubber(factory.client("ec2")) as stub:
        stub.add_client_error("release_address", "InvalidIPAddress.InUse", "Address eipalloc-1 is in use.")
        stub.add_response("describe_addresses", {"Addresses": [{"AllocationId": "eipalloc-1",
                                                                "AssociationId": "eipassoc-1"}]},
                          {"AllocationIds": ["eipalloc-1"]})
        stub.add_response("disassociate_address", {}, {"AssociationId": "eipassoc-1"})
        stub.add_response("release_address", {}, {"AllocationId": "eipalloc-1"})
        REGISTRY["elastic_ip"].destroy(ctx, "eipalloc-1")
        stub.assert_no_pending_responses()


def test_another_refusal_of_the_release_is_not_retried(factory: ClientFactory, run_id: str) -> None:
    ctx = RunContext(factory, run_id, "approved")
    with Stubber(factory.client("ec2")) as stub:
        stub.add_client_error("release_address", "AuthFailure", "not yours")
        with pytest.raises(AwsError, match="AuthFailure|not yours"):
            REGISTRY["elastic_ip"].destroy(ctx, "eipalloc-1")
