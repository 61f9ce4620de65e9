"""Turn booted Talos nodes into a cluster: generate configs, apply them in maintenance mode, bootstrap.

The sequence (upstream-facts §2, talos-cozystack-facts §3): `talosctl gen secrets` once, then
`talosctl gen config` per node with the same secrets and that node's patch (so the PKI is one
cluster's), `apply-config --insecure` to every node still in maintenance mode, wait until each
answers on the authenticated API, `bootstrap` the first control plane, fetch the kubeconfig.

Every file written here holds key material (secrets bundle, machine configs, talosconfig,
kubeconfig): they live in a 0700 directory under the run's state dir, are created 0600, and
their contents are never logged. How the nodes are reached (a bastion tunnel live, the stand-in
offline) is the caller's: maintenance maps a node IP to the address `-n` takes for the insecure
apply, and the Talosctl adapter carries the endpoints of the authenticated API.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from provisioning.data import load_data
from provisioning.talos.adapter import Talosctl, TalosctlError
from provisioning.talos.config import node_patch_yaml
from provisioning.talos.roles import talos_machine_type
from provisioning.talos.secrets import SecretDocument, tailscale_service_config
from provisioning.topology import Node, Topology
from provisioning.waiting import wait_for

log = logging.getLogger(__name__)


def private_dir(path: Path) -> Path:
    """Create path (and parents) and make it readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_private(path: Path, text: str) -> Path:
    """Write text to path with mode 0600 (replacing a file that is already there)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


@dataclass(frozen=True)
class ClusterFiles:
    """Where one run's Talos files are: all secret, all under workdir."""

    workdir: Path

    @property
    def secrets(self) -> Path:
        return self.workdir / "secrets.yaml"

    @property
    def talosconfig(self) -> Path:
        return self.workdir / "talosconfig"

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig"

    def patch(self, node: Node) -> Path:
        return self.workdir / f"{node.name}.patch.yaml"

    def config(self, node: Node) -> Path:
        return self.workdir / f"{node.name}.yaml"


def cluster_endpoint(topo: Topology) -> str:
    """The Kubernetes API endpoint baked into the configs: the first control plane's IP (no VIP on a VPC)."""
    first = control_planes(topo)[0]
    return f"https://{first.private_ip}:6443"


def control_planes(topo: Topology, *, all_control_planes: bool = False) -> list[Node]:
    return [n for n in topo.nodes if talos_machine_type(n, all_control_planes=all_control_planes) == "controlplane"]


def workers(topo: Topology, *, all_control_planes: bool = False) -> list[Node]:
    return [n for n in topo.nodes if talos_machine_type(n, all_control_planes=all_control_planes) == "worker"]


def write_patches(topo: Topology, files: ClusterFiles, *, for_cozystack: bool, macs: Mapping[str, str],
                  extra_cert_sans: Sequence[str] = ()) -> dict[str, Path]:
    """Render each node's machine-config patch to its file; return node name -> path.

    macs (node name -> the ENI's MAC, read from EC2) select the link by its permanent address,
    because ENA names under Talos metal are unverified; a node without one is a setup error.
    """
    private_dir(files.workdir)
    missing = [n.name for n in topo.nodes if n.name not in macs]
    if missing:
        raise ValueError(f"no MAC address known for node(s) {', '.join(missing)}: the link is selected by MAC")
    return {n.name: write_private(files.patch(n), node_patch_yaml(
        topo, n, for_cozystack=for_cozystack, extra_cert_sans=tuple(extra_cert_sans),
        mac=macs[n.name])) for n in topo.nodes}


def generate(talosctl: Talosctl, topo: Topology, files: ClusterFiles, *, for_cozystack: bool,
             macs: Mapping[str, str], extra_cert_sans: Sequence[str] = (),
             tailscale: SecretDocument | None = None) -> None:
    """Run `talosctl gen secrets` (once per run) and `gen config` (per node, same secrets, its patch) into workdir.

    tailscale, when given, is appended to the gateway's config as a second document (the
    ExtensionServiceConfig ext-tailscale waits for); the auth key stays in that 0600 file.
    """
    write_patches(topo, files, for_cozystack=for_cozystack, extra_cert_sans=extra_cert_sans, macs=macs)
    binary = talosctl.resolve_binary()
    talos_version = load_data("versions")["talos"]["version"]
    contract = ".".join(talos_version.lstrip("v").split(".")[:2])
    name, endpoint = f"tdg-{topo.name}", cluster_endpoint(topo)
    if files.secrets.is_file():  # a kept or interrupted run: new secrets would mean a new PKI (upstream-facts §2)
        log.info("reusing the secrets bundle of this run in %s", files.workdir)
    else:
        _gen(talosctl, [binary, "gen", "secrets", "--output-file", str(files.secrets)])
    files.secrets.chmod(0o600)
    common = ["gen", "config", name, endpoint, "--with-secrets", str(files.secrets), "--with-docs=false",
              "--with-examples=false", "--talos-version", f"v{contract}", "--force"]
    _gen(talosctl, [binary, *common, "--output-types", "talosconfig", "--output", str(files.talosconfig)])
    files.talosconfig.chmod(0o600)
    for node in topo.nodes:
        kind = talos_machine_type(node)
        _gen(talosctl, [binary, *common, "--output-types", kind, "--config-patch", f"@{files.patch(node)}",
                        "--output", str(files.config(node))])
        files.config(node).chmod(0o600)
        if tailscale is not None and node.role == "gateway":
            text = files.config(node).read_text(encoding="utf-8").rstrip("\n")
            write_private(files.config(node), f"{text}\n---\n{tailscale.reveal()}")
    log.info("generated Talos configs for %d node(s) of %s in %s", len(topo.nodes), name, files.workdir)


