"""Parallel teardown: a tier's resources go side by side, tiers one after the other, instances waited for at once.

The kinds here are fakes registered under the real kind names (so they sit in the real tiers);
they record what happens and never sleep. A barrier that every delete of a tier must reach
before any may finish shows the deletes overlap: run one after another, the first would wait
at the barrier alone and break it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from provisioning import tags as tagging
from provisioning.aws import executor as executor_module
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.inventory import Found
from provisioning.aws.kinds import REGISTRY, Kind, RunContext
from provisioning.aws.ledger import Entry, Ledger
from provisioning.aws.teardown_order import TIERS, run_side_by_side, tier_of
from provisioning.errors import TeardownError

RUN = "tfake001"
OURS = {tagging.MANAGED_BY_KEY: tagging.MANAGED_BY_VALUE, tagging.RUN_ID_KEY: RUN, tagging.PHASE_KEY: "talos"}


class Recorder:
    """Shared event log of the fake kinds, and the barrier of the tier under test."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.barriers: dict[str, threading.Barrier] = {}
        self.scans = 0
        self.barrier_timeout_s = 10.0

    def note(self, what: str, rid: str) -> None:
        with self.lock:
            self.events.append((what, rid))

    def kind(self, name: str, *, settles: bool = False, owner_tags: dict[str, str] | None = None) -> Kind:
        def delete(ctx: RunContext, rid: str) -> None:
            self.note(f"{name}:start", rid)
            if name in self.barriers:
                # every delete of the kind must be under way at once
                self.barriers[name].wait(timeout=self.barrier_timeout_s)
            self.note(f"{name}:done", rid)

        def settle(ctx: RunContext, rids: list[str]) -> None:
            self.note(f"{name}:settle", ",".join(sorted(rids)))

        def destroy(ctx: RunContext, rid: str) -> None:
            delete(ctx, rid)
            settle(ctx, [rid])

        return Kind(name, lambda c, s: None, lambda c, s, p: "", destroy if settles else delete,
                    lambda c, rid: dict(owner_tags if owner_tags is not None else OURS),
                    begin=delete if settles else None, settle=settle if settles else None)


