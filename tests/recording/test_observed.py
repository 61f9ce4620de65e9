"""Imported facts are inputs of the stand-ins' models: which file is used, what it changes, what it refuses.

An imported MemTotal reaches the talosctl stand-in's memorystats answer through the node's state
(the stand-in still derives the answer), an imported kubelet capacity reaches the Kubernetes
stand-in's node (the model still derives allocatable from it), a live run's facts win over an
offline run's, and a file the models cannot take stops the run naming the field.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from fixtures.cozystack import NodeFacts, standin_nodes
from fixtures.kube_standin.world import World
from fixtures.standin_talos import image_extensions, memtotal_mib, talos_node_state
from fixtures.talosctl_standin import STATE_ENV, standin_dir, standin_env, write_state
from provisioning import profiles
from provisioning.aws.instance_state import InstanceState, InterfaceState, VolumeState
from provisioning.phases import talos as phase
from provisioning.recording.importer import import_bundle
from provisioning.recording.observed import OBSERVED_DIR, Observed, ObservedError, load_observed, read
from provisioning.talos.adapter import Talosctl
from tests.recording.bundles import FULL

TOPO = profiles.load("approved")
LIVE_MEMTOTAL_KIB = 3_901_440  # what a live t4g.medium might report; any value below 4 GiB is a valid input


def _imported(tmp_path: Path, *, mode: str = "offline", when: str = "2026-11-30T02:52:14+00:00",
              talos: str | None = None, memtotal: int | None = None, capacity: int | None = None,
              name: str = "run") -> Path:
    """An imported file built from the committed full offline run, with its facts changed as a live run's could be."""
    scratch = tmp_path / f"scratch-{name}"
    doc = yaml.safe_load(import_bundle(FULL, scratch).path.read_text(encoding="utf-8"))
    doc["provenance"].update(mode=mode, when=when, run_id=name,
                             label=f"recorded from {'a live' if mode == 'live' else 'an offline'} run of "
                                   f"{when[:10]} {when[11:16]} UTC")
    medium = doc["instance_types"]["t4g.medium"]
    medium["memtotal_kib"] = memtotal or medium["memtotal_kib"]
    medium["capacity_memory_kib"] = capacity or medium["capacity_memory_kib"]
    doc["talos"]["version"] = talos or doc["talos"]["version"]
    doc["talos"]["extensions"]["spin"] = "v0.22.0" if mode == "live" else doc["talos"]["extensions"]["spin"]
    out = tmp_path / "observed" / f"{name}.yaml"
    out.parent.mkdir(exist_ok=True)
    out.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return out


def test_every_committed_import_is_one_the_models_can_take() -> None:
    """A committed import (README step 3) that was edited by hand, or is of a shape this code no longer reads, fails."""
    assert (OBSERVED_DIR / "README.md").is_file(), "provisioning/data/observed/README.md says what the files are"
    for path in sorted(OBSERVED_DIR.glob("*.yaml")):
        read(path)
    load_observed(OBSERVED_DIR)


def test_a_live_run_wins_over_a_newer_offline_run_and_another_talos_version_is_not_used(tmp_path: Path) -> None:
    _imported(tmp_path, mode="live", when="2026-12-01T10:00:00+00:00", memtotal=LIVE_MEMTOTAL_KIB, name="live")
    _imported(tmp_path, mode="offline", when="2026-12-05T10:00:00+00:00", name="offline-newer")
    _imported(tmp_path, mode="live", when="2026-12-09T10:00:00+00:00", talos="v1.13.0", name="live-other-talos")
    chosen = load_observed(tmp_path / "observed")
    assert chosen is not None and chosen.run_id == "live" and chosen.label.startswith("recorded from a live run")
    assert chosen.types["t4g.medium"].memtotal_kib == LIVE_MEMTOTAL_KIB


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["provenance"].update(label="recorded from a live run of 2026-11-30 02:52 UTC"),
     "provenance.label = 'recorded from a live run of 2026-11-30 02:52 UTC': a run of mode 'offline'"),
    (lambda d: d["instance_types"]["t4g.medium"].update(capacity_cpu=8),
     "instance_types.t4g.medium.capacity_cpu = 8: t4g.medium has 2 vCPUs"),
    (lambda d: d["instance_types"]["t4g.medium"].update(capacity_memory_kib=-1),
     "capacity_memory_kib = -1: must be a whole number of KiB above 0"),
    (lambda d: d["instance_types"].update({"m9.huge": {"nodes": []}}), "instance type 'm9.huge' is not in"),
    (lambda d: d["talos"].update(version="latest"), "talos.version = 'latest': not a version"),
])
def test_a_file_the_models_cannot_take_stops_the_run_naming_the_field(tmp_path: Path, edit: Any,
                                                                        message: str) -> None:
    path = _imported(tmp_path)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ObservedError, match="run.yaml") as exc:
        load_observed(path.parent)
    assert message in str(exc.value)


