"""The order of a teardown: tiers of kinds, and running one tier's deletes side by side.

Kinds in one tier do not depend on each other, so their resources are deleted concurrently;
a tier starts only when the one before it is done. Kinds whose delete only starts the
deletion (an instance terminates for a minute) are settled once per tier for all of their
resources: terminate every node, then wait for all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

# Dependants before what they depend on; each tier only after the one before it is gone.
#  - an instance holds its interfaces, template, instance profile and key pair;
#  - an interface holds its Elastic IP association; a NAT gateway holds its address;
#  - rules naming other groups are revoked before any group goes;
#  - an internet gateway detaches only when no public address is mapped in the VPC.
TIERS: tuple[tuple[str, ...], ...] = (
    ("autoscaling_group",),
    ("scheduled_actions",),
    ("instance",),
    ("launch_template", "network_interface", "nat_gateway", "instance_profile", "key_pair"),
    ("elastic_ip", "iam_role"),
    ("route_table", "sg_ingress"),
    ("security_group",),
    ("subnet", "internet_gateway", "dhcp_options"),
    ("vpc",),
)
TIER_OF: dict[str, int] = {kind: n for n, kinds in enumerate(TIERS) for kind in kinds}


def tier_of(kind: str) -> int:
    """The tier a kind is deleted in; kinds nobody placed go last."""
    return TIER_OF.get(kind, len(TIERS))


class Stopped(Exception):
    """A delete not started because the teardown was abandoned (the resource stays in the ledger)."""


def run_side_by_side(work: Callable[[T], None], items: Sequence[T],
                     stop: threading.Event) -> tuple[list[BaseException | None], BaseException | None]:
    """Run work(item) for every item in its own thread; return each item's exception (or None) and the interrupt.

    When the calling thread is interrupted while it waits (the second Ctrl-C raises Abandon
    there), stop is set, every thread finishes the call it is making and starts no other
    (work checks stop), and the interrupt is returned after them, so the caller can record
    exactly what was deleted before it re-raises.
    """
    results: list[BaseException | None] = [None] * len(items)
    if len(items) == 1:  # nothing to overlap: run it here, as the teardown always did
        try:
            work(items[0])
        except Exception as exc:
            results[0] = exc
        except BaseException as exc:  # a signal: nothing else is under way
            return [Stopped(str(exc) or type(exc).__name__)], exc
        return results, None

    results = [Stopped("teardown abandoned before this delete started")] * len(items)  # until it ran

    def run(n: int) -> None:
        try:
            work(items[n])
            results[n] = None
        except BaseException as exc:  # handed to the caller, who decides
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,), name=f"tdg-teardown-{n}", daemon=True)
               for n in range(len(items))]
    interrupt: BaseException | None = None
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    except BaseException as exc:
        interrupt = exc
        stop.set()
        for t in threads:
            if t.ident is not None:  # started: let it finish the call it is making
                t.join()
    return results, interrupt
