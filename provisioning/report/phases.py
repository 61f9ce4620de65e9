"""Phase summary: one row per lab phase with its scenarios' outcomes and time.

Pure: the suite hands in one ScenarioResult per scenario. A row counts passed, failed, blocked
(skipped because an earlier phase failed), xfailed (blockers the capacity verdict predicted)
and other skips, and says when a phase was not selected or has no scenarios yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from provisioning.topology import PHASES

Outcome = Literal["passed", "failed", "blocked", "xfailed", "skipped"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "blocked", "xfailed", "skipped")
BLOCKED_PREFIX = "blocked: phase "
OTHER = "other"
RowState = Literal["passed", "failed", "blocked", "xfailed", "skipped", "not selected", "no scenarios"]


@dataclass(frozen=True)
class StepResult:
    """One Gherkin step as it ran: status is passed, failed, xfailed, skipped or not run."""

    keyword: str
    name: str
    status: str
    duration_s: float = 0.0
    evidence: str = ""
    message: str = ""
    output: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario's outcome; reason is the skip/xfail reason or the failure message."""

    phase: str | None
    feature: str
    name: str
    outcome: Outcome
    duration_s: float
    steps: tuple[StepResult, ...] = ()
    reason: str = ""
    nodeid: str = ""

    @property
    def failing_step(self) -> StepResult | None:
        """The first step that failed (or was an expected failure), if any."""
        return next((s for s in self.steps if s.status in ("failed", "xfailed")), None)


def classify(*, failed: bool, skipped: bool, xfail: bool, reason: str = "") -> Outcome:
    """Turn pytest's view of one test (any phase failed, skipped, xfail) into an outcome."""
    if failed:
        return "failed"
    if skipped and xfail:
        return "xfailed"
    if skipped:
        return "blocked" if reason.startswith(BLOCKED_PREFIX) else "skipped"
    return "passed"


@dataclass(frozen=True)
class PhaseRow:
    """One phase: counts per outcome, total time, its state and why (first failure or block)."""

    phase: str
    counts: Mapping[str, int] = field(default_factory=dict)
    duration_s: float = 0.0
    state: RowState = "no scenarios"
    note: str = ""

    def count(self, outcome: Outcome) -> int:
        return int(self.counts.get(outcome, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _state(counts: Mapping[str, int]) -> RowState:
    order: tuple[RowState, ...] = ("failed", "blocked", "xfailed", "passed", "skipped")
    return next((o for o in order if counts.get(o)), "no scenarios")


def _note(state: RowState, results: Sequence[ScenarioResult]) -> str:
    if state == "failed":
        first = next(r for r in results if r.outcome == "failed")
        return f"first failure: {first.name}"
    if state == "blocked":
        return next(r.reason for r in results if r.outcome == "blocked").removeprefix("blocked: ")
    if state == "xfailed":
        n = sum(1 for r in results if r.outcome == "xfailed")
        return f"{n} expected failure{'s' if n != 1 else ''} (predicted by the capacity verdict)"
    return ""


def summarize(results: Iterable[ScenarioResult], *, phases: Sequence[str] = PHASES,
              deselected: Mapping[str, int] | None = None) -> tuple[PhaseRow, ...]:
    """One row per phase (in phase order), plus an 'other' row for results without a phase.

    deselected maps a phase to how many of its scenarios were deselected (--phase, -m); a phase
    with none run and some deselected is 'not selected', one with neither has 'no scenarios'.
    """
    by_phase: dict[str, list[ScenarioResult]] = {}
    for r in results:
        by_phase.setdefault(r.phase if r.phase is not None and r.phase in phases else OTHER, []).append(r)
    names = list(phases) + ([OTHER] if OTHER in by_phase else [])
    rows = []
    for name in names:
        got = by_phase.get(name, [])
        counts: dict[str, int] = {o: sum(1 for r in got if r.outcome == o) for o in OUTCOMES}
        state = _state(counts)
        note = _note(state, got)
        if not got and (deselected or {}).get(name):
            state, note = "not selected", f"{(deselected or {})[name]} scenario(s) deselected"
        rows.append(PhaseRow(name, counts, sum(r.duration_s for r in got), state, note))
    return tuple(rows)


def totals(rows: Iterable[PhaseRow]) -> PhaseRow:
    """The sum of rows, as a row called 'total'."""
    rows = list(rows)
    counts: dict[str, int] = {o: sum(r.count(o) for r in rows) for o in OUTCOMES}
    return PhaseRow("total", counts, sum(r.duration_s for r in rows), _state(counts))


def format_duration(seconds: float) -> str:
    """Seconds as '0.4s', '42s' or '12m05s'."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 600:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s"


TABLE_COLUMNS = ("phase", "passed", "failed", "blocked", "xfailed", "skipped", "time", "state")


def table_rows(rows: Sequence[PhaseRow]) -> list[tuple[str, ...]]:
    """The phase table as text cells (header first, then the phases, then the total)."""
    out: list[tuple[str, ...]] = [TABLE_COLUMNS]
    for r in [*rows, totals(rows)]:
        out.append((r.phase, *(str(r.count(o)) for o in OUTCOMES), format_duration(r.duration_s), r.state))
    return out


def _cut(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 1] + "\u2026"


def format_phase_table(rows: Sequence[PhaseRow], width: int = 120) -> list[str]:
    """The phase table as aligned text lines (header, phases, total), then one line per note; cut at width."""
    cells = table_rows(rows)
    widths = [max(len(c[i]) for c in cells) for i in range(len(TABLE_COLUMNS) - 1)]
    lines = []
    for c in cells:
        left = [c[0].ljust(widths[0]), *(c[i].rjust(widths[i]) for i in range(1, len(widths)))]
        lines.append(_cut("  ".join([*left, c[-1]]), width))
    lines += [_cut(f"  {r.phase}: {r.note}", width) for r in rows if r.note]
    return lines
