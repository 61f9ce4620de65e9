"""Bastion launch checks: what the bastion boots with, in the instance and every launch template version.

Image, CPU credits, IMDS, root volume, IAM instance profile and user-data. Each function returns a
list of violations (empty = the check passes), naming the resource, the expected and the actual value.
provisioning/checks/bastion.py checks where it runs and how it is reached.
"""

from __future__ import annotations

from collections.abc import Iterable

from provisioning import credits
from provisioning.aws.bastion_state import BastionState, InstanceState, TemplateVersion
from provisioning.checks.secrets import scan
from provisioning.topology import Topology
from provisioning.userdata.model import BastionRendering


def running_instance(s: BastionState) -> tuple[InstanceState | None, list[str]]:
    """The bastion instance and, unless it is running, the violation that says so."""
    if s.instance is None:
        return None, ["bastion instance: expected one running, found none"]
    if s.instance.state != "running":
        return s.instance, [f"bastion instance {s.instance.id}: expected running, found {s.instance.state}"]
    return s.instance, []


def template_versions(s: BastionState) -> list[tuple[str, TemplateVersion]]:
    """Each checked template version with the words that name it in a violation."""
    if s.template is None:
        return []
    return [(f"launch template {s.template.id} v{v.number} ({'/'.join(v.labels)})", v) for v in s.template.versions]


def image(s: BastionState, architecture: str) -> list[str]:
    """Template versions and instance use the image the launch template recorded, of the planned architecture.

    The reference is the template's $Default image (resolved from the public SSM parameter when
    it was created), not the parameter's value today: a new AL2023 release is not a failure.
    """
    out = []
    if s.template is None:
        return ["bastion launch template: expected it to exist (it records the image), found none"]
    if not any("$Default" in v.labels for v in s.template.versions):
        return [f"launch template {s.template.id}: expected a $Default version recording the image, found none"]
    if s.ami_architecture != architecture:
        out.append(f"image {s.ami_recorded} (recorded in launch template {s.template.id}): expected {architecture}, "
                   f"found {s.ami_architecture}")
    out += [f"{name}: expected image {s.ami_recorded} (recorded at creation, $Default), found {v.image_id}"
            for name, v in template_versions(s) if v.image_id != s.ami_recorded]
    if s.instance is not None and s.instance.image_id != s.ami_recorded:
        out.append(f"bastion instance {s.instance.id}: expected image {s.ami_recorded} (launch template $Default), "
                   f"found {s.instance.image_id}")
    return out


def cpu_credits(t: Topology, s: BastionState, *, template_required: bool = True) -> list[str]:
    """Every launchable template version records the profile's CPU credit mode (standard unless asked).

    template_required=False (--existing, the profile marks the template optional): no template, nothing to check.
    """
    if s.template is None:
        return ["bastion launch template: expected it to exist, found none"] if template_required else []
    return [v for name, ver in template_versions(s)
            for v in credits.violations(name, ver.instance_type, ver.cpu_credits, t.cpu_credits)]


def imdsv2(s: BastionState, *, template_required: bool = True) -> list[str]:
    """IMDSv2 (session tokens) is required on the instance and in every used template version."""
    i, out = running_instance(s)
    if i is not None and (i.http_tokens != "required" or i.http_endpoint != "enabled"):
        out.append(f"bastion instance {i.id}: expected metadata HttpTokens=required on an enabled endpoint, "
                   f"found HttpTokens={i.http_tokens}, HttpEndpoint={i.http_endpoint}")
    if s.template is None:
        return [*out, "bastion launch template: expected it to exist, found none"] if template_required else out
    out += [f"{name}: expected HttpTokens=required, found {v.http_tokens}"
            for name, v in template_versions(s) if v.http_tokens != "required"]
    return out


