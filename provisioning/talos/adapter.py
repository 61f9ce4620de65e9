"""Drive talosctl: explicit --talosconfig, endpoints and nodes on every call, typed results out.

The adapter runs the talosctl binary (a path, or a name looked up on PATH) with a timeout and
parses `-o json` output, which is one pretty-printed JSON object per resource, concatenated,
not a list (siderolabs/talos cmd/talosctl/cmd/talos/output/json.go). The Talos API (50000/tcp)
is reached through the endpoints the caller gives as host or host:port; how that endpoint
reaches the node (a bastion tunnel) is the caller's business. The talosconfig is passed by
path only: its contents are never read, logged or put in an error message.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from provisioning.adapters.taps import TapStack
from provisioning.data import load_data
from provisioning.errors import SetupError
from provisioning.talos.health import HealthResult, parse_health
from provisioning.talos.netstate import HostnameStatus, RegistryConfig, ResolverStatus, Route
from provisioning.talos.resources import (
    Address,
    AddressSpec,
    Disk,
    Extension,
    MachineStatus,
    MemoryStats,
    OperatorSpec,
    Service,
    SystemDisk,
    TimeStatus,
    Version,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
Runner = Callable[..., subprocess.CompletedProcess[str]]
HEALTH_MARGIN_S = 60.0
TIMED_OUT = -9999  # returncode standing for "no answer within the timeout" (never a real exit code)


class Transport(Protocol):
    """Where a run's talosctl calls go instead of straight to the binary (a recording or a replay).

    execute runs the call for real (argv, binary and talosconfig checks, runner); a recording
    calls it and keeps the result, a replay answers without it.
    """

    def run(self, talosctl: Talosctl, nodes: Sequence[str], args: Sequence[str], timeout_s: float,
            execute: Callable[[], subprocess.CompletedProcess[str]]) -> subprocess.CompletedProcess[str]: ...


_TAPS: TapStack[Transport] = TapStack()


def transport(tap: Transport) -> AbstractContextManager[None]:
    """Send every Talosctl call of the block through tap (the run's recording or replay)."""
    return _TAPS.use(tap)


class TalosctlNotFound(SetupError):
    """The talosctl binary is not installed (or not at the given path)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        talos = load_data("versions")["talos"]["version"]
        super().__init__(
            f"talosctl not found (looked for {binary!r}); install talosctl {talos} to match the nodes' Talos: "
            f"https://github.com/siderolabs/talos/releases/download/{talos}/talosctl-linux-amd64 "
            f"(or -arm64), made executable on PATH, or pass its path explicitly")


class TalosconfigMissing(SetupError):
    """The talosconfig path given to the adapter does not exist."""


class TalosctlError(SetupError):
    """talosctl exited non-zero (or timed out) where an answer was expected."""

    def __init__(self, args: Sequence[str], returncode: int | None, stderr: str) -> None:
        self.command = tuple(args)
        self.returncode = returncode
        self.stderr = stderr
        what = "timed out" if returncode is None else f"exited {returncode}"
        last = stderr.strip().splitlines()[-1] if stderr.strip() else "(no stderr)"
        super().__init__(f"talosctl {' '.join(args)} {what}: {last}")


def parse_json_stream(text: str) -> list[dict[str, Any]]:
    """Split talosctl's concatenated pretty-printed JSON objects into a list of dicts."""
    decoder = json.JSONDecoder()
    out: list[dict[str, Any]] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            return out
        obj, pos = decoder.raw_decode(text, pos)
        if not isinstance(obj, dict):
            raise ValueError(f"talosctl -o json printed a {type(obj).__name__}, expected an object per resource")
        out.append(obj)


@dataclass(frozen=True)
class Talosctl:
    """talosctl with a fixed talosconfig and endpoints; every method names its target nodes.

    binary: "talosctl" (looked up on PATH) or a path. timeout_s bounds each call; health gets
    its own wait_timeout plus HEALTH_MARGIN_S. env replaces the child's environment when given
    (tests use it to point at a stand-in's state); runner is subprocess.run unless injected.
    """

    talosconfig: Path
    endpoints: tuple[str, ...]
    binary: str = "talosctl"
    timeout_s: float = 60.0
    env: Mapping[str, str] | None = None
    runner: Runner = field(default=subprocess.run, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.endpoints:
            raise ValueError("Talosctl needs at least one endpoint (host or host:port of a node's apid)")

    def resolve_binary(self) -> str:
        """Return the absolute path of the binary, or raise TalosctlNotFound."""
        if os.sep in self.binary:
            if os.access(self.binary, os.X_OK) and Path(self.binary).is_file():
                return self.binary
            raise TalosctlNotFound(self.binary)
        path = (self.env or os.environ).get("PATH")
        found = shutil.which(self.binary, path=path)
        if found is None:
            raise TalosctlNotFound(self.binary)
        return found

    def _argv(self, nodes: Sequence[str], args: Sequence[str]) -> list[str]:
        binary = self.resolve_binary()
        if not self.talosconfig.is_file():
            raise TalosconfigMissing(f"talosconfig not found at {self.talosconfig}")
        argv = [binary, "--talosconfig", str(self.talosconfig), "-e", ",".join(self.endpoints)]
        if nodes:
            argv += ["-n", ",".join(nodes)]
        return argv + list(args)

    def run(self, nodes: Sequence[str], args: Sequence[str], *, timeout_s: float | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run talosctl <args> against nodes; raise TalosctlError on non-zero exit when check is set."""
        limit = self.timeout_s if timeout_s is None else timeout_s
        log.debug("talosctl %s (nodes %s, timeout %.0fs)", " ".join(args), ",".join(nodes), limit)
        done = self._through_tap(nodes, args, limit, lambda: self._execute(self._argv(nodes, args), limit))
        if done.returncode == TIMED_OUT:
            raise TalosctlError(args, None, done.stderr)
        if check and done.returncode != 0:
            raise TalosctlError(args, done.returncode, done.stderr)
        return done

    def _through_tap(self, nodes: Sequence[str], args: Sequence[str], limit: float,
                     execute: Callable[[], subprocess.CompletedProcess[str]]) -> subprocess.CompletedProcess[str]:
        """Run execute, or let the run's tap (recording or replay) decide what the call answers."""
        tap = _TAPS.current
        return tap.run(self, nodes, args, limit, execute) if tap else execute()

    def _execute(self, argv: list[str], limit: float) -> subprocess.CompletedProcess[str]:
        """Run argv; a timeout comes back as returncode TIMED_OUT with what it printed."""
        try:
            return self.runner(argv, capture_output=True, text=True, timeout=limit, check=False,
                               env=dict(self.env) if self.env is not None else None)
        except subprocess.TimeoutExpired as exc:
            stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            return subprocess.CompletedProcess(argv, TIMED_OUT, "", f"{stderr}\nno answer within {limit:.0f}s")

    def local(self, args: Sequence[str], *, timeout_s: float | None = None) -> subprocess.CompletedProcess[str]:
        """Run a client-side talosctl command (gen secrets, gen config): no talosconfig, endpoints or nodes.

        Goes through the run's transport like every other call; the caller checks the exit code.
        """
        limit = self.timeout_s if timeout_s is None else timeout_s
        return self._through_tap([], args, limit, lambda: self._execute([self.resolve_binary(), *args], limit))

    def get(self, resource: str, nodes: Sequence[str], *, resource_id: str | None = None,
            namespace: str | None = None) -> list[dict[str, Any]]:
        """Return the raw objects of `talosctl get <resource> [id] -o json` on nodes."""
        args = ["get", resource] + ([resource_id] if resource_id else []) + ["-o", "json"]
        if namespace:
            args += ["--namespace", namespace]
        return parse_json_stream(self.run(nodes, args).stdout)

    def _typed(self, parse: Callable[[dict[str, Any]], T], resource: str, nodes: Sequence[str],
               **kw: str | None) -> tuple[T, ...]:
        return tuple(parse(raw) for raw in self.get(resource, nodes, **kw))

    def versions(self, nodes: Sequence[str]) -> tuple[Version, ...]:
        return self._typed(Version.parse, "versions", nodes)

    def machine_status(self, nodes: Sequence[str]) -> tuple[MachineStatus, ...]:
        return self._typed(MachineStatus.parse, "machinestatus", nodes)

    def memory_stats(self, nodes: Sequence[str]) -> tuple[MemoryStats, ...]:
        return self._typed(MemoryStats.parse, "memorystats", nodes)

    def disks(self, nodes: Sequence[str]) -> tuple[Disk, ...]:
        return self._typed(Disk.parse, "disks", nodes)

    def system_disk(self, nodes: Sequence[str]) -> tuple[SystemDisk, ...]:
        return self._typed(SystemDisk.parse, "systemdisk", nodes)

    def addresses(self, nodes: Sequence[str]) -> tuple[Address, ...]:
        return self._typed(Address.parse, "addresses", nodes)

    def address_specs(self, nodes: Sequence[str], namespace: str | None = None) -> tuple[AddressSpec, ...]:
        """Merged specs (namespace network) by default; "network-config" lists them per layer."""
        return self._typed(AddressSpec.parse, "addressspecs", nodes, namespace=namespace)

    def operator_specs(self, nodes: Sequence[str]) -> tuple[OperatorSpec, ...]:
        """OperatorSpecs are a sensitive resource: the talosconfig needs the os:admin role."""
        return self._typed(OperatorSpec.parse, "operatorspecs", nodes)

    def extensions(self, nodes: Sequence[str]) -> tuple[Extension, ...]:
        return self._typed(Extension.parse, "extensions", nodes)

    def services(self, nodes: Sequence[str]) -> tuple[Service, ...]:
        return self._typed(Service.parse, "services", nodes)

    def time_status(self, nodes: Sequence[str]) -> tuple[TimeStatus, ...]:
        return self._typed(TimeStatus.parse, "timestatus", nodes)

    def routes(self, nodes: Sequence[str]) -> tuple[Route, ...]:
        return self._typed(Route.parse, "routes", nodes)

    def hostname(self, nodes: Sequence[str]) -> tuple[HostnameStatus, ...]:
        return self._typed(HostnameStatus.parse, "hostnamestatus", nodes)

    def resolvers(self, nodes: Sequence[str]) -> tuple[ResolverStatus, ...]:
        return self._typed(ResolverStatus.parse, "resolvers", nodes)

    def registries(self, nodes: Sequence[str]) -> tuple[RegistryConfig, ...]:
        return self._typed(RegistryConfig.parse, "registryconfigs", nodes)

    def service_logs(self, node: str, service: str, *, tail: int = 200) -> str:
        """`talosctl logs <service> --tail N` on one node: the service's recent log lines."""
        return self.run([node], ["logs", service, "--tail", str(tail)]).stdout

    def health(self, control_plane_nodes: Sequence[str], worker_nodes: Sequence[str], wait_timeout_s: float,
               *, k8s_endpoint: str | None = None) -> HealthResult:
        """Run `talosctl health --server=false` with explicit node lists; report the failing check by name.

        The lists are explicit because CozyStack disables cluster discovery, without which
        client-side health cannot find the members. A failed check is a result, not an error;
        a missing binary or talosconfig still raises.
        """
        if not control_plane_nodes:
            raise ValueError("health needs at least one control plane node")
        args = ["health", "--server=false", "--control-plane-nodes", ",".join(control_plane_nodes),
                "--wait-timeout", f"{int(wait_timeout_s)}s"]
        if worker_nodes:
            args += ["--worker-nodes", ",".join(worker_nodes)]
        if k8s_endpoint:
            args += ["--k8s-endpoint", k8s_endpoint]
        try:
            done = self.run([], args, timeout_s=wait_timeout_s + HEALTH_MARGIN_S, check=False)
        except TalosctlError as exc:  # timed out beyond talosctl's own wait
            return parse_health(exc.stderr, 124)
        result = parse_health(done.stderr, done.returncode)
        log.info("%s", result.describe())
        return result

    def client_version(self) -> str:
        """Return the client's tag (`talosctl version --client`); needs no talosconfig contents."""
        done = self.run([], ["version", "--client"])
        for line in done.stdout.splitlines():
            key, _, value = line.strip().partition(":")
            if key == "Tag":
                return value.strip()
        raise TalosctlError(["version", "--client"], done.returncode, f"no 'Tag:' line in {done.stdout!r}")

    def apply_config(self, node: str, config_file: Path, *, insecure: bool = False) -> None:
        """Apply a machine config file to one node (insecure: a node in maintenance mode)."""
        args = ["apply-config", "--file", str(config_file)] + (["--insecure"] if insecure else [])
        self.run([node], args)

    def bootstrap(self, node: str) -> None:
        """Bootstrap etcd on one control plane node (once per cluster)."""
        self.run([node], ["bootstrap"])

    def kubeconfig(self, node: str, dest: Path) -> Path:
        """Write the cluster's admin kubeconfig to dest (a secret: keep it out of reports)."""
        self.run([node], ["kubeconfig", str(dest), "--force", "--merge=false"])
        return dest