def _observed(tmp_path: Path, **facts: Any) -> Observed:
    _imported(tmp_path, mode="live", when="2026-12-01T10:00:00+00:00", **facts)
    found = load_observed(tmp_path / "observed")
    assert found is not None
    return found


def test_the_talosctl_stand_in_reports_the_imported_memtotal_and_extension_versions(tmp_path: Path) -> None:
    observed = _observed(tmp_path, memtotal=LIVE_MEMTOTAL_KIB)
    assert memtotal_mib("t4g.medium", observed) == LIVE_MEMTOTAL_KIB // 1024
    assert memtotal_mib("t4g.small", observed) == memtotal_mib("t4g.small"), "a type the run had not: unchanged"
    assert image_extensions(TOPO.nodes[1].image, observed) == [{"name": "spin", "version": "v0.22.0"}]
    node = TOPO.nodes[0]
    eni = InterfaceState("eni-1", 0, (node.private_ip,), None, (), ("sg-1",), "02:00:00:00:00:01")
    inst = InstanceState("i-1", "running", "t4g.medium", "ami-1", "arm64", node.private_ip, None, (eni,),
                         "required", "enabled", "/dev/xvda", (VolumeState("vol-1", "/dev/xvda", 50, "gp3", True, {}),),
                         {}, phase.user_data(TOPO, node, "a" * 64))
    state = write_state(tmp_path / "talos.json",
                        [talos_node_state(node, inst, ipaddress.IPv4Network("10.10.0.0/24"), observed)])
    config = tmp_path / "talosconfig"
    config.write_text("context: t\ncontexts:\n  t:\n    endpoints: []\n", encoding="utf-8")
    env = {**os.environ, "PATH": f"{standin_dir()}{os.pathsep}{os.environ['PATH']}", STATE_ENV: str(state),
           **standin_env()}
    talos = Talosctl(talosconfig=config, endpoints=(node.private_ip,), env=env)
    stats = talos.memory_stats([node.private_ip])
    assert [s.total_kb for s in stats] == [LIVE_MEMTOTAL_KIB // 1024 * 1024]  # the state holds whole MiB
    assert {e.name: e.version for e in talos.extensions([node.private_ip])}["spin"] == "v0.22.0"


def test_the_kubernetes_stand_in_takes_the_imported_capacity_and_still_derives_allocatable(tmp_path: Path) -> None:
    observed = _observed(tmp_path, capacity=LIVE_MEMTOTAL_KIB)
    facts = [NodeFacts(n.name, n.private_ip, n.role, n.instance_type) for n in TOPO.nodes]
    nodes = standin_nodes(facts, observed=observed)
    assert {n["capacity_mib"] for n in nodes} == {LIVE_MEMTOTAL_KIB // 1024} and {n["memory_mib"] for n in nodes} == {
        4096}
    assert {n["capacity_mib"] for n in standin_nodes(facts)} == {None}, "without an import: MemTotal is reconstructed"
    served = World(nodes).initial()["nodes"]
    assert {n["status"]["capacity"]["memory"] for n in served} == {f"{LIVE_MEMTOTAL_KIB // 1024 * 1024}Ki"}
