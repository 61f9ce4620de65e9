"""`tdg sweep`: dry run by default, --yes deletes one run, refusals exit 2 naming what to set."""

from __future__ import annotations

import pytest

from provisioning import profiles
from provisioning.aws.client import ClientFactory
from provisioning.aws.executor import Executor
from provisioning.aws.inventory import find_tagged
from provisioning.aws.kinds import RunContext
from provisioning.aws.ledger import Ledger
from provisioning.cli import main
from provisioning.commands import sweep as sweep_command
from provisioning.plan import plan

MOTO_ACCOUNT = "123456789012"


def tdg(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["sweep", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def leave_a_run(factory: ClientFactory, run_id: str) -> None:
    topo = profiles.load("approved")
    ctx = RunContext(factory, run_id, topo.name, topo.tags, created="2001-01-01T00:00:00Z")
    Executor(ctx, Ledger(run_id)).ensure(plan(topo, ("network",)))


def test_dry_run_lists_and_deletes_nothing(capsys, factory: ClientFactory, moto_url: str, run_id: str) -> None:
    leave_a_run(factory, run_id)
    rc, out, err = tdg(capsys, "--endpoint", moto_url, "--run-id", run_id)
    assert rc == 0, err
    assert "run " in out.splitlines()[0] and "USD/h" in out.splitlines()[0]
    assert f"{run_id}  vpc" in out and f"{run_id}  security_group" in out
    assert "resource(s) of 1 run(s) burn $0.0000/hour" in out
    assert "dry run: nothing deleted; add --yes to delete these resources" in out
    kinds = {f.kind for f in find_tagged(factory, run_id)}
    assert {"vpc", "subnet", "route_table", "security_group", "internet_gateway"} <= kinds

    rc, out, err = tdg(capsys, "--endpoint", moto_url, "--run-id", run_id, "--yes")
    assert rc == 0, err
    assert out.rstrip().endswith("0 resources left")
    assert find_tagged(factory, run_id) == []


def test_nothing_to_sweep_says_so(capsys, moto_url: str, run_id: str) -> None:
    rc, out, _ = tdg(capsys, "--endpoint", moto_url, "--run-id", run_id)
    assert (rc, out) == (0, "0 resources left\n")


@pytest.mark.parametrize(("argv", "message"), [
    (["--yes"], "name what to delete with --run-id ID or --older-than AGE"),
    (["--older-than", "soon"], "option --older-than = 'soon': an age such as 30m, 2h or 1d"),
    (["--older-than", "0h"], "(greater than 0)"),
    (["--run-id", "No_Such!"], "option --run-id = 'No_Such!': a run id is 4-32 characters"),
    (["--endpoint", "http://10.0.0.5:5000"], "must be on this machine"),
    (["--run-id", "abcd", "--max-rounds", "0"], "option --max-rounds = 0: at least 1"),
])
def test_refusals_exit_2_naming_the_option(capsys, argv: list[str], message: str) -> None:
    rc, out, err = tdg(capsys, *argv)
    assert rc == 2 and out == ""
    assert message in err


@pytest.fixture
def live_on_moto(monkeypatch: pytest.MonkeyPatch, moto_url: str) -> list[ClientFactory]:
    """Stand the live factory in with one on the moto server (account 123456789012), so the guard runs for real."""
    made: list[ClientFactory] = []

    def live_clients(region: str) -> ClientFactory:
        made.append(ClientFactory(region=region, mode="offline", endpoint_url=moto_url))
        return made[-1]

    monkeypatch.setattr(sweep_command, "live_clients", live_clients)
    monkeypatch.delenv("TDG_ACCOUNT_ALLOWLIST", raising=False)
    return made


def test_live_without_an_allowlist_is_refused(capsys, live_on_moto: list[ClientFactory]) -> None:
    rc, out, err = tdg(capsys, "--run-id", "abcd")
    assert rc == 2 and out == ""
    assert "no AWS account is allowed for live runs: set TDG_ACCOUNT_ALLOWLIST=" in err
    assert live_on_moto[0].calls.total == 0


def test_live_in_another_account_is_refused_with_the_id_masked(capsys, monkeypatch: pytest.MonkeyPatch,
                                                                live_on_moto: list[ClientFactory]) -> None:
    monkeypatch.setenv("TDG_ACCOUNT_ALLOWLIST", "210987654321")
    rc, _, err = tdg(capsys, "--run-id", "abcd", "--yes")
    assert rc == 2
    assert "account 1234****9012" in err and "not on the allowlist ['2109****4321']" in err
    assert MOTO_ACCOUNT not in err and "210987654321" not in err
    assert live_on_moto[0].calls.counts == {"sts:GetCallerIdentity": 1}


def test_live_outside_the_profile_region_is_refused_before_any_call(capsys, monkeypatch: pytest.MonkeyPatch,
                                                                    live_on_moto: list[ClientFactory]) -> None:
    monkeypatch.setenv("TDG_ACCOUNT_ALLOWLIST", MOTO_ACCOUNT)
    rc, _, err = tdg(capsys, "--run-id", "abcd", "--region", "us-east-1")
    assert rc == 2
    assert "region us-east-1 is not the region of profile approved (eu-west-1)" in err
    assert live_on_moto[0].calls.total == 0


def test_live_in_an_allowlisted_account_sweeps_and_masks(capsys, monkeypatch: pytest.MonkeyPatch,
                                                         live_on_moto: list[ClientFactory], factory: ClientFactory,
                                                         run_id: str) -> None:
    monkeypatch.setenv("TDG_ACCOUNT_ALLOWLIST", f"210987654321,{MOTO_ACCOUNT}")
    leave_a_run(factory, run_id)
    rc, out, err = tdg(capsys, "--run-id", run_id, "--yes")
    assert rc == 0, err
    assert out.startswith("account 1234****9012 (arn:aws:sts::1234****9012:user/moto), region eu-west-1: on the "
                          "allowlist\n")
    assert MOTO_ACCOUNT not in out
    assert out.rstrip().endswith("0 resources left")
    assert find_tagged(factory, run_id) == []


def test_sweeping_a_run_removes_its_stale_leftovers_file(capsys, factory: ClientFactory, moto_url: str,
                                                         run_id: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    leave_a_run(factory, run_id)
    leftovers = tmp_path / "leftovers.json"
    ledger = Ledger(run_id, leftovers)  # what an abandoned run writes: its ledger
    for f in find_tagged(factory, run_id):
        from provisioning.aws.ledger import Entry
        ledger.add(Entry(f.kind, f.id, f.id, "network", "eu-west-1", True))
    other = tmp_path / "other"
    other.mkdir()
    (other / "leftovers.json").write_text('{"run_id": "someone-else", "resources": [{"id": "vpc-1"}]}')
    rc, out, err = tdg(capsys, "--endpoint", moto_url, "--run-id", run_id, "--yes", "--reports-dir", str(tmp_path))
    assert rc == 0, err
    assert not leftovers.exists() and f"removed {leftovers}: run {run_id} has nothing left" in out
    rc, out, err = tdg(capsys, "--endpoint", moto_url, "--run-id", "someone-else", "--yes",
                       "--reports-dir", str(other))
    assert rc == 0 and not (other / "leftovers.json").exists()  # nothing of that run exists: stale, removed


def test_a_partly_swept_run_keeps_only_what_is_left(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from provisioning.aws.inventory import Found
    from provisioning.aws.sweep import settle_leftovers_file
    path = tmp_path / "leftovers.json"
    path.write_text('{"run_id": "r1", "resources": [{"id": "vpc-1"}, {"id": "subnet-2"}]}')
    left = [Found("vpc", "vpc-1", {"tdg:run-id": "r1"})]
    assert settle_leftovers_file(path, ["r2"], left) is None and "subnet-2" in path.read_text()
    assert settle_leftovers_file(path, ["r1"], left) == f"rewrote {path}: 1 resource(s) of run r1 left"
    assert "subnet-2" not in path.read_text() and "vpc-1" in path.read_text()
