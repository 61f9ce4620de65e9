"""provisioning/talos/snapshot.py: one talosctl run per kind for every node; a node that fails fails alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import pytest

from provisioning.talos.adapter import Talosctl, TalosctlError
from provisioning.talos.resources import Version
from provisioning.talos.snapshot import TalosReads

NODES = ["10.10.0.101", "10.10.0.102", "10.10.0.103"]


class FakeTalosctl:
    """Answers `versions` for the nodes asked; a node in `down` makes the whole run fail, like talosctl."""

    def __init__(self, down: Sequence[str] = ()) -> None:
        self.down = set(down)
        self.asked: list[tuple[str, ...]] = []

    def versions(self, nodes: Sequence[str]) -> tuple[Version, ...]:
        self.asked.append(tuple(nodes))
        dead = sorted(self.down & set(nodes))
        if dead:
            raise TalosctlError(["get", "versions"], 1, f"1 error occurred: rpc error: {dead[0]}: connection refused")
        return tuple(Version(node=n, version="v1.12.7") for n in nodes)


def reads(fake: FakeTalosctl) -> TalosReads:
    return TalosReads(cast(Talosctl, fake), NODES)


def test_one_run_answers_every_node_and_each_gets_only_its_own() -> None:
    fake = FakeTalosctl()
    r = reads(fake)
    got: dict[str, Any] = {n: r.of("versions", n) for n in NODES}
    assert fake.asked == [tuple(NODES)]
    assert all([v.node for v in got[n]] == [n] for n in NODES)
    r.forget()
    r.of("versions", NODES[0])
    assert len(fake.asked) == 2


def test_a_node_that_does_not_answer_fails_its_own_read_and_the_others_still_answer() -> None:
    fake = FakeTalosctl(down=[NODES[1]])
    r = reads(fake)
    assert [v.node for v in r.of("versions", NODES[0])] == [NODES[0]]
    with pytest.raises(TalosctlError, match="10.10.0.102: connection refused"):
        r.of("versions", NODES[1])
    assert [v.node for v in r.of("versions", NODES[2])] == [NODES[2]]
    assert fake.asked == [tuple(NODES), (NODES[0],), (NODES[1],), (NODES[2],)]


def test_unknown_kinds_and_nodes_are_refused_by_name() -> None:
    r = reads(FakeTalosctl())
    with pytest.raises(ValueError, match="'apply_config' is not one of"):
        r.of("apply_config", NODES[0])
    with pytest.raises(ValueError, match="'10.10.0.109' is not one of the snapshot's nodes"):
        r.of("versions", "10.10.0.109")
