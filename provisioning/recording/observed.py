"""Facts a recorded run observed, imported for the stand-ins (`tdg recording import`).

An imported file (provisioning/data/observed/<run id>.yaml) holds INPUTS of the stand-ins' models,
never their answers: per instance type the MemTotal Talos reported (`get memorystats`) and the
memory and CPU capacity the kubelet reported (`/api/v1/nodes`); the extensions' versions; the
kubelet, kernel and container runtime versions; the pods' container requests. The stand-ins derive
everything else as before: the talosctl stand-in its node from the instance and the applied config
with MemTotal from here, the Kubernetes stand-in allocatable from this capacity less Talos'
reservations. The file is validated as the models need it (a MemTotal above the instance type's
memory, a CPU count that is not the type's, a label claiming live for an offline run are refused,
naming the file, the field, the value and why), and facts of another pinned Talos version are not
used.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from provisioning import yamlio
from provisioning.data import DATA_DIR, load_data
from provisioning.errors import SetupError

log = logging.getLogger(__name__)
OBSERVED_DIR = DATA_DIR / "observed"
FORMAT = "tdg-observed/1"
RUNS = {"live": "a live run", "endpoint": "a run against an AWS-compatible endpoint (not AWS)",
        "offline": "an offline run (moto and the stand-ins)"}
PREFERENCE = ("live", "endpoint", "offline")  # a live run's facts win over any other's, whatever their date
VERSION = re.compile(r"^v?\d+\.\d+\.\d+(?:[-+][\w.]+)?$")


class ObservedError(SetupError):
    """An imported facts file (or what would be imported) the models cannot take."""


def provenance_label(mode: str, when: str) -> str:
    """'recorded from a live run of <date>' only for a live run; other modes say what they were."""
    if mode not in RUNS:
        raise ObservedError(f"mode {mode!r}: must be one of {', '.join(RUNS)}")
    day = dt.datetime.fromisoformat(when).strftime("%Y-%m-%d %H:%M UTC")
    return f"recorded from {RUNS[mode].split(' (')[0]} of {day}"


@dataclass(frozen=True)
class TypeFacts:
    """What the nodes of one instance type reported: MemTotal (Talos) and capacity (kubelet)."""

    instance_type: str
    nodes: tuple[str, ...]
    memtotal_kib: int | None = None
    capacity_cpu: int | None = None
    capacity_memory_kib: int | None = None

    @property
    def memtotal_mib(self) -> int | None:
        return None if self.memtotal_kib is None else self.memtotal_kib // 1024


@dataclass(frozen=True)
class Observed:
    """One imported run's facts, validated."""

    path: Path
    label: str
    mode: str
    when: str
    run_id: str
    talos_version: str
    types: Mapping[str, TypeFacts]
    extensions: Mapping[str, str]
    kubernetes: Mapping[str, str]
    pods: tuple[Mapping[str, Any], ...]


def _field(doc: Mapping[str, Any], where: str, key: str, kind: type | tuple[type, ...]) -> Any:
    value = doc.get(key) if isinstance(doc, Mapping) else None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ObservedError(f"{where}.{key} = {value!r}: expected {getattr(kind, '__name__', kind)}")
    return value


