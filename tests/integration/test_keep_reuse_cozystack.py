"""--keep then --reuse of the full run to cozystack against a moto server in its own process.

As test_keep_reuse_phases.py, for every phase at once, with the endpoint an operator starts
(`python -m moto.server`) instead of the test process's: the same outcomes both times, nothing
created by --reuse, nothing left, and the run's secret Talos files 0600 while kept and gone after.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration import keep_reuse
from tests.integration.keep_reuse import check_sequence, counts, keep_then_reuse

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def external_moto() -> Iterator[str]:
    """A moto server in its own process on 127.0.0.1, as an operator starts one, shared by this module."""
    with keep_reuse.external_moto() as url:
        yield url


def test_keep_then_reuse_through_cozystack_on_an_external_moto_server(external_moto: str, run_id: str,
                                                                       tmp_path: Path) -> None:
    seq = keep_then_reuse(external_moto, "cozystack", run_id, tmp_path)
    check_sequence(seq, "cozystack")
    assert counts(seq.kept).get("xfailed", 0) > 0, "the approved profile's blockers should be expected failures"
    secret = {name: mode for name, mode in seq.talos_files_after_keep.items() if not name.endswith(".jsonl")}
    assert {"talosconfig", "kubeconfig", "talosctl-standin.json", "kube-standin.json"} <= set(secret), secret
    assert all(mode == 0o600 for mode in secret.values()), secret
    assert not seq.talos_dir_after_reuse, "the run's Talos files outlived its teardown"
    print(f"cozystack (external moto): keep {counts(seq.kept)}, reuse {counts(seq.reused)}, "  # noqa: T201
          f"creates {seq.kept.creates}/{seq.reused.creates}, left {len(seq.left_after_reuse)}")
