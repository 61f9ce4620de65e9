"""Checks that run before the first API call that could cost money or touch the wrong account.

preflight() is called by the lab fixture (and `tdg` commands) once per run. It raises a
GuardError subclass naming what to change; it never creates anything. Order: the budget
(no API call), then, live only, the account and region guard (one STS read).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from provisioning import cost, guards
from provisioning.aws.client import ClientFactory
from provisioning.errors import GuardError, SetupError, TdgError
from provisioning.phases import talos as talos_phase
from provisioning.plan import plan
from provisioning.settings import RunSettings
from provisioning.talos.adapter import Talosctl

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Preflight:
    """What preflight found out: the cost estimate and, live, the (masked) account it checked."""

    estimate: cost.Estimate
    lines: tuple[str, ...]
    account: str | None = None


def preflight(settings: RunSettings, *, clients: ClientFactory | None = None, today: date | None = None,
              env: Mapping[str, str] | None = None) -> Preflight:
    """Refuse the run over budget (before any API call) and, live, outside the allowed account/region.

    Live runs must pass the run's clients: the account guard asks STS through them. Existing
    mode skips the budget (it creates nothing) but not the account guard.
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
        lines.append(_will_create(settings))
    if "talos" in settings.phases and not settings.existing:
        lines += _talos_ready(settings, env)
    account = None
    if settings.mode == "live":
        if clients is None:
            raise GuardError("a live run checks its account before any API call that changes anything: "
                             "preflight needs the run's clients")
        who = guards.check_account(clients, allowed=guards.allowlist(topo, env), regions=(topo.region,),
                                   profile=topo.name)
        account = who.masked
        lines.append(f"{who.describe()}: on the allowlist")
    for line in lines:
        log.info("%s", line)
    return Preflight(est, tuple(lines), account)


def _will_create(settings: RunSettings) -> str:
    """One line saying what the run will create, by kind."""
    specs = plan(settings.topology, settings.phases)
    kinds = Counter(s.kind for s in specs)
    listing = ", ".join(f"{kind} {n}" for kind, n in kinds.items())
    return f"will create {len(specs)} resources ({', '.join(settings.phases)}): {listing}"


def _talos_ready(settings: RunSettings, env: Mapping[str, str]) -> list[str]:
    """The Talos phase's boot verdict; live, refuse without a pinned checksum or a talosctl binary."""
    live = settings.mode == "live"
    try:
        lines = list(talos_phase.preflight(settings.topology, live=live, env=env))
        if live:
            Talosctl(talosconfig=Path(os.devnull), endpoints=("127.0.0.1",)).resolve_binary()
    except (SetupError, TdgError) as exc:
        raise GuardError(f"the Talos phase cannot run: {exc}") from exc
    return lines


def _budget_note(settings: RunSettings) -> str:
    if settings.budget_usd_per_month is None:
        return ""
    if settings.existing:
        return " (budget not applied: --existing creates nothing)"
    return f" (budget ${settings.budget_usd_per_month:.2f})"
