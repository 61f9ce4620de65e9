"""Key pair (the operator's public key only), IAM role and instance profile kinds on the moto server."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provisioning.aws.client import ClientFactory
from provisioning.aws.identity import SSH_KEY_ENV, SSH_PUBLIC_KEY_ENV, operator_public_key, resource_name
from provisioning.aws.kinds import REGISTRY, RunContext
from provisioning.errors import NotFoundError, SetupError
from provisioning.phases.bastion import policy_document
from provisioning.plan import ResourceSpec


def key_files(tmp_path: Path) -> tuple[Path, str]:
    private = Ed25519PrivateKey.generate()
    path = tmp_path / "id_ed25519"
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                           serialization.NoEncryption()))
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    line = public.decode() + " operator@home"
    path.with_suffix(".pub").write_text(line + "\n")
    return path, line


def test_the_public_key_next_to_the_private_key_is_used(tmp_path: Path) -> None:
    path, line = key_files(tmp_path)
    assert operator_public_key({SSH_KEY_ENV: str(path)}, live=True) == (line, f"{path}.pub")


def test_an_explicit_public_key_path_wins(tmp_path: Path) -> None:
    path, line = key_files(tmp_path)
    other = tmp_path / "other.pub"
    other.write_text(line.replace("operator@home", "explicit"))
    got, where = operator_public_key({SSH_KEY_ENV: str(path), SSH_PUBLIC_KEY_ENV: str(other)}, live=True)
    assert got.endswith("explicit") and where == str(other)


def test_a_private_key_is_never_accepted_as_the_public_one(tmp_path: Path) -> None:
    path, _ = key_files(tmp_path)
    with pytest.raises(SetupError, match="never a private key") as exc:
        operator_public_key({SSH_PUBLIC_KEY_ENV: str(path)}, live=True)
    assert "PRIVATE" not in str(exc.value).replace("never a private key", "")


def test_live_needs_a_key_and_offline_gets_a_throwaway() -> None:
    with pytest.raises(SetupError, match=SSH_KEY_ENV):
        operator_public_key({}, live=True)
    line, where = operator_public_key({}, live=False)
    assert line.startswith("ssh-ed25519 ") and "throwaway" in where and "PRIVATE" not in line


def ctx(factory: ClientFactory, run_id: str) -> RunContext:
    return RunContext(factory, run_id, "approved", {"Project": "test"})


def spec(kind: str, key: str = "bastion-x") -> ResourceSpec:
    return ResourceSpec(kind, key, "bastion", "t-bastion")


def test_key_pair_is_imported_tagged_found_and_deleted(factory: ClientFactory, run_id: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path, line = key_files(tmp_path)
    monkeypatch.setenv(SSH_KEY_ENV, str(path))
    c, kind, s = ctx(factory, run_id), REGISTRY["key_pair"], spec("key_pair")
    assert kind.find(c, s) is None
    kid = kind.create(c, s, {})
    assert kind.find(c, s) == kid
    pair = [p for p in factory.client("ec2").describe_key_pairs()["KeyPairs"] if p["KeyPairId"] == kid][0]
    assert pair["KeyName"] == resource_name(s, run_id) and (kind.tags(c, kid) or {})["tdg:run-id"] == run_id
    kind.destroy(c, kid)
    assert kind.tags(c, kid) is None and kind.find(c, s) is None
    with pytest.raises(NotFoundError):
        kind.destroy(c, kid)


def test_role_and_profile_are_created_under_tdg_and_removed_in_order(factory: ClientFactory, run_id: str) -> None:
    c, iam = ctx(factory, run_id), factory.client("iam")
    role_kind, prof_kind = REGISTRY["iam_role"], REGISTRY["instance_profile"]
    role_spec, prof_spec = spec("iam_role", "bastion-role"), spec("instance_profile", "bastion-profile")
    role = role_kind.create(c, role_spec, {"path": "/tdg/", "service": "ec2.amazonaws.com", "policy_name": "p",
                                           "policy": policy_document(["ssm:UpdateInstanceInformation"])})
    prof = prof_kind.create(c, prof_spec, {"path": "/tdg/", "role": role})
    assert role_kind.find(c, role_spec) == role and prof_kind.find(c, prof_spec) == prof
    got = iam.get_instance_profile(InstanceProfileName=prof)["InstanceProfile"]
    assert got["Path"] == "/tdg/" and [r["RoleName"] for r in got["Roles"]] == [role]
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["p"]
    role_kind.destroy(c, role)  # takes itself out of the profile and drops its inline policy first
    assert role_kind.tags(c, role) is None
    prof_kind.destroy(c, prof)
    assert prof_kind.tags(c, prof) is None and prof_kind.find(c, prof_spec) is None


def test_a_role_name_held_by_another_run_is_refused(factory: ClientFactory, run_id: str) -> None:
    c, kind, s = ctx(factory, run_id), REGISTRY["iam_role"], spec("iam_role", "bastion-role")
    factory.client("iam").create_role(RoleName=resource_name(s, run_id), Path="/tdg/", AssumeRolePolicyDocument="{}",
                                      Tags=[{"Key": "ManagedBy", "Value": "someone-else"}])
    with pytest.raises(SetupError, match="was not made by run"):
        kind.find(c, s)
    factory.client("iam").delete_role(RoleName=resource_name(s, run_id))