def root_volume(t: Topology, s: BastionState, volume_type: str) -> list[str]:
    """The root volume (instance and template) is encrypted, of the planned type and size."""
    i, out = running_instance(s)
    want = (True, volume_type, t.bastion.root_volume_gb)
    if i is not None:
        v = i.root_volume
        got = (v.encrypted, v.volume_type, v.size_gib) if v else None
        if got != want:
            out.append(f"bastion instance {i.id} root volume {v.id if v else '(none at ' + i.root_device + ')'}: "
                       f"expected encrypted {volume_type} {t.bastion.root_volume_gb} GiB, found "
                       + (f"encrypted={got[0]} {got[1]} {got[2]} GiB" if got else "no volume"))
    for name, ver in template_versions(s):
        bad = [d for d in ver.volumes if (d[1], d[2], d[3]) != want]
        bad += [] if ver.volumes else [("(none)", False, "", 0)]
        out += [f"{name} device {d[0]}: expected encrypted {volume_type} {t.bastion.root_volume_gb} GiB, found "
                f"encrypted={d[1]} {d[2] or '-'} {d[3]} GiB" for d in bad]
    return out


def instance_profile(s: BastionState, allowed: Iterable[str], path: str, managed: Iterable[str] = ()) -> list[str]:
    """The bastion has its profile; the role trusts EC2 only and allows no more than the planned actions.

    managed: the managed policy ARNs the role may carry (none for the suite's own role).
    """
    if s.iam is None:
        return ["bastion IAM role and instance profile: expected both, found at least one missing"]
    a, out = s.iam, []
    i = s.instance
    if i is None or i.profile_arn != a.profile_arn:
        out.append(f"bastion instance {i.id if i else '(none)'}: expected instance profile {a.profile_arn}, "
                   f"found {i.profile_arn if i else None}")
    out += [f"{name}: expected instance profile {a.profile}, found {v.profile}"
            for name, v in template_versions(s) if v.profile not in (a.profile, a.profile_arn)]
    if a.profile_roles != (a.role,):
        out.append(f"instance profile {a.profile}: expected only role {a.role}, found {list(a.profile_roles)}")
    if (a.role_path, a.profile_path) != (path, path):
        out.append(f"role {a.role} / profile {a.profile}: expected path {path}, found {a.role_path} / {a.profile_path}")
    if a.trusted != ("ec2.amazonaws.com",):
        out.append(f"role {a.role}: expected to trust ec2.amazonaws.com only, found {list(a.trusted)}")
    extra_managed = [arn for arn in a.attached if arn not in set(managed)]
    if extra_managed:
        out.append(f"role {a.role}: expected no managed policies but {sorted(managed)} (least privilege inline), "
                   f"found {extra_managed}")
    extra = sorted({x for acts in a.inline_actions.values() for x in acts} - set(allowed))
    if extra:
        out.append(f"role {a.role}: expected only the Systems Manager core actions, found also {extra}")
    return out


def no_secrets(s: BastionState, secrets: Iterable[str]) -> list[str]:
    """No secret value or key-shaped string in any template version's or the instance's user-data."""
    known = list(secrets)
    out = [v for name, ver in template_versions(s) for v in scan(ver.user_data, f"{name} user-data", known)]
    if s.instance is not None:
        out += scan(s.instance.user_data, f"bastion instance {s.instance.id} user-data", known)
    return out


def boots_rendering(s: BastionState, rendering: BastionRendering) -> list[str]:
    """Every template version and the instance carry exactly the rendered user-data."""
    want = rendering.user_data
    out = [f"{name}: expected the rendered user-data ({len(want)} bytes), found {len(v.user_data)} bytes that differ"
           for name, v in template_versions(s) if v.user_data != want]
    if s.instance is not None and s.instance.user_data != want:
        out.append(f"bastion instance {s.instance.id}: expected the rendered user-data, found "
                   f"{len(s.instance.user_data)} bytes that differ")
    return out + ([] if s.template else ["bastion launch template: expected it to exist, found none"])


def services_started(rendering: BastionRendering) -> list[str]:
    """The user-data starts every rendered service: each container with ensure_container, each unit with systemctl."""
    ud = rendering.user_data
    enabled = [ln for ln in ud.splitlines() if ln.startswith("systemctl enable --now ")]
    out = []
    for svc in rendering.services:
        started = f"ensure_container {svc.name} " in ud if svc.kind == "container" \
            else any(svc.name in ln.split() for ln in enabled)
        if not started:
            out.append(f"user-data: expected it to start {svc.kind} {svc.name}, found no such step")
    return out
