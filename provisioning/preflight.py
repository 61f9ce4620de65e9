"""Checks that run before the first API call that could cost money or touch the wrong account.

preflight() is called by the lab fixture (and `tdg` commands) once per run. It raises a
GuardError subclass naming what to change; it never creates anything. Order: the budget
(no API call); live only: the tools the run will call (helm for the CozyStack phase, talosctl
of the pinned Talos minor), the account and region guard (one STS read), then the account's
Running On-Demand Standard vCPU quota against the profile (one Service Quotas read).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from provisioning import cost, guards
from provisioning.aws.client import ClientFactory
from provisioning.aws.instance_types import describe as describe_types
from provisioning.aws.quotas import check_vcpu_quota
from provisioning.capacity import instance_catalog
from provisioning.data import load_data
from provisioning.errors import GuardError, SetupError, TdgError
from provisioning.phases import talos as talos_phase
from provisioning.plan import ResourceSpec, plan
from provisioning.settings import RunSettings
from provisioning.talos.adapter import Runner, Talosctl, TalosctlError, TalosctlNotFound

log = logging.getLogger(__name__)


class ToolsMissing(GuardError):
    """A tool the run will call is missing or of the wrong version; names each one and what to install."""


@dataclass(frozen=True)
class Preflight:
    """What preflight found out: the cost estimate and, live, the (masked) account it checked."""

    estimate: cost.Estimate
    lines: tuple[str, ...]
    account: str | None = None


def preflight(settings: RunSettings, *, clients: ClientFactory | None = None, today: date | None = None,
              env: Mapping[str, str] | None = None, runner: Runner = subprocess.run,
              reusable: Callable[[], Collection[str]] | None = None) -> Preflight:
    """Refuse the run over budget (before any API call) and, live, outside the allowed account/region.

    Live runs must pass the run's clients: the account guard asks STS through them. Existing
    mode skips the budget (it creates nothing) but not the account guard. Under --reuse,
    reusable() (called after the budget passed) returns the plan keys the kept run already
    has; they are listed as adopted, not created.
    """
    today = today or datetime.now(UTC).date()
    env = os.environ if env is None else env
    topo = settings.topology
    est = cost.estimate(topo, hours=topo.hours_per_day, today=today)
    if settings.budget_usd_per_month is not None and not settings.existing:
        cost.check_budget(est, settings.budget_usd_per_month)
    lines = [f"profile {topo.name} in {topo.region}, mode {settings.mode}"
             f"{' (existing: verify only)' if settings.existing else ''}, run {settings.run_id}",
             f"estimate: ${est.run.total_usd:.2f} for a {topo.hours_per_day:g} h session, "
             f"${est.month.total_usd:.2f}/month projected"
             + _budget_note(settings)]
    if not settings.existing:
        lines.append(_will_create(settings, set(reusable()) if reusable and settings.reuse else set()))
    if "talos" in settings.phases and not settings.existing:
        lines += _talos_ready(settings, env)
    if settings.mode == "live" and not settings.existing:
        lines += tools_ready(settings.phases, env, runner)
    account = None
    if settings.mode == "live":
        if clients is None:
            raise GuardError("a live run checks its account before any API call that changes anything: "
                             "preflight needs the run's clients")
        who = guards.check_account(clients, allowed=guards.allowlist(topo, env), regions=(topo.region,),
                                   profile=topo.name)
        account = who.masked
        lines.append(f"{who.describe()}: on the allowlist")
        if not settings.existing:
            types = [topo.bastion.instance_type, *(n.instance_type for n in topo.nodes)]
            vcpus = {t: info.vcpu for t, info in instance_catalog(describe_types(clients, types).info).items()}
            lines.append(check_vcpu_quota(clients, topo, vcpus).describe())
    for line in lines:
        log.info("%s", line)
    return Preflight(est, tuple(lines), account)


def _will_create(settings: RunSettings, adopt: set[str]) -> str:
    """One line saying what the run will adopt (--reuse) and create, by kind."""
    specs = plan(settings.topology, settings.phases)
    phases = ", ".join(settings.phases)

    def listing(chosen: list[ResourceSpec]) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in Counter(s.kind for s in chosen).items()) or "nothing"

    new = [s for s in specs if s.key not in adopt]
    if not adopt:
        return f"will create {len(new)} resources ({phases}): {listing(new)}"
    kept = [s for s in specs if s.key in adopt]
    return (f"will adopt {len(kept)} resources of run {settings.run_id}: {listing(kept)}; "
            f"will create {len(new)} ({phases}): {listing(new)}")


def _talos_ready(settings: RunSettings, env: Mapping[str, str]) -> list[str]:
    """The Talos phase's boot verdict; live, refuse without a pinned checksum or a talosctl binary."""
    live = settings.mode == "live"
    try:
        lines = list(talos_phase.preflight(settings.topology, live=live, env=env))
    except (SetupError, TdgError) as exc:
        raise GuardError(f"the Talos phase cannot run: {exc}") from exc
    return lines


def _minor(tag: str) -> str:
    return ".".join(tag.lstrip("v").split(".")[:2])


def talosctl_tag(env: Mapping[str, str], runner: Runner) -> str:
    """The tag `talosctl version --client` prints (TalosctlNotFound without the binary on PATH)."""
    with tempfile.TemporaryDirectory(prefix="tdg-preflight-") as tmp:
        config = Path(tmp) / "talosconfig"  # version --client reads no config; the adapter wants a file
        config.write_text("context: preflight\ncontexts: {}\n", encoding="utf-8")
        return Talosctl(config, ("127.0.0.1",), env=env, runner=runner, timeout_s=30.0).client_version()


def tools_ready(phases: tuple[str, ...], env: Mapping[str, str], runner: Runner) -> list[str]:
    """Refuse (ToolsMissing, naming each) unless the binaries the phases will run are on PATH at the right version.

    helm installs CozyStack's charts (phase cozystack); talosctl configures the nodes (phase
    talos) and must be the minor of the pinned Talos (versions.yaml talos.version).
    """
    lines, missing = [], []
    if "cozystack" in phases:
        helm = shutil.which("helm", path=env.get("PATH"))
        if helm is None:
            missing.append("helm is not on PATH: the CozyStack phase installs its charts with helm; install helm 3 "
                           "(https://helm.sh/docs/intro/install/)")
        else:
            lines.append(f"helm: {helm}")
    if "talos" in phases:
        pinned = str(load_data("versions")["talos"]["version"])
        try:
            tag = talosctl_tag(env, runner)
        except TalosctlNotFound as exc:
            missing.append(str(exc))
        except TalosctlError as exc:
            missing.append(f"talosctl on PATH does not say its version: {exc}")
        else:
            if _minor(tag) != _minor(pinned):
                missing.append(f"talosctl on PATH is {tag}, the nodes run Talos {pinned}: install talosctl "
                               f"v{_minor(pinned)}.x (https://github.com/siderolabs/talos/releases/tag/{pinned})")
            else:
                lines.append(f"talosctl {tag} (nodes run Talos {pinned})")
    if missing:
        raise ToolsMissing("the run cannot start: " + "; ".join(missing))
    return lines


def _budget_note(settings: RunSettings) -> str:
    if settings.budget_usd_per_month is None:
        return ""
    if settings.existing:
        return " (budget not applied: --existing creates nothing)"
    return f" (budget ${settings.budget_usd_per_month:.2f})"
