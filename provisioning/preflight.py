"""Checks that run before the first API call that could cost money or touch the wrong account.

preflight() is called by the lab fixture (and `tdg` commands) once per run. It raises a
GuardError subclass naming what to change; it never creates anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from provisioning import cost
from provisioning.settings import RunSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Preflight:
    """What preflight found out: the cost estimate (and, live, the account it checked)."""

    estimate: cost.Estimate
    lines: tuple[str, ...]


def preflight(settings: RunSettings, *, today: date | None = None) -> Preflight:
    """Estimate the run and refuse it over budget, before any API call."""
    today = today or datetime.now(UTC).date()
    topo = settings.topology
    est = cost.estimate(topo, hours=topo.hours_per_day, today=today)
    if settings.budget_usd_per_month is not None and not settings.existing:
        cost.check_budget(est, settings.budget_usd_per_month)
    lines = (f"profile {topo.name} in {topo.region}, mode {settings.mode}, run {settings.run_id}",
             f"estimate: ${est.run.total_usd:.2f} for a {topo.hours_per_day:g} h session, "
             f"${est.month.total_usd:.2f}/month projected"
             + (f" (budget ${settings.budget_usd_per_month:.2f})" if settings.budget_usd_per_month else ""))
    for line in lines:
        log.info("%s", line)
    return Preflight(est, lines)
