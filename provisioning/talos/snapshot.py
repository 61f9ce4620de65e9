"""Read each Talos resource kind once for every node, and let the per-node checks share that read.

The per-node scenarios ask the same question of node 1, 2, ... n. Asked one node at a time that
is one talosctl process per node and kind (12 nodes x 13 kinds = 156 runs); here the first
question about a kind runs `talosctl -n <every node> get <kind>` once and later questions read
the answer back. If that batched run fails (a node does not answer: talosctl exits non-zero
for the whole call), the kind falls back to one run per node, so each node's scenario fails
with its own error and the others still pass. Nothing here changes a node: a caller that
changes one (apply-config, a reboot) calls forget().
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from provisioning.talos.adapter import Talosctl, TalosctlError

log = logging.getLogger(__name__)
# The Talosctl readers the per-node checks use: each takes a list of nodes and returns typed objects
# carrying their node.
KINDS = ("versions", "machine_status", "time_status", "memory_stats", "disks", "system_disk", "addresses",
         "address_specs", "operator_specs", "extensions", "services", "routes", "hostname", "resolvers",
         "registries")


class TalosReads:
    """Typed talosctl reads over nodes, each kind fetched for all of them at once and kept."""

    def __init__(self, talosctl: Talosctl, nodes: Sequence[str]) -> None:
        self._talosctl = talosctl
        self._nodes = tuple(nodes)
        self._all: dict[str, tuple[Any, ...]] = {}
        self._failed: set[str] = set()
        self.runs = 0  # talosctl runs made (batched and per-node), for benchmarks and tests

    def of(self, kind: str, node: str) -> tuple[Any, ...]:
        """The objects of kind that node reports; raises TalosctlError when node does not answer."""
        reader = self._reader(kind)
        if node not in self._nodes:
            raise ValueError(f"node {node!r} is not one of the snapshot's nodes {list(self._nodes)}")
        if kind not in self._all and kind not in self._failed:
            try:
                self.runs += 1
                self._all[kind] = tuple(reader(self._nodes))
            except TalosctlError as exc:
                log.info("talosctl %s on %d nodes failed (%s); reading node by node", kind, len(self._nodes), exc)
                self._failed.add(kind)
        if kind in self._failed:
            self.runs += 1
            return tuple(reader([node]))
        return tuple(x for x in self._all[kind] if x.node == node)

    def forget(self) -> None:
        """Drop every kept answer (the nodes changed): the next question reads again."""
        self._all.clear()
        self._failed.clear()

    def _reader(self, kind: str) -> Callable[[Sequence[str]], Sequence[Any]]:
        if kind not in KINDS:
            raise ValueError(f"talosctl read {kind!r} is not one of {list(KINDS)}")
        reader: Callable[[Sequence[str]], Sequence[Any]] = getattr(self._talosctl, kind)
        return reader
