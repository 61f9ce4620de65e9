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


def run_side_by_side(work: Callable[[T], None], items: Sequence[T]) -> list[BaseException | None]:
    """Run work(item) for every item in its own thread; return each item's exception (or None).

    The threads are daemons and the caller waits on them with join(), so a signal handler
    that raises in the calling thread (the second Ctrl-C abandoning a teardown) is not held
    up by a delete still under way; that delete finishes or dies with the process.
    """
    if len(items) <= 1:
        errors: list[BaseException | None] = []
        for item in items:
            try:
                work(item)
                errors.append(None)
            except Exception as exc:  # reported per item, like the threaded path
                errors.append(exc)
        return errors
    results: list[BaseException | None] = [None] * len(items)

    def run(n: int) -> None:
        try:
            work(items[n])
        except BaseException as exc:  # handed to the caller, who decides
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,), name=f"tdg-teardown-{n}", daemon=True)
               for n in range(len(items))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