def _type_facts(name: str, raw: Mapping[str, Any], where: str) -> TypeFacts:
    catalog = load_data("instance_types")["types"]
    if name not in catalog:
        raise ObservedError(f"{where}: instance type {name!r} is not in instance_types.yaml (the models size "
                            "nodes from it)")
    nominal_kib, vcpu = int(catalog[name]["memory_mib"]) * 1024, int(catalog[name]["vcpu"])
    facts = TypeFacts(name, tuple(str(n) for n in raw.get("nodes") or ()), raw.get("memtotal_kib"),
                      raw.get("capacity_cpu"), raw.get("capacity_memory_kib"))
    for key in ("memtotal_kib", "capacity_memory_kib"):
        value = getattr(facts, key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= nominal_kib:
            raise ObservedError(f"{where}.{key} = {value!r}: must be a whole number of KiB above 0 and at most "
                                f"{name}'s {nominal_kib} KiB (a node cannot have more memory than its instance)")
    if facts.capacity_cpu is not None and facts.capacity_cpu != vcpu:
        raise ObservedError(f"{where}.capacity_cpu = {facts.capacity_cpu!r}: {name} has {vcpu} vCPUs "
                            "(instance_types.yaml); a node reporting another count is not of this type")
    return facts


def validate(doc: Any, path: Path) -> Observed:
    """The facts of one imported file, or ObservedError naming the file, field, value and why."""
    where = path.name
    if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
        got = doc.get("format") if isinstance(doc, Mapping) else type(doc).__name__
        raise ObservedError(f"{where}: format {got!r}, expected {FORMAT!r} (written by tdg recording import)")
    prov = _field(doc, where, "provenance", Mapping)
    mode, when = _field(prov, f"{where}.provenance", "mode", str), _field(prov, f"{where}.provenance", "when", str)
    try:
        label = provenance_label(mode, when)
    except (ObservedError, ValueError) as exc:
        raise ObservedError(f"{where}.provenance: {exc}") from exc
    if prov.get("label") != label:
        raise ObservedError(f"{where}.provenance.label = {prov.get('label')!r}: a run of mode {mode!r} at {when} "
                            f"is labelled {label!r}")
    talos = _field(doc, where, "talos", Mapping)
    version = _field(talos, f"{where}.talos", "version", str)
    if not VERSION.match(version):
        raise ObservedError(f"{where}.talos.version = {version!r}: not a version (vX.Y.Z)")
    extensions = {str(k): str(v) for k, v in (talos.get("extensions") or {}).items()}
    types = {str(k): _type_facts(str(k), v, f"{where}.instance_types.{k}")
             for k, v in (_field(doc, where, "instance_types", Mapping)).items()}
    kube = {str(k): str(v) for k, v in (doc.get("kubernetes") or {}).items()}
    return Observed(path, label, mode, when, str(prov.get("run_id", "")), version, types, extensions, kube,
                    tuple(doc.get("pods") or ()))


def read(path: Path) -> Observed:
    """Read and validate one imported file."""
    try:
        doc = yamlio.load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ObservedError(f"{path}: cannot read imported facts: {exc}") from exc
    return validate(doc, path)


def load_observed(directory: Path = OBSERVED_DIR, talos_version: str | None = None) -> Observed | None:
    """The imported run whose facts the stand-ins use: of the pinned Talos version, live first, then newest.

    None when nothing was imported (the stand-ins keep their reconstructed inputs). Every file is
    validated; one that fails stops the run naming it.
    """
    pinned = talos_version or str(load_data("versions")["talos"]["version"])
    found = [read(p) for p in sorted(directory.glob("*.yaml"))] if directory.is_dir() else []
    usable = [o for o in found if o.talos_version == pinned]
    for o in found:
        if o not in usable:
            log.info("imported facts %s are of Talos %s, not the pinned %s: not used", o.path, o.talos_version,
                     pinned)
    if not usable:
        return None
    return min(usable, key=lambda o: (PREFERENCE.index(o.mode), -dt.datetime.fromisoformat(o.when).timestamp()))


def memtotal_mib(observed: Observed | None, instance_type: str) -> int | None:
    """The MemTotal (MiB) Talos reported on instance_type in the imported run, or None."""
    facts = observed.types.get(instance_type) if observed else None
    return facts.memtotal_mib if facts else None


def capacity_memory_mib(observed: Observed | None, instance_type: str) -> int | None:
    """The memory capacity (MiB) the kubelet reported on instance_type in the imported run, or None."""
    facts = observed.types.get(instance_type) if observed else None
    return None if facts is None or facts.capacity_memory_kib is None else facts.capacity_memory_kib // 1024
