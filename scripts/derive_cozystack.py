"""Re-derive provisioning/data/cozystack_v1_3_3.yaml from a git mirror of cozystack/cozystack (developer tool).

    python scripts/derive_cozystack.py /path/to/cozystack.git > provisioning/data/cozystack_v1_3_3.yaml

Reads, at the pinned tag, the platform chart's bundles (which Packages variant isp-full creates), every
PackageSource (components, release names, namespaces, component and variant dependsOn) and each
component's Chart.yaml; builds each HelmRelease's dependsOn the way the v1.3.3 Package reconciler does
(internal/operator/package_reconciler.go buildDependsOn: the component's own dependsOn, then every
installed component of each Package the variant depends on). Resource requests cannot be read without
rendering the charts, so WORKLOADS below lists them by hand, each with the file and key it came from.
Never used by tests; the data file it writes carries its own checksum (provisioning/platform_data.py).
"""

from __future__ import annotations

import datetime
import subprocess
import sys
from typing import Any

import yaml

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
from provisioning.platform_data import content_sha256  # noqa: E402

TAG = "v1.3.3"
# templates/bundles/{system,iaas,paas,naas}.yaml with values-isp-full.yaml (every bundle enabled,
# system variant isp-full), authentication.oidc.enabled false and no enabledPackages: (Package, variant).
SYSTEM = (
    [("cozystack.networking", "kubeovn-cilium")]
    + [
        (f"cozystack.{p}", "default")
        for p in [
            "kubeovn-webhook",
            "kubeovn-plunger",
            "cozy-proxy",
            "multus",
            "metallb",
            "reloader",
            "linstor-scheduler",
            "snapshot-controller",
            "linstor",
        ]
    ]
    + [("cozystack.cozystack-scheduler", "linstor"), ("cozystack.cozystack-engine", "default")]
    + [
        (f"cozystack.{p}", "default")
        for p in [
            "cert-manager",
            "flux-plunger",
            "victoria-metrics-operator",
            "tenant-application",
            "ingress-application",
            "seaweedfs-application",
            "info-application",
            "monitoring-application",
            "etcd-application",
            "cozystack-basics",
            "backupstrategy-controller",
            "backup-controller",
            "vertical-pod-autoscaler",
            "metrics-server",
            "monitoring-agents",
            "goldpinger",
            "prometheus-operator-crds",
            "grafana-operator",
            "etcd-operator",
            "postgres-operator",
            "objectstorage-controller",
        ]
    ]
)
IAAS = [
    (f"cozystack.{p}", "default")
    for p in [
        "kubevirt",
        "kubevirt-cdi",
        "kamaji",
        "capi-operator",
        "capi-provider-bootstrap-kubeadm",
        "capi-provider-core",
        "capi-provider-cp-kamaji",
        "capi-provider-infra-kubevirt",
        "bucket-application",
    ]
] + [
    (f"cozystack.{p}", "kubevirt")
    for p in [
        "kubernetes-application",
        "virtualprivatecloud-application",
        "vm-disk-application",
        "vm-instance-application",
    ]
]
PAAS = [
    (f"cozystack.{p}", "default")
    for p in [
        "mariadb-operator",
        "kafka-operator",
        "clickhouse-operator",
        "foundationdb-operator",
        "rabbitmq-operator",
        "redis-operator",
        "mongodb-operator",
        "clickhouse-application",
        "foundationdb-application",
        "harbor-application",
        "kafka-application",
        "mariadb-application",
        "mongodb-application",
        "nats-application",
        "openbao-application",
        "postgres-application",
        "qdrant-application",
        "rabbitmq-application",
        "redis-application",
    ]
]
NAAS = [
    (f"cozystack.{p}", "default") for p in ["http-cache-application", "tcp-balancer-application", "vpn-application"]
]
PACKAGES = SYSTEM + IAAS + PAAS + NAAS

