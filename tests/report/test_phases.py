"""Phase summary: outcomes per phase, states, notes, totals and the terminal table."""

from __future__ import annotations

import pytest

from provisioning.report.phases import (
    PhaseRow,
    ScenarioResult,
    StepResult,
    classify,
    format_duration,
    format_phase_table,
    summarize,
    totals,
)


def result(phase: str | None, outcome: str, name: str = "s", duration: float = 1.0, reason: str = "") -> ScenarioResult:
    return ScenarioResult(phase, "F", name, outcome, duration, reason=reason)  # type: ignore[arg-type]


@pytest.mark.parametrize(("failed", "skipped", "xfail", "reason", "expected"), [
    (False, False, False, "", "passed"),
    (True, False, False, "", "failed"),
    (True, True, False, "blocked: phase network failed: x", "failed"),
    (False, True, True, "insufficient RAM", "xfailed"),
    (False, True, False, "blocked: phase network failed: x", "blocked"),
    (False, True, False, "--stop-on-verdict: cannot run", "skipped"),
])
def test_classify(failed: bool, skipped: bool, xfail: bool, reason: str, expected: str) -> None:
    assert classify(failed=failed, skipped=skipped, xfail=xfail, reason=reason) == expected


def test_summarize_counts_each_outcome_per_phase_in_phase_order() -> None:
    results = [result("talos", "failed", "boots", 2.0), result("network", "passed", "vpc", 3.0),
               result("network", "passed", "igw", 1.5), result("cozystack", "blocked", reason="blocked: phase talos "
                                                                     "failed: boots"),
               result("cozystack", "xfailed"), result("bastion", "skipped")]
    rows = summarize(results)
    assert [r.phase for r in rows] == ["network", "bastion", "talos", "cozystack"]
    network, bastion, talos, cozy = rows
    assert (network.count("passed"), network.duration_s, network.state) == (2, 4.5, "passed")
    assert (talos.count("failed"), talos.state, talos.note) == (1, "failed", "first failure: boots")
    assert (cozy.count("blocked"), cozy.count("xfailed"), cozy.state) == (1, 1, "blocked")
    assert cozy.note == "phase talos failed: boots"
    assert bastion.state == "skipped"


def test_a_phase_with_only_expected_failures_says_so() -> None:
    (row,) = [r for r in summarize([result("cozystack", "xfailed"), result("cozystack", "xfailed")])
              if r.phase == "cozystack"]
    assert row.state == "xfailed"
    assert row.note == "2 expected failures (predicted by the capacity verdict)"


def test_deselected_and_missing_phases_are_told_apart() -> None:
    rows = {r.phase: r for r in summarize([result("network", "passed")], deselected={"talos": 22})}
    assert rows["talos"].state == "not selected"
    assert rows["talos"].note == "22 scenario(s) deselected"
    assert rows["bastion"].state == "no scenarios"


def test_results_without_a_phase_get_an_other_row() -> None:
    rows = summarize([result(None, "passed"), result("network", "failed")])
    assert rows[-1].phase == "other"
    assert rows[-1].count("passed") == 1


def test_totals_add_up_and_take_the_worst_state() -> None:
    rows = summarize([result("network", "passed", duration=1), result("talos", "failed", duration=2),
                      result("cozystack", "blocked", reason="blocked: phase talos failed: x", duration=0)])
    total = totals(rows)
    assert (total.count("passed"), total.count("failed"), total.count("blocked")) == (1, 1, 1)
    assert total.duration_s == 3
    assert total.state == "failed"


def test_failing_step_is_the_first_failed_or_xfailed_step() -> None:
    steps = (StepResult("Given", "a", "passed"), StepResult("Then", "b", "failed", message="m"),
             StepResult("And", "c", "not run"))
    assert ScenarioResult("talos", "F", "s", "failed", 1, steps).failing_step == steps[1]
    assert ScenarioResult("talos", "F", "s", "passed", 1, steps[:1]).failing_step is None


def test_format_phase_table_aligns_columns_and_lists_notes() -> None:
    rows = summarize([result("network", "passed"), result("talos", "failed", "boots")])
    lines = format_phase_table(rows)
    assert lines[0].split() == ["phase", "passed", "failed", "blocked", "xfailed", "skipped", "time", "state"]
    assert lines[1].split()[:3] == ["network", "1", "0"]
    assert lines[5].startswith("total")
    assert lines[6] == "  talos: first failure: boots"


def test_format_phase_table_cuts_long_lines() -> None:
    rows = (PhaseRow("network", {"failed": 1}, 1.0, "failed", "first failure: " + "x" * 300),)
    assert all(len(line) <= 60 for line in format_phase_table(rows, width=60))
    assert format_phase_table(rows, width=60)[-1].endswith("\u2026")


@pytest.mark.parametrize(("seconds", "text"), [(0.04, "0.0s"), (4.25, "4.2s"), (42.4, "42s"), (725, "12m05s")])
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
