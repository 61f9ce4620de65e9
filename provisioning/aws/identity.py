"""Key pair, IAM role and instance profile: find by name and tag, create tagged, destroy.

The key pair holds the operator's PUBLIC key: from TDG_SSH_PUBLIC_KEY, else the ".pub" next
to the private key TDG_SSH_KEY names. The suite never makes or stores a private key; offline
runs without either variable import a throwaway public key whose private half is discarded
at once. IAM names are "<Name tag>-<run id>" under the path /tdg/ (the inventory lists that
path), so a run finds its own role by name and proves ownership by tag.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provisioning import tags as tagging
from provisioning.aws.errors import aws_call
from provisioning.aws.kinds import Kind, RunContext, ec2_finder, register
from provisioning.errors import DependencyError, NotFoundError, SetupError
from provisioning.plan import ResourceSpec

log = logging.getLogger(__name__)
SSH_KEY_ENV = "TDG_SSH_KEY"
SSH_PUBLIC_KEY_ENV = "TDG_SSH_PUBLIC_KEY"
PUBLIC_KEY_PREFIXES = ("ssh-ed25519 ", "ssh-rsa ", "ecdsa-sha2-nistp256 ", "ecdsa-sha2-nistp384 ",
                       "ecdsa-sha2-nistp521 ")


def resource_name(spec: ResourceSpec, run_id: str) -> str:
    """The AWS name of spec's resource in this run (IAM allows 64 characters)."""
    return f"{spec.name}-{run_id}"[:64]


# --- key pair --------------------------------------------------------------------------------

def operator_public_key(env: Mapping[str, str] | None = None, *, live: bool) -> tuple[str, str]:
    """Return (OpenSSH public key line, where it came from); never reads or keeps a private key.

    Raises SetupError when live and no public key is configured, or when the file does not
    hold a single public key line.
    """
    env = os.environ if env is None else env
    path = env.get(SSH_PUBLIC_KEY_ENV) or (f"{env[SSH_KEY_ENV]}.pub" if env.get(SSH_KEY_ENV) else None)
    if path is None:
        if live:
            raise SetupError(f"set {SSH_KEY_ENV} to your SSH private key's path (its .pub is imported) or "
                             f"{SSH_PUBLIC_KEY_ENV} to the public key's path")
        throwaway = Ed25519PrivateKey.generate().public_key()
        line = throwaway.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        return line.decode("ascii") + " tdg-offline-throwaway", "a throwaway public key (offline; no private half kept)"
    try:
        text = Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SetupError(f"cannot read the SSH public key {path}: {exc}") from exc
    if "PRIVATE KEY" in text or not text.startswith(PUBLIC_KEY_PREFIXES) or "\n" in text:
        raise SetupError(f"{path} must hold one OpenSSH public key line (ssh-ed25519/ssh-rsa/ecdsa-...), "
                         "never a private key")
    return text, path


def key_name(ctx: RunContext, key_pair_id: str) -> str:
    """The KeyName of a key pair id: as the run imported it, else asked (filtered on our side: moto ignores
    KeyPairIds). A key pair's name never changes, so one answer serves the whole run."""
    return ctx.memo.get(("key_name", key_pair_id), lambda: _described_key_name(ctx, key_pair_id))


def _described_key_name(ctx: RunContext, key_pair_id: str) -> str:
    with aws_call("DescribeKeyPairs"):
        pairs = ctx.ec2.describe_key_pairs(KeyPairIds=[key_pair_id])["KeyPairs"]
    for pair in pairs:
        if pair.get("KeyPairId") == key_pair_id:
            return str(pair["KeyName"])
    raise NotFoundError("DescribeKeyPairs", "InvalidKeyPair.NotFound", f"{key_pair_id} does not exist")


