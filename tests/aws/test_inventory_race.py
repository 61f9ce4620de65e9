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
        return Paginator("InstanceProfiles", [{"InstanceProfileName": "gone-r1"}, {"InstanceProfileName": "mine-r1"},
                                              {"InstanceProfileName": "other-r2"}])

    def get_instance_profile(self, InstanceProfileName: str) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        asked.append(InstanceProfileName)
        if InstanceProfileName == "gone-r1":
            raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": "not found"}}, "GetInstanceProfile")
        return {"InstanceProfile": {"Tags": [{"Key": "ManagedBy", "Value": "tdg"}, {"Key": "tdg:run-id",
                                                                                  "Value": "r1"}]}}


asked: list[str] = []


class Clients:
    def client(self, service: str) -> Iam:
        return Iam()


def test_a_profile_deleted_meanwhile_is_skipped() -> None:
    asked.clear()
    found = _iam(Clients(), "r1", "instance_profile")  # type: ignore[arg-type]
    assert [(f.kind, f.id) for f in found] == [("instance_profile", "mine-r1")]
    assert asked == ["gone-r1", "mine-r1"]  # a name that cannot be run r1's is not asked for its tags
