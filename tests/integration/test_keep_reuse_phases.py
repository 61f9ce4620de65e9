"""--keep then --reuse, per phase: the same scenario outcomes, nothing created the second time, nothing left.

The Test-Driven Generation loop provisions once with --keep and re-runs the features against the
kept lab with --reuse. For each phase the suite runs twice in a subprocess, as an operator runs
it: `--phase P --keep --run-id X`, then `--phase P --reuse X` (which tears the run down). Then:
- every scenario has the same outcome in both sessions (junit.xml and cucumber.json),
- the second session made no create-class API call (reports/aws_calls.json),
- no resource tagged with the run is left, and the run's Talos files went with it.

The suite's own moto server dies with its session, so --keep is refused there (see
test_keep_reuse.py); a kept run needs an endpoint that outlives pytest. Here it is the test
process's moto server, for network, bastion and talos; test_keep_reuse_cozystack.py runs the full
run to cozystack against a moto server in its own process. The network sequence is also the one
whose operator messages (preflight, how to reuse and sweep) test_keep_then_reuse reads.

The three sequences (distinct run ids on the one moto server) run side by side: a session spends
most of its wall time waiting (moto's eventual-consistency lag, the stand-ins' boot clocks), not
computing, so the module takes about as long as its longest sequence instead of their sum. Only
the phases the selected tests read are run.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from tests.integration.keep_reuse import Sequence, check_sequence, counts, keep_then_reuse

pytestmark = pytest.mark.integration
PHASES = ("network", "bastion", "talos")


def phases_read(items: list[pytest.Item], module: object) -> list[str]:
    """The phases whose sequence the selected tests of module read (test_keep_then_reuse: network's)."""
    wanted = {item.callspec.params["phase"] if hasattr(item, "callspec") else "network"
              for item in items if getattr(item, "module", None) is module}
    return [phase for phase in PHASES if phase in wanted]


@pytest.fixture(scope="module")
def sequences(moto_url: str, tmp_path_factory: pytest.TempPathFactory,
              request: pytest.FixtureRequest) -> Iterator[dict[str, Future[Sequence]]]:
    """`--phase P --keep`, then `--phase P --reuse`, for each phase read, side by side on the test process's moto."""
    phases = phases_read(request.session.items, request.module)
    with ThreadPoolExecutor(max_workers=len(phases), thread_name_prefix="keep-reuse") as pool:
        yield {phase: pool.submit(keep_then_reuse, moto_url, phase, f"t{secrets.token_hex(4)}",
                                  tmp_path_factory.mktemp(phase)) for phase in phases}


@pytest.fixture
def network_sequence(sequences: dict[str, Future[Sequence]]) -> Sequence:
    return sequences["network"].result()


@pytest.mark.parametrize("phase", PHASES)
def test_keep_then_reuse_each_phase_in_process_moto(phase: str, sequences: dict[str, Future[Sequence]]) -> None:
    seq = sequences[phase].result()
    check_sequence(seq, phase)
    print(f"{phase} (in-process moto): keep {counts(seq.kept)}, reuse {counts(seq.reused)}, "  # noqa: T201
          f"creates {seq.kept.creates}/{seq.reused.creates}, left {len(seq.left_after_reuse)}")


def test_keep_then_reuse(network_sequence: Sequence) -> None:
    """--keep leaves the run in place and says how to reuse and sweep it; --reuse adopts it and tears it down."""
    kept, reused, run_id = network_sequence.kept, network_sequence.reused, network_sequence.run_id
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "tdg preflight: will create 8 resources (network)" in kept.stderr, "preflight is shown up front"
    assert f"kept run {run_id}" in kept.stdout
    assert f"--reuse {run_id}" in kept.stdout and f"tdg sweep --run-id {run_id}" in kept.stdout
    assert {"vpc", "subnet", "security_group"} <= {left.split()[0] for left in network_sequence.left_after_keep}

    assert reused.returncode == 0, reused.stdout + reused.stderr
    assert network_sequence.left_after_reuse == []
