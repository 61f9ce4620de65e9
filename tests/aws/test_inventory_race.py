"""An IAM resource deleted between the listing and the tag read (another run's teardown) is skipped, not fatal."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from provisioning.aws.inventory import _iam


class Paginator:
    def __init__(self, key: str, items: list[dict[str, str]]) -> None:
        self.key, self.items = key, items

    def paginate(self, **_: Any) -> list[dict[str, Any]]:
        return [{self.key: self.items}]


class Iam:
    def get_paginator(self, op: str) -> Paginator:
        if op == "list_roles":
            return Paginator("Roles", [])
        return Paginator("InstanceProfiles", [{"InstanceProfileName": "gone"}, {"InstanceProfileName": "mine"}])

    def get_instance_profile(self, InstanceProfileName: str) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        if InstanceProfileName == "gone":
            raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": "not found"}}, "GetInstanceProfile")
        return {"InstanceProfile": {"Tags": [{"Key": "ManagedBy", "Value": "tdg"}, {"Key": "tdg:run-id",
                                                                                  "Value": "r1"}]}}


class Clients:
    def client(self, service: str) -> Iam:
        return Iam()


def test_a_profile_deleted_meanwhile_is_skipped() -> None:
    found = _iam(Clients(), "r1")  # type: ignore[arg-type]
    assert [(f.kind, f.id) for f in found] == [("instance_profile", "mine")]
