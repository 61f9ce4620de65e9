"""Checks of the capacity verdict itself: given in time, stated with numbers, and followed by advice.

Each function returns violation strings (empty = the check passes) naming what, expected, found.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from provisioning.capacity import InstanceInfo, Verdict, instance_catalog
from provisioning.data import load_data

_TYPE = re.compile(r"\b([a-z][a-z0-9]*\.(?:metal|nano|micro|small|medium|\d*x?large))\b")
SIZING_RULES = frozenset({"node_count", "cores_per_node", "ram_per_node"})


def before_spending(mutating_calls: int) -> list[str]:
    """The verdict was reached before the run made any mutating AWS call."""
    if mutating_calls:
        return [f"capacity verdict: expected before any resource was created, found {mutating_calls} mutating "
                f"AWS call(s) before it"]
    return []


def requirements_stated(verdict: Verdict) -> list[str]:
    """Every rule names measured and required values and its source; every unmet rule says what is wrong."""
    out = []
    for r in verdict.requirements:
        missing = [k for k in ("measured", "required", "source") if not getattr(r, k).strip()]
        if missing:
            out.append(f"requirement {r.name}: expected measured, required and source, found no {', '.join(missing)}")
        if not r.met and not re.search(r"\d", r.problem):
            out.append(f"requirement {r.name}: expected a problem with numbers, found {r.problem!r}")
    if not verdict.requirements:
        out.append("capacity verdict: expected requirements, found none")
    return out


def _types_in(line: str) -> list[str]:
    return _TYPE.findall(line)


def advice_given(verdict: Verdict, catalog: Mapping[str, InstanceInfo] | None = None) -> list[str]:
    """Unmet sizing rules get a RECOMMENDED type meeting the minimum; a missing data disk or KVM gets advice too."""
    catalog = catalog if catalog is not None else instance_catalog()
    low = load_data("cozystack")["minimum"]
    unmet = {r.name for r in verdict.unmet}
    out = []
    if unmet & SIZING_RULES:
        rec = verdict.recommendation
        if rec is None:
            out.append(f"advice: expected a RECOMMENDED line for {sorted(unmet & SIZING_RULES)}, found none")
        else:
            for name in _types_in(rec):
                info = catalog.get(name)
                if info is None or info.vcpu < low["cores"] or info.memory_mib < low["memory_gib"] * 1024:
                    out.append(f"advice {rec!r}: expected a type with >= {low['cores']} vCPU and "
                               f">= {low['memory_gib']} GiB, found {name} ({info or 'unknown type'})")
    if "data_disk" in unmet and not any(a.startswith("ALSO:") and "data volume" in a for a in verdict.advice):
        out.append("advice: expected an ALSO line about the missing data disk, found none")
    if "kvm" in unmet:
        alternatives = [a for a in verdict.advice if a.startswith("ALTERNATIVE:")]
        if not alternatives:
            out.append("advice: expected an ALTERNATIVE line for KubeVirt without /dev/kvm, found none")
        for line in alternatives:
            out += [f"advice {line!r}: expected a type with /dev/kvm, found {name}"
                    for name in _types_in(line) if not (catalog.get(name) and catalog[name].kvm)]
    return out
