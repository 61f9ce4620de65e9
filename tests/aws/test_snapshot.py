"""Read once, check many: a state reading is reused until the run changes something through the API."""

from __future__ import annotations

from provisioning import profiles
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from provisioning.aws.snapshot import Snapshots
from provisioning.aws.state import read_network
from provisioning.plan import plan


def test_a_reading_is_reused_until_a_mutating_call_is_made(factory: ClientFactory, run_id: str) -> None:
    topo = profiles.load("approved")
    ex = Executor(RunContext(factory, run_id, topo.name, topo.tags), Ledger(run_id), sleep=lambda s: None)
    try:
        ids = ex.ensure(plan(topo, ("network",)))
        snaps = Snapshots(factory)
        first = snaps.get("network", lambda: read_network(factory, ids["vpc"]))
        reads = factory.calls.total
        for _ in range(7):  # seven scenarios check the same snapshot: no call at all
            assert snaps.get("network", lambda: read_network(factory, ids["vpc"])) is first
        assert factory.calls.total == reads
        # A scenario that changes state (here: deletes a route) invalidates every snapshot.
        factory.client("ec2").delete_route(RouteTableId=ids["rt-public"], DestinationCidrBlock="0.0.0.0/0")
        again = snaps.get("network", lambda: read_network(factory, ids["vpc"]))
        assert again is not first
        assert factory.calls.total > reads + 1
        routes = {r.destination for rt in again.route_tables for r in rt.routes}
        assert "0.0.0.0/0" not in routes
    finally:
        ex.teardown()


def test_a_reading_during_which_something_changed_is_not_kept(factory: ClientFactory) -> None:
    snaps = Snapshots(factory)
    readings = []

    def read() -> int:
        # a mutating call lands while the state is being read (another thread, a scenario)
        factory.calls.add("ec2", "CreateTags")
        readings.append(len(readings))
        return readings[-1]

    assert snaps.get("x", read) == 0
    assert snaps.get("x", read) == 1  # not reused: the first reading may have missed the change


def test_snapshots_are_kept_apart_by_name(factory: ClientFactory) -> None:
    snaps = Snapshots(factory)
    assert snaps.get("a", lambda: "A") == "A"
    assert snaps.get("b", lambda: "B") == "B"
    assert snaps.get("a", lambda: "other") == "A"
    snaps.invalidate()
    assert snaps.get("a", lambda: "fresh") == "fresh"