S = "packages/system"
# Workloads whose pods carry resource requests in the chart's default values or literal templates, per
# release key. placement: every (one pod per node: DaemonSet), control-plane (nodeSelector on the
# control-plane label), any. replicas: a number, or "control-planes" (kube-ovn's kubeovn.nodeCount).
# A pod's request is the sum over its containers (init containers only where they exceed it).
WORKLOADS: dict[str, list[dict[str, Any]]] = {
    "cozy-cilium/cilium": [
        {
            "name": "cilium",
            "kind": "DaemonSet",
            "placement": "every",
            "replicas": 1,
            "cpu": "100m",
            "memory": "10Mi",
            "from": f"{S}/cilium/charts/cilium/values.yaml cni.resources (install-cni-binaries init container; the "
            "agent containers set none)",
        }
    ],
    "cozy-kubeovn/kubeovn": [
        {
            "name": "ovn-central",
            "kind": "Deployment",
            "placement": "control-plane",
            "replicas": "control-planes",
            "cpu": "50m",
            "memory": "100Mi",
            "from": f"{S}/kubeovn/values.yaml kube-ovn.ovn-central.requests",
        },
        {
            "name": "kube-ovn-controller",
            "kind": "Deployment",
            "placement": "control-plane",
            "replicas": "control-planes",
            "cpu": "10m",
            "memory": "100Mi",
            "from": f"{S}/kubeovn/values.yaml kube-ovn.kube-ovn-controller.requests",
        },
        {
            "name": "kube-ovn-monitor",
            "kind": "Deployment",
            "placement": "control-plane",
            "replicas": 1,
            "cpu": "10m",
            "memory": "50Mi",
            "from": f"{S}/kubeovn/values.yaml kube-ovn.kube-ovn-monitor.requests",
        },
        {
            "name": "ovs-ovn",
            "kind": "DaemonSet",
            "placement": "every",
            "replicas": 1,
            "cpu": "10m",
            "memory": "50Mi",
            "from": f"{S}/kubeovn/values.yaml kube-ovn.ovs-ovn.requests",
        },
        {
            "name": "kube-ovn-cni",
            "kind": "DaemonSet",
            "placement": "every",
            "replicas": 1,
            "cpu": "50m",
            "memory": "50Mi",
            "from": f"{S}/kubeovn/values.yaml kube-ovn.kube-ovn-cni.requests",
        },
        {
            "name": "kube-ovn-pinger",
            "kind": "DaemonSet",
            "placement": "every",
            "replicas": 1,
            "cpu": "10m",
            "memory": "50Mi",
            "from": f"{S}/kubeovn/values.yaml kube-ovn.kube-ovn-pinger.requests",
        },
    ],
    "cozy-kubeovn/kubeovn-webhook": [
        {
            "name": "kubeovn-webhook",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 2,
            "cpu": "10m",
            "memory": "64Mi",
            "from": f"{S}/kubeovn-webhook/templates/deployment.yaml",
        }
    ],
    "cozy-multus/multus": [
        {
            "name": "cozy-multus",
            "kind": "DaemonSet",
            "placement": "every",
            "replicas": 1,
            "cpu": "100m",
            "memory": "100Mi",
            "from": f"{S}/multus/templates/multus-daemonset-thick.yml kube-multus",
        }
    ],
    "cozy-dashboard/dashboard": [
        {
            "name": "incloud-web-gatekeeper",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "100m",
            "memory": "128Mi",
            "from": f"{S}/dashboard/templates/gatekeeper.yaml token-proxy",
        },
        {
            "name": "incloud-web-nginx",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "100m",
            "memory": "128Mi",
            "from": f"{S}/dashboard/templates/nginx.yaml",
        },
        {
            "name": "incloud-web-web",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "200m",
            "memory": "256Mi",
            "from": f"{S}/dashboard/templates/web.yaml bff + web",
        },
    ],
    "cozy-fluxcd/flux-plunger": [
        {
            "name": "flux-plunger",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "10m",
            "memory": "64Mi",
            "from": f"{S}/flux-plunger/templates/deployment.yaml",
        }
    ],
    "cozy-backup-controller/backupstrategy-controller": [
        {
            "name": "backupstrategy-controller",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "10m",
            "memory": "64Mi",
            "from": f"{S}/backupstrategy-controller/values.yaml backupStrategyController.resources",
        }
    ],
    "cozy-backup-controller/backup-controller": [
        {
            "name": "backup-controller",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "10m",
            "memory": "64Mi",
            "from": f"{S}/backup-controller/values.yaml backupController.resources",
        }
    ],
    "cozy-vertical-pod-autoscaler/vertical-pod-autoscaler": [
        {
            "name": "vpa-updater",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "200m",
            "memory": "110Mi",
            "from": f"{S}/vertical-pod-autoscaler/values.yaml vertical-pod-autoscaler.updater",
        },
        {
            "name": "vpa-admission-controller",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "50m",
            "memory": "50Mi",
            "from": f"{S}/vertical-pod-autoscaler/values.yaml vertical-pod-autoscaler.admissionController",
        },
    ],
    "cozy-monitoring/metrics-server": [
        {
            "name": "metrics-server",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "100m",
            "memory": "200Mi",
            "from": f"{S}/metrics-server/charts/metrics-server/values.yaml resources",
        }
    ],
    "cozy-etcd-operator/etcd-operator": [
        {
            "name": "etcd-operator-controller-manager",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "200m",
            "memory": "128Mi",
            "from": f"{S}/etcd-operator/charts/etcd-operator/values.yaml "
            "etcdOperator.resources + kubeRbacProxy.resources",
        }
    ],
    "cozy-kubevirt/kubevirt-operator": [
        {
            "name": "virt-operator",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 2,
            "cpu": "10m",
            "memory": "450Mi",
            "from": f"{S}/kubevirt-operator/templates/kubevirt-operator.yaml",
        }
    ],
    "cozy-kubevirt-cdi/kubevirt-cdi-operator": [
        {
            "name": "cdi-operator",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "100m",
            "memory": "150Mi",
            "from": f"{S}/kubevirt-cdi-operator/templates/cdi-operator.yaml",
        }
    ],
    "cozy-kamaji/kamaji": [
        {
            "name": "kamaji",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "100m",
            "memory": "256Mi",
            "from": f"{S}/kamaji/values.yaml kamaji.resources",
        }
    ],
    "cozy-cluster-api/capi-operator": [
        {
            "name": "capi-operator-cluster-api-operator",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "100m",
            "memory": "100Mi",
            "from": f"{S}/capi-operator/values.yaml cluster-api-operator.resources.manager",
        }
    ],
    "cozy-kafka-operator/kafka-operator": [
        {
            "name": "strimzi-cluster-operator",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "200m",
            "memory": "384Mi",
            "from": f"{S}/kafka-operator/charts/strimzi-kafka-operator/values.yaml resources",
        }
    ],
    "cozy-foundationdb-operator/foundationdb-operator": [
        {
            "name": "fdb-operator",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "500m",
            "memory": "256Mi",
            "from": f"{S}/foundationdb-operator/charts/fdb-operator/values.yaml resources",
        }
    ],
    "cozy-rabbitmq-operator/rabbitmq-operator": [
        {
            "name": "rabbitmq-cluster-operator",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "200m",
            "memory": "500Mi",
            "from": f"{S}/rabbitmq-operator/templates/cluster-operator.yml",
        },
        {
            "name": "messaging-topology-operator",
            "kind": "Deployment",
            "placement": "any",
            "replicas": 1,
            "cpu": "100m",
            "memory": "100Mi",
            "from": f"{S}/rabbitmq-operator/templates/messaging-topology-operator.yml",
        },
    ],
}


