"""Price a lab before it is built: an itemised run estimate and a monthly projection.

Pure: reads provisioning/data/prices.yaml and free_tier.yaml and a Topology; no AWS calls.
Amounts are USD, Linux on-demand, shared tenancy. The lab is assumed to exist only while
it is used (built and torn down each session), so volumes, addresses and the NAT gateway
are billed for the same hours as the instances; GB-month prices are pro rata over
``hours_per_month`` of prices.yaml. The free trial's pool is assumed otherwise unused.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from provisioning import credits
from provisioning.errors import GuardError, OptionError
from provisioning.prices import FreeTrial, Price, PriceBook, PriceError, free_trials, price_book
from provisioning.topology import Topology

log = logging.getLogger(__name__)

MAX_RUN_HOURS = 744.0  # the longest calendar month: one free-trial pool per estimate


@dataclass(frozen=True)
class Item:
    """One line of a bill: usd == quantity * unit_usd."""

    name: str
    quantity: float
    unit: str
    unit_usd: float
    usd: float
    note: str = ""
    verified: bool = True


@dataclass(frozen=True)
class Bill:
    """An itemised bill for one period (a run, or a month)."""

    label: str
    items: tuple[Item, ...]

    @property
    def total_usd(self) -> float:
        return sum(i.usd for i in self.items)

    def biggest(self) -> Item:
        """Return the most expensive item."""
        if not self.items:
            raise PriceError(f"{self.label}: the bill has no items")
        return max(self.items, key=lambda i: i.usd)

    def item(self, name: str) -> Item:
        """Return the item called name (KeyError if absent)."""
        for i in self.items:
            if i.name == name:
                return i
        raise KeyError(name)


@dataclass(frozen=True)
class Estimate:
    """A run of `hours` and the monthly projection of one profile, priced on `today`."""

    profile: str
    region: str
    today: date
    hours: float
    run: Bill
    month: Bill

    def biggest(self) -> Item:
        """Return the biggest item of the monthly projection (the one a budget is about)."""
        return self.month.biggest()


class BudgetError(GuardError):
    """The monthly projection exceeds the budget; names the biggest item, lists them all."""

    def __init__(self, estimate: Estimate, budget_usd_per_month: float) -> None:
        self.estimate = estimate
        self.budget_usd_per_month = budget_usd_per_month
        big = estimate.biggest()
        self.summary = (f"profile {estimate.profile}: monthly projection ${estimate.month.total_usd:.2f} exceeds "
                        f"the budget ${budget_usd_per_month:.2f}; biggest item: {big.name} (${big.usd:.2f}/month)")
        super().__init__(f"{self.summary}\n{format_bill(estimate.month)}")


def _item(name: str, quantity: float, unit: str, price: Price, note: str) -> Item:
    return Item(name, quantity, unit, price.usd, quantity * price.usd, note, price.verified)


def instance_items(runs: Sequence[tuple[str, float]], prices: PriceBook,
                   trials: Sequence[FreeTrial] = (), today: date | None = None) -> list[Item]:
    """Price (instance_type, hours) runs by type; hours a trial covers get their own $0 line.

    With today None no trial is applied. A trial's pool is shared by its types in the order listed.
    """
    hours: defaultdict[str, float] = defaultdict(float)
    count: Counter[str] = Counter()
    for instance_type, h in runs:
        hours[instance_type] += h
        count[instance_type] += 1
    notes = {t: f"{count[t]} instance(s)" for t in hours}
    free: dict[str, tuple[float, FreeTrial]] = {}
    for trial in trials:
        if today is None:
            break
        if not trial.applies(today):
            for t in set(trial.instance_types) & set(hours):
                notes[t] += f"; {trial.name} ended {trial.valid_until}"
            continue
        pool = trial.hours_per_month
        for t in trial.instance_types:
            covered = min(hours.get(t, 0.0), pool)
            if covered > 0:
                pool -= covered
                free[t] = (covered, trial)
    items = []
    for t in sorted(hours):
        covered = free[t][0] if t in free else 0.0
        if t in free:
            tr = free[t][1]
            items.append(Item(f"EC2 {t} (free trial)", covered, "instance-hour", 0.0, 0.0,
                              f"{tr.name}: {tr.hours_per_month:g} h/month pooled over "
                              f"{', '.join(tr.instance_types)} only, until {tr.valid_until}; "
                              f"list price {prices.instance(t).usd:g}", verified=False))
        if hours[t] - covered > 0:
            items.append(_item(f"EC2 {t}", hours[t] - covered, "instance-hour", prices.instance(t), notes[t]))
    return items


def ebs_item(gb_hours: float, prices: PriceBook, note: str) -> Item:
    """Price gp3 storage given in GB-hours, pro rata over the price book's hours per month."""
    return _item("EBS gp3", gb_hours / prices.hours_per_month, "GB-month", prices.gp3_gb_month,
                 f"{note}; pro rata over {prices.hours_per_month:g} h/month")


