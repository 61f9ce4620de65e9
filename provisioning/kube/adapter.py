"""Typed reads of the cluster through the kubernetes client: nodes, HelmReleases, pods, KubeVirt, SpinKube.

Each read returns the frozen views of provisioning/kube/objects.py, holding only what the checks
need. A custom resource whose CRD is not installed reads as an empty tuple (logged); any other API
error raises KubeApiError.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import urllib3

from provisioning.adapters.taps import TapStack
from provisioning.aws.client import is_loopback_url
from provisioning.data import load_data
from provisioning.errors import GuardError, SetupError
from provisioning.kube.objects import (
    AppPod,
    ClusterSnapshot,
    HelmRelease,
    KubeNode,
    KubeVirtStatus,
    PendingPod,
    RuntimeClassInfo,
    ServiceAnswer,
    SpinAppStatus,
)
from provisioning.quantity import parse_quantity

if TYPE_CHECKING:
    from kubernetes import client
    from kubernetes.client.rest import ApiException

log = logging.getLogger(__name__)
T = TypeVar("T")


def api_exception() -> type[ApiException]:
    """The kubernetes client's ApiException, imported when first needed (the client costs ~0.45 s of start-up)."""
    from kubernetes.client.rest import ApiException

    return ApiException
EXTENSION_PREFIX = "extensions.talos.dev/"
REQUEST_TIMEOUT_S = 30


class Transport(Protocol):
    """Where a run's Kubernetes requests go instead of straight to the API (a recording or a replay)."""

    def attach(self, api: client.ApiClient) -> None: ...


_TAPS: TapStack[Transport] = TapStack()


def transport(tap: Transport) -> AbstractContextManager[None]:
    """Attach tap to every ApiClient api_client() builds in the block (the run's recording or replay)."""
    return _TAPS.use(tap)


class KubeApiError(SetupError):
    """The Kubernetes API answered with an error (other than a missing CRD on a read)."""

    def __init__(self, what: str, status: int | None, reason: str) -> None:
        self.status = status
        super().__init__(f"{what} failed: HTTP {status}: {reason}")


def api_client(url: str, *, live: bool, ca_file: str | None = None, cert_file: str | None = None,
               key_file: str | None = None, token: str | None = None,
               tls_server_name: str | None = None) -> client.ApiClient:
    """Build an ApiClient for url; offline (live=False) only loopback URLs are accepted.

    Credentials (client certificate or bearer token) are passed through and never logged.
    tls_server_name is the name the server certificate is checked against when url is a local
    tunnel end (https://127.0.0.1:<port> forwarded to a node's 6443).
    """
    if not live and not is_loopback_url(url):
        raise GuardError(f"offline run tried to reach the Kubernetes API at {url}: only loopback is allowed")
    from kubernetes import client  # imported where used: the client costs ~0.45 s of start-up

    cfg = client.Configuration()
    cfg.host = url.rstrip("/")
    cfg.ssl_ca_cert = ca_file
    cfg.cert_file = cert_file
    cfg.key_file = key_file
    cfg.tls_server_name = tls_server_name
    if token:
        cfg.api_key = {"authorization": token}
        cfg.api_key_prefix = {"authorization": "Bearer"}
    log.debug("kubernetes client for %s (ca=%s, client cert=%s, token=%s)", cfg.host, bool(ca_file),
              bool(cert_file), bool(token))
    api = client.ApiClient(cfg)
    tap = _TAPS.current
    if tap is not None:
        tap.attach(api)
    return api


def _quantity(value: Any) -> float:
    return float(parse_quantity(value)) if value is not None else 0.0


def _condition(conditions: Any, kind: str) -> Mapping[str, Any]:
    for c in conditions or ():
        c = c if isinstance(c, Mapping) else c.to_dict()
        if c.get("type") == kind:
            return c
    return {}


