"""Bastion checks for --existing: compare what was built elsewhere with the design, not with the suite's own output.

A bastion built by Terraform has its own user-data, names, IAM path and image choice; these
checks hold it to what the design asks (provisioning/checks/bastion.py holds a bastion this
suite launched to its own rendering):
- image_allowed: any Amazon Linux 2023 arm64 image the profile allows; an ECS-optimised one
  is a finding;
- one_user_data: the instance and every launchable template version carry one user-data;
- services_in_user_data / forwarding_in_user_data: the user-data EC2 returns starts the
  design's services (the five caches on their ports with their upstreams, the boot-to-talos
  asset server, the DNS forwarder) and turns forwarding and masquerade on exactly when the
  profile makes the bastion the nodes' exit.
Each violation names the resource, the expected and the found value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from provisioning.aws.bastion_state import BastionState
from provisioning.topology import Topology


def _used(s: BastionState) -> list[tuple[str, str, str]]:
    """(who, image id, user-data) of every launchable template version and of the instance."""
    t = s.template
    out = [] if t is None else [(f"launch template {t.id} v{v.number} ({'/'.join(v.labels)})", v.image_id,
                                 v.user_data) for v in t.versions]
    if s.instance is not None:
        out.append((f"bastion instance {s.instance.id}", s.instance.image_id, s.instance.user_data))
    return out


def image_allowed(s: BastionState, images: Mapping[str, tuple[str, str]], patterns: Sequence[str],
                  ecs_pattern: str, architecture: str) -> list[str]:
    """Every template version and the instance boot an allowed image of the architecture (ECS-optimised: a finding).

    images maps an image id to (name, architecture) as DescribeImages returned them.
    """
    used = _used(s)
    if not used:
        return ["bastion: expected an instance or a launch template, found neither"]
    out = []
    for who, image_id, _ in used:
        name, arch = images.get(image_id, ("", ""))
        if not name:
            out.append(f"{who}: expected an Amazon Linux 2023 {architecture} image, found {image_id or 'none'} "
                       "(not an image EC2 describes)")
        elif fnmatchcase(name, ecs_pattern):
            out.append(f"{who}: expected a plain Amazon Linux 2023 {architecture} image, found the ECS-optimised "
                       f"{name} ({image_id})")
        elif arch != architecture or not any(fnmatchcase(name, p) for p in patterns):
            out.append(f"{who}: expected an image named like {list(patterns)} for {architecture}, found {name} "
                       f"({arch}, {image_id})")
    return out


def one_user_data(s: BastionState) -> list[str]:
    """The instance and every launchable template version carry the same, non-empty user-data."""
    used = _used(s)
    if not used:
        return ["bastion: expected an instance or a launch template, found neither"]
    out = [f"{who}: expected user-data, found none" for who, _, ud in used if not ud.strip()]
    distinct = {ud for _, _, ud in used if ud.strip()}
    if len(distinct) > 1:
        sizes = ", ".join(f"{who}: {len(ud)} bytes" for who, _, ud in used)
        out.append(f"bastion: expected one user-data for the instance and its template, found {len(distinct)} "
                   f"that differ ({sizes})")
    return out


def user_data_of(s: BastionState) -> tuple[str, str]:
    """(user-data, where it was read): the instance's, else the template's $Default version's."""
    if s.instance is not None and s.instance.user_data.strip():
        return s.instance.user_data, f"bastion instance {s.instance.id}"
    t = s.template
    for v in t.versions if t else ():
        if "$Default" in v.labels and t is not None:
            return v.user_data, f"launch template {t.id} v{v.number}"
    return "", "no instance or launch template"


def _code(user_data: str) -> str:
    """The user-data without its comment lines (a comment that names a service does not start it)."""
    return "\n".join(ln for ln in user_data.splitlines() if not ln.lstrip().startswith("#"))


def _mentions(text: str, token: str) -> bool:
    return re.search(rf"(?<![\w.-]){re.escape(token)}(?![\w-])", text) is not None


def services_in_user_data(t: Topology, user_data: str, where: str, caches: Iterable[Mapping[str, Any]],
                          asset_port: int) -> list[str]:
    """The user-data starts every service of the design: each cache (its port and upstream), assets, DNS.

    caches: the registry caches of the design (name, remote URL, port: provisioning/data/versions.yaml).
    """
    if not user_data.strip():
        return [f"{where}: expected user-data that starts the bastion's services, found none"]
    user_data, out = _code(user_data), []
    for c in caches:
        host = str(c["remote"]).split("://", 1)[-1].rstrip("/")
        if not (_mentions(user_data, str(c["port"])) and _mentions(user_data, host)):
            out.append(f"{where} user-data: expected the {c['name']} cache on port {c['port']} pulling through "
                       f"{host}, found no such service")
    if not (_mentions(user_data, str(asset_port)) and "boot-to-talos" in user_data):
        out.append(f"{where} user-data: expected the boot-to-talos asset server on port {asset_port}, found none")
    if not _mentions(user_data, "dnsmasq"):
        out.append(f"{where} user-data: expected the DNS forwarder (dnsmasq) for the VPC, found none")
    return out


def forwarding_in_user_data(t: Topology, user_data: str, where: str) -> list[str]:
    """IPv4 forwarding and a MASQUERADE rule are in the user-data exactly when the profile makes the bastion an exit."""
    user_data = _code(user_data)
    forward = re.search(r"net\.ipv4\.ip_forward\s*=\s*1", user_data) is not None
    masquerade = "MASQUERADE" in user_data
    if t.bastion.nat_for_nodes:
        missing = [what for what, there in (("net.ipv4.ip_forward=1", forward), ("a MASQUERADE rule", masquerade))
                   if not there]
        return [f"{where} user-data: expected {' and '.join(missing)} (the bastion is the nodes' exit), "
                "found none"] if missing else []
    present = [what for what, there in (("net.ipv4.ip_forward=1", forward), ("a MASQUERADE rule", masquerade))
               if there]
    return [f"{where} user-data: expected no forwarding (the profile does not make the bastion the nodes' "
            f"exit), found {' and '.join(present)}"] if present else []