def _credit_items(runs: Sequence[tuple[str, float]], topo: Topology, region: str) -> list[Item]:
    """Surplus CPU credits of burstable instances in unlimited mode at the profile's average CPU."""
    out = []
    for t, vcpu_h in sorted(credits.surplus_runs(runs, topo.cpu_average_percent).items()):
        usd, source, verified = credits.surplus_price(t, region)
        out.append(Item(f"CPU credits {t} (unlimited)", vcpu_h, "vCPU-hour", usd, vcpu_h * usd,
                        f"surplus above baseline at {topo.cpu_average_percent:g}% average CPU; {source}", verified))
    return out


def _bill(label: str, topo: Topology, node_h: float, bastion_h: float, nat_gb: float,
          prices: PriceBook, trials: Sequence[FreeTrial], today: date) -> Bill:
    b = topo.bastion
    runs = [(b.instance_type, bastion_h)] + [(n.instance_type, node_h) for n in topo.nodes]
    items = instance_items(runs, prices, trials, today)
    if topo.cpu_credits == "unlimited":
        items += _credit_items(runs, topo, prices.region)
    node_gb = [n.root_volume_gb + n.data_volume_gb for n in topo.nodes]
    gb_hours = b.root_volume_gb * bastion_h + sum(node_gb) * node_h
    items.append(ebs_item(gb_hours, prices, f"{b.root_volume_gb + sum(node_gb)} GB: bastion root "
                          f"{b.root_volume_gb} GB + node volumes {'+'.join(map(str, node_gb))} GB"))
    nat_h = max(node_h, bastion_h) if topo.nat_gateway_subnet is not None else 0.0
    ip_hours, holders = 0.0, []
    if b.public_ipv4:
        ip_hours += bastion_h
        holders.append("bastion")
    if topo.subnet(topo.node_subnet).map_public_ipv4:
        ip_hours += node_h * len(topo.nodes)
        holders.append(f"{len(topo.nodes)} nodes (subnet {topo.node_subnet} maps public IPv4)")
    if nat_h:
        ip_hours += nat_h
        holders.append("NAT gateway EIP")
    if ip_hours:
        items.append(_item("public IPv4", ip_hours, "address-hour", prices.public_ipv4_hour, ", ".join(holders)))
    if nat_h:
        always = prices.nat_hour.usd * prices.hours_per_month
        items.append(_item("NAT gateway", nat_h, "hour", prices.nat_hour,
                           f"up as long as the lab (${always:.2f}/month if never stopped)"))
        items.append(_item("NAT gateway data processed", nat_gb, "GB", prices.nat_gb,
                           "a parameter (--nat-gb); internet egress is billed on top"))
    return Bill(label, tuple(items))


