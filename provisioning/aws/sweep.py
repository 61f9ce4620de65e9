"""Find what earlier runs left behind (ManagedBy=tdg), price it per hour, and delete it by run.

Only resources carrying ManagedBy=tdg are ever listed (provisioning.aws.inventory), and the
executor re-reads each resource's tags before deleting it and refuses anything without
ManagedBy=tdg and the run id: a resource someone else made, even inside the lab's VPC,
is never touched. Deletion reuses Executor.teardown per run (dependency order, orphan
adoption, DependencyViolation retries) and repeats until nothing is left or a round limit.

--older-than selects whole runs whose newest tdg:created tag is older than the limit, so a
run still being built in another terminal is never half swept.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from provisioning import tags as tagging
from provisioning.aws import executor as engine  # a module: executor imports this package's modules
from provisioning.aws.client import ClientFactory
from provisioning.aws.inventory import Found, find_tagged
from provisioning.aws.kinds import REGISTRY, RunContext
from provisioning.aws.ledger import Entry, Ledger
from provisioning.errors import TeardownError
from provisioning.prices import PriceBook, PriceError, price_book

log = logging.getLogger(__name__)

CREATED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
RUNNING = ("pending", "running")


@dataclass(frozen=True)
class Leftover:
    """One resource to sweep, with what it costs per hour while it exists (None: no price known)."""

    found: Found
    usd_per_hour: float | None
    price_note: str
    age: timedelta | None


@dataclass(frozen=True)
class Selection:
    """What a sweep would delete, and the runs it leaves alone with the reason."""

    leftovers: tuple[Leftover, ...]
    spared: tuple[tuple[str, str], ...] = ()

    @property
    def usd_per_hour(self) -> float:
        return sum(x.usd_per_hour or 0.0 for x in self.leftovers)

    @property
    def run_ids(self) -> tuple[str, ...]:
        return tuple(sorted({x.found.run_id for x in self.leftovers}))


@dataclass(frozen=True)
class SweepResult:
    """After deleting: rounds used and what is left, each with why."""

    rounds: int
    remaining: tuple[tuple[Found, str], ...]


def created_at(found: Found) -> datetime | None:
    """When the resource was created, from its tdg:created tag (UTC, naive), or None."""
    raw = found.tags.get(tagging.CREATED_KEY)
    try:
        return datetime.strptime(raw, CREATED_FORMAT) if raw else None
    except ValueError:
        return None


def burn_rate(found: Found, prices: PriceBook) -> tuple[float | None, str]:
    """USD per hour the resource costs while it exists, and how that was worked out."""
    a = found.attrs
    if found.kind == "instance":
        running = found.state in RUNNING
        rate, parts = 0.0, []
        if running:
            try:
                rate += prices.instance(a.get("InstanceType", "")).usd
                parts.append(a.get("InstanceType", "?"))
            except PriceError:
                return None, f"no price for {a.get('InstanceType', '?')} in {prices.region}"
        if a.get("PublicIpAddress"):
            rate += prices.public_ipv4_hour.usd
            parts.append("public IPv4")
        return rate, " + ".join(parts) if parts else f"{found.state}: its volumes are listed on their own"
    if found.kind == "volume":
        gb = float(a.get("Size", 0))
        return gb * prices.gp3_gb_month.usd / prices.hours_per_month, f"{gb:g} GB at the gp3 price"
    if found.kind == "nat_gateway":
        return prices.nat_hour.usd, "NAT gateway hour (data processed on top)"
    if found.kind == "elastic_ip":
        if a.get("InstanceId"):
            return 0.0, "counted on its instance"
        return prices.public_ipv4_hour.usd, "public IPv4"
    return 0.0, "no hourly charge"


def _newest(items: Iterable[Found]) -> datetime | None:
    times = [t for t in (created_at(f) for f in items) if t is not None]
    return max(times) if times else None


def select(clients: ClientFactory, *, now: datetime, run_id: str | None = None,
           older_than: timedelta | None = None, prices: PriceBook | None = None) -> Selection:
    """List the suite's resources (of one run, or of runs older than a limit) with their hourly cost.

    now is UTC (naive or aware); with older_than, runs whose newest tdg:created is younger, or
    that have no tdg:created at all, are spared and named with the reason.
    """
    now = now.replace(tzinfo=None)
    prices = prices or price_book(clients.region)
    found = find_tagged(clients, run_id)
    spared: list[tuple[str, str]] = []
    if older_than is not None:
        keep: list[Found] = []
        for rid in sorted({f.run_id for f in found}):
            items = [f for f in found if f.run_id == rid]
            newest = _newest(items)
            if newest is None:
                spared.append((rid, f"{len(items)} resource(s) without a {tagging.CREATED_KEY} tag: age unknown"))
            elif now - newest < older_than:
                spared.append((rid, f"newest resource created {_age(now - newest)} ago, younger than "
                                    f"{_age(older_than)}"))
            else:
                keep += items
        found = keep
    leftovers = []
    for f in found:
        rate, note = burn_rate(f, prices)
        made = created_at(f)
        leftovers.append(Leftover(f, rate, note, now - made if made else None))
    return Selection(tuple(leftovers), tuple(spared))


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes}m"
    return f"{minutes // 60}h" if minutes < 48 * 60 else f"{minutes // 1440}d"


def format_table(selection: Selection) -> str:
    """The leftovers as an aligned table, then the total burn rate."""
    rows = [("run", "kind", "id", "name", "state", "age", "USD/h", "why it costs")]
    for x in sorted(selection.leftovers, key=lambda x: (x.found.run_id, x.found.kind, x.found.id)):
        f = x.found
        rows.append((f.run_id or "?", f.kind, f.id, f.tags.get("Name", ""), f.state or "-",
                     _age(x.age) if x.age is not None else "?",
                     "?" if x.usd_per_hour is None else f"{x.usd_per_hour:.4f}", x.price_note))
    widths = [max(len(r[c]) for r in rows) for c in range(7)]
    lines = ["  ".join([*(r[c].ljust(widths[c]) for c in range(6)), r[6].rjust(widths[6]), r[7]]).rstrip()
             for r in rows]
    rate = selection.usd_per_hour
    lines.append(f"{len(selection.leftovers)} resource(s) of {len(selection.run_ids)} run(s) burn "
                 f"${rate:.4f}/hour (${rate * 730:.2f}/month if left)")
    lines += [f"spared run {rid}: {why}" for rid, why in selection.spared]
    return "\n".join(lines)


def _teardown_run(clients: ClientFactory, rid: str, items: list[Found],
                  executor_options: dict[str, object]) -> dict[str, str]:
    """Tear one run down from a ledger of what was found; return resource id -> why it failed."""
    ledger = Ledger(rid)
    for f in items:
        if f.kind in REGISTRY:
            ledger.add(Entry(f.kind, f.tags.get(tagging.SPEC_KEY, f.id), f.id, f.tags.get(tagging.PHASE_KEY, ""),
                             clients.region, True))
    profile = next((f.tags[tagging.PROFILE_KEY] for f in items if tagging.PROFILE_KEY in f.tags), "")
    executor = engine.Executor(RunContext(clients, rid, profile), ledger, **executor_options)  # type: ignore[arg-type]
    try:
        executor.teardown()
    except TeardownError as exc:
        return {what.split(" ")[1]: why for what, why in exc.failures}
    return {}


def delete(clients: ClientFactory, selection: Selection, *, max_rounds: int = 5,
           sleep: Callable[[float], None] | None = None, dependency_attempts: int = 8) -> SweepResult:
    """Delete the selected runs' resources, round after round, until none is left or max_rounds.

    Returns what is left with the reason: the last teardown error, that no kind module can
    delete that kind, or that it carries no run id (then no run owns it and it is not touched).
    """
    options: dict[str, object] = {"dependency_attempts": dependency_attempts}
    if sleep is not None:
        options["sleep"] = sleep
    runs = tuple(rid for rid in selection.run_ids if rid)
    unowned = [x.found for x in selection.leftovers if not x.found.run_id]
    current = [x.found for x in selection.leftovers if x.found.run_id]
    why: dict[str, str] = {}
    rounds = 0
    while any(f.kind in REGISTRY for f in current) and rounds < max_rounds:
        rounds += 1
        for rid in runs:
            why.update(_teardown_run(clients, rid, [f for f in current if f.run_id == rid], options))
        current = [f for rid in runs for f in find_tagged(clients, rid)]
        log.info("sweep round %d: %d resource(s) left", rounds, len(current))
    remaining = [(f, "no tdg:run-id tag: the sweeper deletes only what a run owns") for f in unowned]
    remaining += [(f, why.get(f.id) or (f"no kind module deletes a {f.kind} (provisioning/aws)"
                                        if f.kind not in REGISTRY else f"still there after {rounds} round(s)"))
                  for f in current]
    return SweepResult(rounds, tuple(remaining))


def settle_leftovers_file(path: Path, swept: Iterable[str], remaining: Iterable[Found]) -> str | None:
    """Rewrite (or remove) a run's leftovers.json after sweeping it; return what was done, or None.

    Only a file of a swept run is touched: it keeps the entries still there, and goes when
    none is left, so a stale list never outlives the resources it names.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rid = data["run_id"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if rid not in set(swept):
        return None
    left = {f.id for f in remaining if f.run_id == rid}
    if not left:
        path.unlink()
        return f"removed {path}: run {rid} has nothing left"
    data["resources"] = [r for r in data.get("resources", []) if isinstance(r, dict) and r.get("id") in left]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return f"rewrote {path}: {len(data['resources'])} resource(s) of run {rid} left"