class KubeReader:
    """Read phase-04 state through one ApiClient (typed core APIs, CustomObjectsApi for CRs)."""

    def __init__(self, api: client.ApiClient, *, system_label: str | None = None) -> None:
        from kubernetes import client

        self.api = api
        self.core = client.CoreV1Api(api)
        self.custom = client.CustomObjectsApi(api)
        self.node_api = client.NodeV1Api(api)
        self.data = load_data("cozystack")
        self.system_label = system_label or self.data["helmreleases"]["system_label"]

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except api_exception() as exc:
            raise KubeApiError(what, exc.status, str(exc.reason)) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise KubeApiError(what, None, f"API unreachable: {exc}") from exc

    def _custom_items(self, group: str, version: str, plural: str, label_selector: str = "") -> list[dict[str, Any]]:
        what = f"list {plural}.{group}/{version}"
        try:
            answer = self._call(what, lambda: self.custom.list_cluster_custom_object(
                group, version, plural, label_selector=label_selector, _request_timeout=REQUEST_TIMEOUT_S))
        except KubeApiError as exc:
            if exc.status == 404:
                log.info("%s not served (CRD not installed): reading as empty", what)
                return []
            raise
        return list(answer.get("items") or [])

    def nodes(self) -> tuple[KubeNode, ...]:
        """Every Node with Ready, architecture, allocatable cpu/memory, KVM devices and extension labels."""
        kvm = self.data["kubevirt"]["kvm_resource"]
        items = self._call("list nodes", lambda: self.core.list_node(_request_timeout=REQUEST_TIMEOUT_S)).items
        out = []
        for n in items:
            labels = n.metadata.labels or {}
            alloc = n.status.allocatable or {}
            cap = n.status.capacity or {}
            ips = [a.address for a in n.status.addresses or () if a.type == "InternalIP"]
            out.append(KubeNode(
                name=n.metadata.name, ready=_condition(n.status.conditions, "Ready").get("status") == "True",
                architecture=labels.get("kubernetes.io/arch") or n.status.node_info.architecture,
                internal_ip=ips[0] if ips else None, cpu_millicores=int(_quantity(alloc.get("cpu")) * 1000),
                memory_bytes=int(_quantity(alloc.get("memory"))),
                kvm_allocatable=int(_quantity(alloc[kvm])) if kvm in alloc else None,
                extensions={k[len(EXTENSION_PREFIX):]: v for k, v in labels.items() if k.startswith(EXTENSION_PREFIX)},
                capacity_millicores=int(_quantity(cap["cpu"]) * 1000) if "cpu" in cap else None,
                capacity_memory_bytes=int(_quantity(cap["memory"])) if "memory" in cap else None))
        return tuple(sorted(out, key=lambda x: x.name))

    def helmreleases(self, label_selector: str | None = None) -> tuple[HelmRelease, ...]:
        """System HelmReleases: those a CozyStack Package created (label cozystack.io/package), or label_selector."""
        hr = self.data["helmreleases"]
        out = []
        for item in self._custom_items(hr["group"], hr["version"], hr["plural"],
                                       self.system_label if label_selector is None else label_selector):
            meta, spec = item.get("metadata", {}), item.get("spec", {})
            ready = _condition(item.get("status", {}).get("conditions"), "Ready")
            deps = tuple(f"{d.get('namespace') or meta.get('namespace')}/{d['name']}"
                         for d in spec.get("dependsOn") or ())
            out.append(HelmRelease.read(item, "HelmRelease", ready=ready.get("status") == "True",
                                        reason=ready.get("reason", "NoStatus"),
                                        message=ready.get("message", "no Ready condition yet"), depends_on=deps))
        return tuple(sorted(out, key=lambda h: h.key))

    def pending_pods(self) -> tuple[PendingPod, ...]:
        """Pending pods with their FailedScheduling messages (event first, PodScheduled condition as fallback)."""
        pods = self._call("list pending pods", lambda: self.core.list_pod_for_all_namespaces(
            field_selector="status.phase=Pending", _request_timeout=REQUEST_TIMEOUT_S)).items
        events = self._call("list FailedScheduling events", lambda: self.core.list_event_for_all_namespaces(
            field_selector="reason=FailedScheduling", _request_timeout=REQUEST_TIMEOUT_S)).items
        by_pod: dict[tuple[str, str], list[str]] = {}
        for e in events:
            obj = e.involved_object
            if obj.kind == "Pod" and e.message:
                by_pod.setdefault((obj.namespace, obj.name), []).append(e.message)
        out = []
        for p in pods:
            key = (p.metadata.namespace, p.metadata.name)
            messages = by_pod.get(key) or []
            scheduled = _condition(p.status.conditions, "PodScheduled")
            if not messages and scheduled.get("message"):
                messages = [scheduled["message"]]
            out.append(PendingPod(namespace=key[0], name=key[1], messages=tuple(dict.fromkeys(messages))))
        return tuple(sorted(out, key=lambda x: x.key))

    def kubevirts(self) -> tuple[KubeVirtStatus, ...]:
        """KubeVirt CRs and their status.phase."""
        cr = self.data["kubevirt"]["cr"]
        return tuple(KubeVirtStatus.read(i, "KubeVirt") for i in self._custom_items(cr["group"], cr["version"],
                                                                                    cr["plural"]))

    def runtimeclasses(self) -> tuple[RuntimeClassInfo, ...]:
        """Every RuntimeClass with its handler."""
        items = self._call("list runtimeclasses",
                           lambda: self.node_api.list_runtime_class(_request_timeout=REQUEST_TIMEOUT_S)).items
        return tuple(sorted((RuntimeClassInfo(r.metadata.name, r.handler) for r in items), key=lambda r: r.name))

    def spinapps(self) -> tuple[SpinAppStatus, ...]:
        """SpinApps with desired/ready replicas and the Available condition."""
        spin = self.data["spinkube"]
        out = []
        for i in self._custom_items(spin["group"], spin["version"], "spinapps"):
            avail = _condition((i.get("status") or {}).get("conditions"), "Available")
            out.append(SpinAppStatus.read(i, "SpinApp", available=avail.get("status") == "True",
                                          reason=avail.get("reason", "NoStatus")))
        return tuple(sorted(out, key=lambda s: s.key))

    def app_pods(self, namespace: str, label_selector: str) -> tuple[AppPod, ...]:
        """Pods in namespace matching label_selector, with their node, phase and Ready condition."""
        pods = self._call(f"list pods {label_selector} in {namespace}", lambda: self.core.list_namespaced_pod(
            namespace, label_selector=label_selector, _request_timeout=REQUEST_TIMEOUT_S)).items
        return tuple(sorted((AppPod(namespace=p.metadata.namespace, name=p.metadata.name, node=p.spec.node_name,
                                    phase=p.status.phase or "Unknown",
                                    ready=_condition(p.status.conditions, "Ready").get("status") == "True")
                             for p in pods), key=lambda x: x.key))

    def service_get(self, namespace: str, service: str, port: int, path: str) -> ServiceAnswer:
        """GET path from service:port through the API server's service proxy.

        An HTTP error from the proxy (503 when the service has no ready endpoint) is an answer,
        not an exception; an unreachable API still raises KubeApiError.
        """
        try:
            text = self.core.connect_get_namespaced_service_proxy_with_path(
                f"{service}:{port}", namespace, path.lstrip("/"), _request_timeout=REQUEST_TIMEOUT_S)
        except api_exception() as exc:
            return ServiceAnswer(int(exc.status or 0), str(exc.body or exc.reason or ""))
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise KubeApiError(f"GET {path} from service {namespace}/{service}:{port}", None,
                               f"API unreachable: {exc}") from exc
        return ServiceAnswer(200, text if isinstance(text, str) else str(text))

    def snapshot(self) -> ClusterSnapshot:
        """Read everything once."""
        return ClusterSnapshot(nodes=self.nodes(), helmreleases=self.helmreleases(), pending_pods=self.pending_pods(),
                               kubevirts=self.kubevirts(), runtimeclasses=self.runtimeclasses(),
                               spinapps=self.spinapps())