def estimate(topo: Topology, *, hours: float, today: date, nat_gb: float = 0.0, nat_gb_per_month: float = 0.0,
             prices: PriceBook | None = None, trials: Sequence[FreeTrial] | None = None) -> Estimate:
    """Price a run of `hours` and a month of the profile's usage (nodes and bastion, see module doc).

    Monthly hours: nodes topo.hours_per_day x days_per_month; the bastion its schedule's
    hours_per_day when mode is asg, else the nodes' usage. Raises OptionError on a bad
    hours or GB value and PriceError when a price is missing.
    """
    if not 0 < hours <= MAX_RUN_HOURS:
        raise OptionError("--hours", hours, f"a run lasts more than 0 and at most {MAX_RUN_HOURS:g} h (one month)")
    for option, gb in (("--nat-gb", nat_gb), ("--nat-gb-month", nat_gb_per_month)):
        if gb < 0:
            raise OptionError(option, gb, "GB processed cannot be negative")
    prices = price_book(topo.region) if prices is None else prices
    trials = free_trials() if trials is None else trials
    node_h = topo.hours_per_day * topo.days_per_month
    bastion_per_day = topo.hours_per_day
    if topo.bastion.mode == "asg" and topo.bastion.schedule is not None:
        bastion_per_day = topo.bastion.schedule.hours_per_day
    label = (f"Month ({topo.days_per_month} days: nodes {topo.hours_per_day:g} h/day, "
             f"bastion {bastion_per_day:g} h/day)")
    month = _bill(label, topo, node_h, bastion_per_day * topo.days_per_month, nat_gb_per_month,
                  prices, trials, today)
    run = _bill(f"Run of {hours:g} h", topo, hours, hours, nat_gb, prices, trials, today)
    return Estimate(topo.name, topo.region, today, hours, run, month)


def format_bill(bill: Bill) -> str:
    """Render a bill as an aligned text table; '*' marks unit prices not confirmed from AWS."""
    rows = [("item", "quantity", "unit", "unit USD", "USD", "note")]
    rows += [(i.name, f"{i.quantity:,.2f}", i.unit, f"{i.unit_usd:.4f}{'' if i.verified else '*'}",
              f"{i.usd:.2f}", i.note) for i in bill.items]
    rows.append(("total", "", "", "", f"{bill.total_usd:.2f}", ""))
    w = [max(len(r[c]) for r in rows) for c in range(5)]
    lines = [f"{bill.label}:"]
    for r in rows:
        cells = [r[0].ljust(w[0]), r[1].rjust(w[1]), r[2].ljust(w[2]), r[3].rjust(w[3]), r[4].rjust(w[4]), r[5]]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return "\n".join(lines)


def format_estimate(est: Estimate) -> str:
    """Render the run estimate, the monthly projection and its biggest item."""
    big = est.biggest()
    parts = [f"Cost of profile {est.profile} in {est.region} (USD, on-demand; free trials as of {est.today})",
             format_bill(est.run), format_bill(est.month),
             f"Monthly projection: ${est.month.total_usd:.2f}; biggest item: {big.name} (${big.usd:.2f})"]
    if not all(i.verified for i in est.run.items + est.month.items):
        parts.append("* not confirmed from AWS (verified: false in provisioning/data/*.yaml); "
                     "`tdg cost --refresh` confirms instance prices")
    return "\n".join(parts)


def check_budget(estimate: Estimate, budget_usd_per_month: float, source: str = "budget") -> None:
    """Raise BudgetError when the monthly projection exceeds budget_usd_per_month.

    source names where the budget came from (--budget, or the profile's budget.usd_per_month)
    in the error for a budget that is not a finite number >= 0.
    """
    if not math.isfinite(budget_usd_per_month) or budget_usd_per_month < 0:
        raise OptionError(source, budget_usd_per_month, "a budget is a finite number of US dollars, 0 or more")
    if estimate.month.total_usd > budget_usd_per_month:
        raise BudgetError(estimate, budget_usd_per_month)
    log.info("profile %s: monthly projection $%.2f within the budget $%.2f",
             estimate.profile, estimate.month.total_usd, budget_usd_per_month)
