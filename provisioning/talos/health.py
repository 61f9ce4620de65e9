"""Read `talosctl health --server=false` progress: which check passed, which one failed and why.

talosctl health has no JSON output; its exit code is the verdict and its stderr carries one
line per state change of each check, "waiting for <check>: ..." / ": OK" / ": SKIP" /
": <error>" (siderolabs/talos pkg/cluster/check/reporter.go, pkg/conditions). Errors that
aggregate several nodes span several lines ("1 error occurred:" then "    * node ..."), so
lines that do not start a new check continue the previous one. On a terminal the reporter
adds colours and spinner glyphs; both are stripped here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_SPINNER = "◰◳◲◱"
_LINE = re.compile(r"^waiting for (?P<name>.+?): (?P<status>.*)$")
_DONE = ("OK", "SKIP")


@dataclass(frozen=True)
class HealthResult:
    """The outcome of one `talosctl health` run.

    passed is the exit code's verdict. failed_check names the check that did not finish
    (None when talosctl failed before any check ran, e.g. it could not connect); detail is
    that check's last error, or talosctl's last stderr line.
    """

    passed: bool
    exit_code: int
    failed_check: str | None
    detail: str
    completed: tuple[str, ...]
    stderr_tail: str

    def describe(self) -> str:
        """One line for a report or an assertion message."""
        if self.passed:
            return f"talosctl health passed ({len(self.completed)} checks)"
        if self.failed_check is None:
            return f"talosctl health failed before any check ran (exit {self.exit_code}): {self.detail}"
        return f"talosctl health failed at check '{self.failed_check}': {self.detail}"


def _clean(line: str) -> str:
    return _ANSI.sub("", line).strip().lstrip(_SPINNER).strip()


def parse_health(stderr: str, exit_code: int) -> HealthResult:
    """Turn talosctl health's stderr and exit code into a HealthResult (pure)."""
    order: list[str] = []
    last: dict[str, list[str]] = {}
    trailing: list[str] = []
    current: str | None = None
    for raw in stderr.splitlines():
        line = _clean(raw)
        if not line:
            continue
        match = _LINE.match(line)
        if match:
            current = match.group("name")
            if current not in last:
                order.append(current)
            last[current] = [match.group("status").strip()]
            trailing = []
        elif current is not None and raw[:1].isspace():
            last[current].append(line)
        else:
            trailing.append(line)
    completed = tuple(name for name in order if last[name][0] in _DONE)
    unfinished = [name for name in order if last[name][0] not in _DONE]
    tail = "\n".join(stderr.strip().splitlines()[-20:])
    if exit_code == 0:
        return HealthResult(True, 0, None, "", completed, tail)
    if not unfinished:
        detail = trailing[-1] if trailing else f"exit code {exit_code} with no check output"
        return HealthResult(False, exit_code, None, detail, completed, tail)
    failed = unfinished[-1]
    status = " ".join(last[failed])
    if status == "..." and trailing:
        status = trailing[-1]
    return HealthResult(False, exit_code, failed, status, completed, tail)
