"""Install the pinned CozyStack and SpinKube on a live cluster, in the order they depend on each other.

CozyStack v1 installs with its installer chart (helm) and a Package object; SpinKube with its
CRD manifest, the spin-operator chart and three objects. Charts run with helm against a
kubeconfig (on a tunnel through the bastion); objects go through the kubernetes client. Only
a failed CozyStack chart stops the install: anything later (timeouts, a failed SpinKube chart)
is kept in the report, so the checks can say what is missing and why.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioning import yamlio
from provisioning.data import load_data
from provisioning.errors import SetupError, WaitTimeout
from provisioning.kube.adapter import KubeApiError, KubeReader
from provisioning.kube.install import Applied, HelmChart, InstallPlan, apply, render_cozystack, render_spinkube
from provisioning.kube.waits import wait_for_helmreleases, wait_for_spinapps
from provisioning.topology import Topology

if TYPE_CHECKING:
    from kubernetes import client
from provisioning.waiting import wait_for

log = logging.getLogger(__name__)
Runner = Callable[..., subprocess.CompletedProcess[str]]
Fetch = Callable[[str], str]
HELM_MARGIN_S = 60


class MissingBinaries(SetupError):
    """A binary the pinned install needs is not on PATH."""


class HelmError(SetupError):
    """helm exited non-zero or timed out."""


def missing_binaries(plan: InstallPlan, which: Callable[[str], str | None] = shutil.which) -> list[str]:
    """Return the binaries the plan needs that are not on PATH (helm, when it has charts)."""
    return ["helm"] if plan.charts and which("helm") is None else []


def require_binaries(plan: InstallPlan, which: Callable[[str], str | None] = shutil.which) -> None:
    """Raise MissingBinaries naming each missing binary, why the pinned version needs it and where to get it."""
    missing = missing_binaries(plan, which)
    if missing:
        version = load_data("cozystack")["version"]["pinned"]
        charts = ", ".join(f"{c.chart}:{c.version}" for c in plan.charts)
        raise MissingBinaries(f"{', '.join(missing)} not found on PATH: CozyStack {version} and SpinKube install "
                              f"from charts ({charts}); install helm 3.8 or later (OCI registries), e.g. "
                              "https://helm.sh/docs/intro/install/")


def run_chart(chart: HelmChart, kubeconfig: Path, *, runner: Runner = subprocess.run) -> None:
    """helm upgrade --install the chart against kubeconfig; raise HelmError with helm's last stderr line."""
    argv = [*chart.helm_args(), "--kubeconfig", str(kubeconfig)]
    limit = chart.timeout_s + HELM_MARGIN_S
    log.info("helm upgrade --install %s %s --version %s (timeout %ss)", chart.release, chart.chart, chart.version,
             chart.timeout_s)
    try:
        done = runner(argv, capture_output=True, text=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired as exc:
        raise HelmError(f"helm install of {chart.release} gave no answer within {limit}s") from exc
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "(no stderr)"
        raise HelmError(f"helm install of {chart.release} ({chart.chart}:{chart.version}) exited "
                        f"{done.returncode}: {last}")


def fetch_text(url: str, timeout_s: float = 60) -> str:
    """GET url (live only: the CRD manifests of a release) and return the body."""
    with urllib.request.urlopen(url, timeout=timeout_s) as answer:  # noqa: S310 (https URLs from the data file)
        return str(answer.read().decode("utf-8"))


def manifest_objects(text: str) -> list[dict[str, Any]]:
    """The objects of a multi-document YAML manifest (empty documents dropped)."""
    return [d for d in yamlio.load_all(text) if isinstance(d, dict) and d.get("kind")]


@dataclass(frozen=True)
class InstallReport:
    """What the install applied and, in order, what did not work."""

    applied: tuple[Applied, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Pace:
    """How the install waits: progress lines, and the clock and sleep (injected by tests)."""

    progress: Callable[[str], None] | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def _apply_when_served(objects: Sequence[dict[str, Any]], api: client.ApiClient, what: str,
                       timeout_s: float, pace: Pace) -> tuple[Applied, ...]:
    """apply() until the objects' CRDs are served (404 means not yet); WaitTimeout after timeout_s."""
    def attempt() -> tuple[Applied, ...]:
        return apply(objects, api)
    return wait_for(what, attempt, timeout_s=timeout_s, interval_s=5.0, progress=pace.progress, clock=pace.clock,
                    sleep=pace.sleep)


def install_live(topo: Topology, api: client.ApiClient, kubeconfig: Path, *, runner: Runner = subprocess.run,
                 fetch: Fetch = fetch_text, pace: Pace | None = None,
                 which: Callable[[str], str | None] = shutil.which) -> InstallReport:
    """Install CozyStack, wait for its HelmReleases, then SpinKube and the hello SpinApp; return the report.

    Raises HelmError when the CozyStack chart fails (nothing else can follow) and MissingBinaries
    when helm is missing. Waits use data/cozystack.yaml limits and print progress lines.
    """
    waits = load_data("cozystack")["waits"]
    pace = pace or Pace()
    cozy, spin = render_cozystack(topo), render_spinkube()
    require_binaries(cozy + spin, which)
    reader = KubeReader(api)
    applied: list[Applied] = []
    problems: list[str] = []
    for chart in cozy.charts:
        run_chart(chart, kubeconfig, runner=runner)
    applied += _apply_when_served(cozy.objects, api, "CozyStack Package CRD served", waits["crds_established_s"],
                                  pace)
    try:
        wait_for_helmreleases(reader, progress=pace.progress, clock=pace.clock, sleep=pace.sleep)
    except WaitTimeout as exc:
        problems.append(f"CozyStack: {str(exc).splitlines()[0]}")
    try:
        crds = [o for url in spin.fetch_urls if url.startswith("https://") and url.endswith(".yaml")
                for o in manifest_objects(fetch(url))]
        applied += apply(crds, api)
        for chart in spin.charts:
            run_chart(chart, kubeconfig, runner=runner)
        applied += _apply_when_served(spin.objects, api, "SpinKube CRDs served", waits["crds_established_s"], pace)
        hello = load_data("cozystack")["spinkube"]["hello_app"]
        wait_for_spinapps(reader, [f"{hello['namespace']}/{hello['name']}"], progress=pace.progress,
                          clock=pace.clock, sleep=pace.sleep)
    except (HelmError, KubeApiError, WaitTimeout, OSError) as exc:
        problems.append(f"SpinKube: {str(exc).splitlines()[0]}")
    for p in problems:
        log.warning("install: %s", p)
    return InstallReport(tuple(applied), tuple(problems))