def _create_key(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    material, origin = operator_public_key(live=ctx.clients.mode == "live")
    log.info("importing %s as key pair %s", origin, resource_name(spec, ctx.run_id))
    with aws_call("ImportKeyPair"):
        made = ctx.ec2.import_key_pair(KeyName=resource_name(spec, ctx.run_id),
                                       PublicKeyMaterial=material.encode("ascii"),
                                       TagSpecifications=ctx.tag_spec("key-pair", spec))
    ctx.memo.put(("key_name", str(made["KeyPairId"])), str(made["KeyName"]))  # the templates name it
    return str(made["KeyPairId"])


def _key_tags(ctx: RunContext, rid: str) -> dict[str, str] | None:
    try:
        with aws_call("DescribeKeyPairs"):
            pairs = ctx.ec2.describe_key_pairs(KeyPairIds=[rid])["KeyPairs"]
    except NotFoundError:
        return None
    mine = [p for p in pairs if p.get("KeyPairId") == rid]
    return tagging.from_aws(mine[0].get("Tags")) if mine else None


def _destroy_key(ctx: RunContext, rid: str) -> None:
    """Delete by name (moto ignores KeyPairId here; AWS takes either). NotFoundError when it is gone.

    The executor has seen the key pair with the run's tags just before (scan or read by id), so
    the name the run imported it under is used as it is; otherwise it is asked for by id.
    """
    name = key_name(ctx, rid)
    with aws_call("DeleteKeyPair"):
        ctx.ec2.delete_key_pair(KeyName=name)
    ctx.memo.forget(("key_name", rid))


register(Kind("key_pair", ec2_finder("describe_key_pairs", "KeyPairs", "KeyPairId", "key_pair"), _create_key,
              _destroy_key, _key_tags))


# --- IAM role --------------------------------------------------------------------------------

def _iam(ctx: RunContext) -> Any:
    return ctx.clients.client("iam")


def _ours_by_name(ctx: RunContext, spec: ResourceSpec, tags: dict[str, str] | None) -> str | None:
    """The name when tags say this run made it for spec; SetupError when someone else holds the name."""
    name = resource_name(spec, ctx.run_id)
    if tags is None:
        return None
    if not tagging.is_ours(tags, ctx.run_id) or tags.get(tagging.SPEC_KEY) != spec.key:
        raise SetupError(f"{spec.kind} {name} exists but was not made by run {ctx.run_id} for {spec.key}")
    return name


def _role_tags(ctx: RunContext, name: str) -> dict[str, str] | None:
    try:
        with aws_call("GetRole"):
            _iam(ctx).get_role(RoleName=name)
    except NotFoundError:
        return None
    with aws_call("ListRoleTags"):  # tags only once the role is known to exist (moto errors otherwise)
        return tagging.from_aws(_iam(ctx).list_role_tags(RoleName=name)["Tags"])


def trust_policy(service: str) -> str:
    """The assume-role document that lets one AWS service (ec2.amazonaws.com) use the role."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def _create_role(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    name = resource_name(spec, ctx.run_id)
    iam = _iam(ctx)
    with aws_call("CreateRole"):
        iam.create_role(RoleName=name, Path=p["path"], AssumeRolePolicyDocument=trust_policy(p["service"]),
                        Description=p.get("description", ""), Tags=tagging.to_aws(ctx.tags(spec)))
    with aws_call("PutRolePolicy"):
        iam.put_role_policy(RoleName=name, PolicyName=p["policy_name"], PolicyDocument=json.dumps(p["policy"]))
    return name


def _destroy_role(ctx: RunContext, name: str) -> None:
    """Delete the role's inline policies, then the role.

    Its instance profile let go of it a tier earlier, and the suite attaches no managed policy;
    only when IAM refuses (DeleteConflict) are profiles and attached policies looked for,
    removed, and the delete tried again.
    """
    iam = _iam(ctx)
    with aws_call("ListRolePolicies"):
        inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
    for policy in inline:
        with aws_call("DeleteRolePolicy"):
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
    try:
        with aws_call("DeleteRole"):
            iam.delete_role(RoleName=name)
        return
    except DependencyError:
        log.info("role %s is still held (profile or attached policy): releasing it", name)
    _release_role(ctx, name)


def _release_role(ctx: RunContext, name: str) -> None:
    """Take the role out of its instance profiles, drop its policies, delete it."""
    iam = _iam(ctx)
    with aws_call("ListInstanceProfilesForRole"):
        profiles = iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]
    for prof in profiles:
        with aws_call("RemoveRoleFromInstanceProfile"):
            iam.remove_role_from_instance_profile(InstanceProfileName=prof["InstanceProfileName"], RoleName=name)
    with aws_call("ListRolePolicies"):
        inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
    for policy in inline:
        with aws_call("DeleteRolePolicy"):
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
    with aws_call("ListAttachedRolePolicies"):
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    for policy in attached:
        with aws_call("DetachRolePolicy"):
            iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    with aws_call("DeleteRole"):
        iam.delete_role(RoleName=name)


register(Kind("iam_role",
              lambda ctx, spec: _ours_by_name(ctx, spec, _role_tags(ctx, resource_name(spec, ctx.run_id))),
              _create_role, _destroy_role, _role_tags))


# --- instance profile ------------------------------------------------------------------------

def _profile_tags(ctx: RunContext, name: str) -> dict[str, str] | None:
    try:
        with aws_call("GetInstanceProfile"):
            profile = _iam(ctx).get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    except NotFoundError:
        return None
    return tagging.from_aws(profile.get("Tags"))


def _create_profile(ctx: RunContext, spec: ResourceSpec, p: dict[str, Any]) -> str:
    name = resource_name(spec, ctx.run_id)
    iam = _iam(ctx)
    with aws_call("CreateInstanceProfile"):
        iam.create_instance_profile(InstanceProfileName=name, Path=p["path"], Tags=tagging.to_aws(ctx.tags(spec)))
    with aws_call("AddRoleToInstanceProfile"):
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=p["role"])
    return name


def _destroy_profile(ctx: RunContext, name: str) -> None:
    iam = _iam(ctx)
    with aws_call("GetInstanceProfile"):
        roles = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"]
    for role in roles:
        with aws_call("RemoveRoleFromInstanceProfile"):
            iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role["RoleName"])
    with aws_call("DeleteInstanceProfile"):
        iam.delete_instance_profile(InstanceProfileName=name)


register(Kind("instance_profile",
              lambda ctx, spec: _ours_by_name(ctx, spec, _profile_tags(ctx, resource_name(spec, ctx.run_id))),
              _create_profile, _destroy_profile, _profile_tags))