@pytest.fixture
def rec(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    r = Recorder()
    for name, settles in (("instance", True), ("network_interface", False), ("launch_template", False),
                          ("security_group", False)):
        monkeypatch.setitem(REGISTRY, name, r.kind(name, settles=settles))

    def scan(clients: Any, run_id: str | None = None) -> list[Found]:
        r.scans += 1
        return []

    monkeypatch.setattr(executor_module, "find_run_tagged", scan)
    yield r


def fake_executor(ledger: Ledger) -> Executor:
    clients = ClientFactory(region="eu-west-1", mode="offline", endpoint_url="http://127.0.0.1:9")  # never dialled
    return Executor(RunContext(clients, RUN, "approved"), ledger, sleep=lambda s: None)


def three_nodes(ledger: Ledger) -> None:
    for n in range(1, 4):
        ledger.add(Entry("network_interface", f"eni-{n}", f"eni-{n}", "talos", "eu-west-1", True))
        ledger.add(Entry("launch_template", f"lt-{n}", f"lt-{n}", "talos", "eu-west-1", True))
        ledger.add(Entry("instance", f"node-{n}", f"i-{n}", "talos", "eu-west-1", True))


def test_every_node_is_terminated_before_one_wait_for_all(rec: Recorder) -> None:
    ledger = Ledger(RUN)
    three_nodes(ledger)
    rec.barriers["instance"] = threading.Barrier(3)
    fake_executor(ledger).teardown("talos")
    instance_events = [e for e in rec.events if e[0].startswith("instance")]
    starts = [n for n, e in enumerate(instance_events) if e[0] == "instance:start"]
    dones = [n for n, e in enumerate(instance_events) if e[0] == "instance:done"]
    assert len(starts) == 3 and max(starts) < min(dones), instance_events  # all three under way at once
    assert instance_events[-1] == ("instance:settle", "i-1,i-2,i-3")  # one wait, for every node
    assert [e for e in rec.events if e[0] == "instance:settle"] == [("instance:settle", "i-1,i-2,i-3")]
    assert len(ledger) == 0


def test_interfaces_and_templates_go_together_and_only_after_the_instances(rec: Recorder) -> None:
    ledger = Ledger(RUN)
    three_nodes(ledger)
    barrier = threading.Barrier(6)  # three interfaces and three templates, all under way at once
    rec.barriers["network_interface"] = rec.barriers["launch_template"] = barrier
    fake_executor(ledger).teardown("talos")
    settled = rec.events.index(("instance:settle", "i-1,i-2,i-3"))
    after = rec.events[settled + 1:]
    assert {e[0] for e in rec.events[:settled]} <= {"instance:start", "instance:done"}
    starts = [n for n, e in enumerate(after) if e[0].endswith(":start")]
    dones = [n for n, e in enumerate(after) if e[0].endswith(":done")]
    assert len(starts) == 6 and max(starts) < min(dones), after


def test_deletes_one_after_another_would_fail_the_overlap_check(rec: Recorder,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # The overlap check can fail: with a teardown that deletes one resource after another,
    # the first delete waits at the barrier alone and breaks it.
    def one_by_one(work: Any, items: Any, stop: Any) -> tuple[list[BaseException | None], None]:
        errors: list[BaseException | None] = []
        for item in items:
            try:
                work(item)
                errors.append(None)
            except Exception as exc:
                errors.append(exc)
        return errors, None

    monkeypatch.setattr(executor_module, "run_side_by_side", one_by_one)
    ledger = Ledger(RUN)
    three_nodes(ledger)
    rec.barriers["instance"] = threading.Barrier(3)
    rec.barrier_timeout_s = 0.2
    with pytest.raises(threading.BrokenBarrierError):
        fake_executor(ledger).teardown("talos")


def test_a_tier_only_starts_when_the_one_before_it_is_done() -> None:
    order = [kind for tier in TIERS for kind in tier]
    assert len(order) == len(set(order)), "a kind sits in two tiers"
    for before, after in (("instance", "network_interface"), ("instance", "launch_template"),
                          ("network_interface", "elastic_ip"), ("sg_ingress", "security_group"),
                          ("security_group", "subnet"), ("elastic_ip", "internet_gateway"),
                          ("subnet", "vpc"), ("instance", "instance_profile"), ("nat_gateway", "elastic_ip")):
        assert tier_of(before) < tier_of(after), (before, after)


def test_one_failure_does_not_stop_the_others_of_its_tier() -> None:
    seen: list[str] = []

    def work(item: str) -> None:
        seen.append(item)
        if item == "b":
            raise RuntimeError("b failed")

    errors, interrupt = run_side_by_side(work, ["a", "b", "c"], threading.Event())
    assert interrupt is None
    assert sorted(seen) == ["a", "b", "c"]
    assert [type(e).__name__ if e else None for e in errors] == [None, "RuntimeError", None]


def test_what_is_not_ours_is_refused_while_the_rest_of_the_tier_goes(rec: Recorder,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REGISTRY, "launch_template",
                        rec.kind("launch_template", owner_tags={tagging.MANAGED_BY_KEY: tagging.MANAGED_BY_VALUE,
                                                                tagging.RUN_ID_KEY: "someone-else"}))
    ledger = Ledger(RUN)
    three_nodes(ledger)
    with pytest.raises(TeardownError, match="refusing to delete launch_template lt-1"):
        fake_executor(ledger).teardown("talos")
    assert not any(e[0].startswith("launch_template") for e in rec.events)  # never deleted
    assert sorted(e.id for e in ledger.entries()) == ["lt-1", "lt-2", "lt-3"]  # the rest is gone


def test_phases_torn_down_one_after_another_share_one_scan(rec: Recorder) -> None:
    ledger = Ledger(RUN)
    three_nodes(ledger)
    ledger.add(Entry("security_group", "sg-nodes", "sg-1", "network", "eu-west-1", True))
    ex = fake_executor(ledger)
    ex.teardown("talos")
    ex.teardown("network")
    assert rec.scans == 1 and len(ledger) == 0


def test_a_creation_since_the_scan_makes_the_next_teardown_scan_again(rec: Recorder,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from provisioning.plan import ResourceSpec

    monkeypatch.setitem(REGISTRY, "security_group", Kind("security_group", lambda c, s: None,
                                                         lambda c, s, p: "sg-new", lambda c, r: None,
                                                         lambda c, r: dict(OURS)))
    ledger = Ledger(RUN)
    three_nodes(ledger)
    ex = fake_executor(ledger)
    ex.teardown("talos")
    ex.ensure([ResourceSpec("security_group", "sg-nodes", "network", "t-sg")])
    ex.teardown("network")
    assert rec.scans == 2 and len(ledger) == 0


def test_tags_from_the_scan_spare_a_read_per_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    deleted: list[str] = []
    monkeypatch.setitem(REGISTRY, "launch_template", Kind(
        "launch_template", lambda c, s: None, lambda c, s, p: "", lambda c, rid: deleted.append(rid),
        lambda c, rid: reads.append(rid) or dict(OURS)))
    monkeypatch.setattr(executor_module, "find_run_tagged", lambda clients, run_id=None: [
        Found("launch_template", "lt-1", dict(OURS)),
        Found("launch_template", "lt-2", {**OURS, tagging.RUN_ID_KEY: "another-run"})])
    ledger = Ledger(RUN)
    for n in (1, 2, 3):
        ledger.add(Entry("launch_template", f"lt-{n}", f"lt-{n}", "talos", "eu-west-1", True))
    fake_executor(ledger).teardown("talos")
    # lt-1: the scan showed it ours, no read; lt-2 (the scan says another run's) and lt-3 (not in it): read by id
    assert sorted(reads) == ["lt-2", "lt-3"] and sorted(deleted) == ["lt-1", "lt-2", "lt-3"]


def test_instances_are_waited_for_with_one_describe_per_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from provisioning.aws import instances

    asked: list[list[str]] = []
    polls = iter([{"i-1": "shutting-down", "i-2": "terminated", "i-3": "shutting-down"},
                  {"i-1": "terminated", "i-2": "terminated", "i-3": "terminated"}])

    def describe_instances(InstanceIds: list[str]) -> dict[str, Any]:  # noqa: N803 (boto3's spelling)
        asked.append(list(InstanceIds))
        states = next(polls)
        return {"Reservations": [{"Instances": [{"InstanceId": i, "State": {"Name": s}} for i, s in states.items()]}]}

    ec2 = SimpleNamespace(describe_instances=describe_instances)
    ctx = SimpleNamespace(ec2=ec2)
    original = instances.wait_for
    monkeypatch.setattr(instances, "wait_for",
                        lambda what, probe, **kw: original(what, probe, timeout_s=5, interval_s=0))
    settle = REGISTRY["instance"].settle
    assert settle is not None
    settle(ctx, ["i-1", "i-2", "i-3"])  # type: ignore[arg-type]
    assert asked == [["i-1", "i-2", "i-3"], ["i-1", "i-2", "i-3"]]  # two polls, each about every node


def test_an_abandoned_tier_finishes_its_calls_under_way_starts_none_and_the_ledger_says_what_is_left(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    from provisioning.errors import DependencyError

    main = threading.get_ident()
    stop_seen = threading.Event()
    deleted: list[str] = []

    def second_signal(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt("second signal: abandon")

    def delete(ctx: RunContext, rid: str) -> None:
        if rid == "eni-3":  # still has a dependant: backs off, and is abandoned before its retry
            raise DependencyError("DeleteNetworkInterface", "InvalidNetworkInterface.InUse", "in use")
        if rid == "eni-1":
            signal.pthread_kill(main, signal.SIGUSR1)  # the second Ctrl-C reaches the waiting main thread
        stop_seen.wait(timeout=10)  # the call under way when the signal came
        deleted.append(rid)

    monkeypatch.setitem(REGISTRY, "network_interface", Kind("network_interface", lambda c, s: None,
                                                            lambda c, s, p: "", delete, lambda c, r: dict(OURS)))
    monkeypatch.setattr(executor_module, "find_run_tagged", lambda clients, run_id=None: [])
    previous = signal.signal(signal.SIGUSR1, second_signal)
    ledger = Ledger(RUN)
    for n in (1, 2, 3):
        ledger.add(Entry("network_interface", f"eni-{n}", f"eni-{n}", "talos", "eu-west-1", True))
    clients = ClientFactory(region="eu-west-1", mode="offline", endpoint_url="http://127.0.0.1:9")
    ex = Executor(RunContext(clients, RUN, "approved"), ledger)  # the default backoff ends when abandoned
    original_set = ex._stop.set

    def set_and_release() -> None:
        original_set()
        stop_seen.set()

    monkeypatch.setattr(ex._stop, "set", set_and_release)
    try:
        with pytest.raises(KeyboardInterrupt, match="abandon"):
            ex.teardown("talos")
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert sorted(deleted) == ["eni-1", "eni-2"]  # both finished the call they were making
    assert [e.id for e in ledger.entries()] == ["eni-3"]  # never retried, and listed as left