def main(mirror: str) -> None:
    def show(path: str) -> str:
        return subprocess.run(
            ["git", "-C", mirror, "show", f"{TAG}:{path}"], capture_output=True, text=True, check=True
        ).stdout

    commit = subprocess.run(
        ["git", "-C", mirror, "rev-parse", f"{TAG}^{{commit}}"], capture_output=True, text=True, check=True
    ).stdout.strip()
    names = subprocess.run(
        ["git", "-C", mirror, "ls-tree", "--name-only", TAG, "packages/core/platform/sources/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    sources = {
        d["metadata"]["name"]: d
        for f in names
        for d in yaml.safe_load_all(show(f))
        if d and d.get("kind") == "PackageSource"
    }
    chosen = dict(PACKAGES)

    def variant(pkg: str) -> dict[str, Any]:
        return next(v for v in sources[pkg]["spec"]["variants"] if v["name"] == chosen[pkg])

    def installed(pkg: str) -> list[dict[str, Any]]:
        return [c for c in variant(pkg).get("components") or [] if c.get("install")]

    def key(c: dict[str, Any]) -> str:
        return f"{c['install']['namespace']}/{c['install'].get('releaseName') or c['name']}"

    chart = yaml.safe_load(show("packages/core/platform/Chart.yaml"))
    releases = [
        {
            "name": "cozystack-platform",
            "namespace": "cozy-system",
            "package": "cozystack.cozystack-platform",
            "chart": chart["name"],
            "chart_version": str(chart["version"]),
            "path": "packages/core/platform",
            "depends_on": [],
            "workloads": [],
        }
    ]
    for pkg, _ in PACKAGES:
        by_name = {c["name"]: key(c) for c in installed(pkg)}
        from_packages = [key(c) for dep in variant(pkg).get("dependsOn") or [] for c in installed(dep)]
        for c in installed(pkg):
            meta = yaml.safe_load(show(f"packages/{c['path']}/Chart.yaml"))
            ns, _, name = key(c).partition("/")
            releases.append(
                {
                    "name": name,
                    "namespace": ns,
                    "package": pkg,
                    "chart": meta["name"],
                    "chart_version": str(meta["version"]),
                    "path": f"packages/{c['path']}",
                    "depends_on": [by_name[d] for d in c["install"].get("dependsOn") or []] + from_packages,
                    "workloads": WORKLOADS.get(key(c), []),
                }
            )
    content = {
        "variant": "isp-full",
        "packages": [{"name": p, "variant": v} for p, v in PACKAGES],
        "releases": releases,
    }
    doc = {
        "provenance": {
            "repository": "cozystack/cozystack",
            "tag": TAG,
            "commit": commit,
            "paths": [
                "packages/core/platform/templates/bundles/{system,iaas,paas,naas}.yaml",
                "packages/core/platform/templates/_helpers.tpl",
                "packages/core/platform/values-isp-full.yaml",
                "packages/core/platform/sources/*.yaml",
                "packages/system/*/Chart.yaml",
                "packages/system/*/values.yaml and charts/*/values.yaml, templates/*.yaml (requests)",
                "cmd/cozystack-operator/main.go (platform PackageSource)",
                "internal/operator/package_reconciler.go (labels, dependsOn)",
            ],
            "read": datetime.date.today().isoformat(),
            "derived_by": "scripts/derive_cozystack.py",
            "content_sha256": content_sha256(content),
        }
    }
    doc.update(content)
    sys.stdout.write(HEADER + yaml.safe_dump(doc, sort_keys=False, width=120, default_flow_style=None))


HEADER = """\
# CozyStack v1.3.3 as variant isp-full installs it: every HelmRelease the Package reconciler creates (release
# name, namespace, Package, chart, dependsOn as it builds them) and, per release, the workloads whose pods
# request CPU or memory in the chart's defaults. Releases without workloads set no requests anywhere in
# their chart defaults (BestEffort pods: the scheduler places them whatever the node's size).
# Not here: pods no chart renders (Talos's static pods and CoreDNS, Flux, and what KubeVirt, CDI, Piraeus and
# the CAPI operator create later; helm --wait does not wait for them): cluster_overhead_v1_3_3.yaml. Not
# counted anywhere: the root tenant's optional apps and hook Jobs.
# Facts extracted by scripts/derive_cozystack.py from the tag below; provenance.content_sha256 covers
# every key after provenance (tests/test_platform_data.py fails when either drifts).
"""

if __name__ == "__main__":
    main(sys.argv[1])