def _gen(talosctl: Talosctl, argv: list[str]) -> None:
    done = talosctl.local(argv[1:])  # argv[0] is the resolved binary; local() resolves it again
    if done.returncode != 0:
        raise TalosctlError(argv[1:4], done.returncode, done.stderr)


def _answers(talosctl: Talosctl, node: Node) -> bool:
    """True once the node serves the authenticated API with its config (any stage but maintenance)."""
    try:
        return any(s.stage != "maintenance" for s in talosctl.machine_status([node.private_ip]))
    except TalosctlError:
        return False


def configure(talosctl: Talosctl, topo: Topology, files: ClusterFiles, *, maintenance: Mapping[str, str],
              wait_s: float = 600.0, interval_s: float = 10.0) -> Path:
    """Apply each node's config in maintenance mode, bootstrap the first control plane, fetch the kubeconfig.

    maintenance: node IP -> what `-n` takes to reach that node's maintenance API. Returns the
    kubeconfig path. A node that already answers on the
    authenticated API is not re-applied (a re-run after an interruption).
    """
    for node in topo.nodes:
        if _answers(talosctl, node):
            log.info("%s already configured; not applying again", node.name)
            continue
        target = maintenance.get(node.private_ip, node.private_ip)
        wait_for(f"Talos maintenance API of {node.name}", functools.partial(maintenance_up, talosctl, target),
                 timeout_s=wait_s, interval_s=interval_s)
        talosctl.apply_config(target, files.config(node), insecure=True)
        log.info("applied the machine config of %s", node.name)
    for node in topo.nodes:
        wait_for(f"authenticated Talos API of {node.name}", functools.partial(_answers, talosctl, node),
                 timeout_s=wait_s, interval_s=interval_s)
    first = control_planes(topo)[0]
    _bootstrap_once(talosctl, first)
    wait_for(f"kubeconfig from {first.name}", lambda: _kubeconfig(talosctl, first, files.kubeconfig),
             timeout_s=wait_s, interval_s=interval_s)
    files.kubeconfig.chmod(0o600)
    return files.kubeconfig


def maintenance_up(talosctl: Talosctl, target: str) -> bool:
    """True when target answers the insecure maintenance API (`get disks --insecure`)."""
    try:
        talosctl.run([target], ["get", "disks", "--insecure", "-o", "json"])
    except TalosctlError:
        return False
    return True


def _bootstrap_once(talosctl: Talosctl, node: Node) -> None:
    try:
        talosctl.bootstrap(node.private_ip)
    except TalosctlError as exc:
        if "AlreadyExists" not in exc.stderr:
            raise
        log.info("etcd on %s was bootstrapped before", node.name)


def _kubeconfig(talosctl: Talosctl, node: Node, dest: Path) -> Path | None:
    try:
        return talosctl.kubeconfig(node.private_ip, dest)
    except TalosctlError:
        return None


def tailscale_from_env(env: Mapping[str, str], hostname: str) -> SecretDocument | None:
    """The Tailscale ExtensionServiceConfig from TDG_TAILSCALE_AUTHKEY or the file TDG_TAILSCALE_AUTHKEY_FILE names.

    None when neither is set (ext-tailscale then waits for its config; the extension is still checked).
    """
    key = env.get("TDG_TAILSCALE_AUTHKEY")
    path = env.get("TDG_TAILSCALE_AUTHKEY_FILE")
    if not key and path:
        key = Path(path).read_text(encoding="utf-8").strip()
    if not key:
        log.info("no Tailscale auth key given; ext-tailscale on the gateway will wait for its configuration")
        return None
    return tailscale_service_config(key, hostname=hostname)
