"""--reuse refuses a run that left nothing, naming the runs that exist; preflight says what it adopts."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioning import profiles, settings
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from provisioning.aws.reuse import kept_keys
from provisioning.errors import GuardError
from provisioning.plan import plan
from provisioning.preflight import preflight


def test_an_unknown_run_is_refused_with_the_runs_that_exist(factory: ClientFactory, run_id: str,
                                                             tmp_path: Path) -> None:
    Executor(RunContext(factory, run_id, "approved"), Ledger(run_id)).ensure(
        plan(profiles.load("approved"), ("network",))[:1])
    before = factory.calls.mutating()
    with pytest.raises(GuardError, match=rf"--reuse nosuch1: nothing to reuse: no ledger at .*runs with tagged "
                                         rf"resources there: .*{run_id}"):
        kept_keys(factory, "nosuch1", tmp_path / "ledger.json")
    assert factory.calls.mutating() == before


def test_a_kept_run_is_found_by_its_tags_even_without_a_ledger(factory: ClientFactory, run_id: str,
                                                               tmp_path: Path) -> None:
    Executor(RunContext(factory, run_id, "approved"), Ledger(run_id)).ensure(
        plan(profiles.load("approved"), ("network",))[:1])
    assert kept_keys(factory, run_id, tmp_path / "ledger.json") == {"vpc"}


def test_a_ledger_alone_is_enough(factory: ClientFactory, tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    path.write_text('{"run_id": "gone1", "resources": [{"key": "vpc"}]}')
    assert kept_keys(factory, "gone1", path) == {"vpc"}


def test_preflight_under_reuse_says_will_adopt() -> None:
    s = settings.build(reuse="abcd1234", aws_endpoint="http://127.0.0.1:5000", phase="network", env={})
    lines = preflight(s, env={}, reusable=lambda: {"vpc", "igw"}).lines
    line = next(ln for ln in lines if "will " in ln)
    assert line.startswith("will adopt 2 resources of run abcd1234: vpc 1, internet_gateway 1; will create ")
    fresh = preflight(settings.build(phase="network", env={}), env={}).lines
    assert any(ln.startswith("will create ") for ln in fresh)
