"""Record or replay what the run read from hosts: commands over SSH and instance consoles.

The probes (provisioning/probes/) only call host.run(command, *args); RecordingHost passes
each call to the real (testinfra) host and keeps command, arguments, exit code and output;
ReplayHost answers the same call from the bundle. Consoles work the same way at the
ConsoleSource boundary (provisioning/aws/console.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from provisioning.aws.console import ConsoleSource
from provisioning.recording.bundle import Player, Recorder


@dataclass(frozen=True)
class HostResult:
    """What testinfra's CommandResult offers the probes: exit code, output, the command."""

    command: str
    rc: int
    stdout: str
    stderr: str

    @property
    def exit_status(self) -> int:
        return self.rc

    @property
    def succeeded(self) -> bool:
        return self.rc == 0

    @property
    def failed(self) -> bool:
        return self.rc != 0


def _key(command: str, args: tuple[Any, ...]) -> dict[str, Any]:
    return {"kind": "run", "command": command, "args": [str(a) for a in args]}


@dataclass
class RecordingHost:
    """A host whose run() goes to inner and is recorded."""

    inner: Any
    recorder: Recorder

    def run(self, command: str, *args: Any, **kwargs: Any) -> Any:
        began = time.monotonic()
        result = self.inner.run(command, *args, **kwargs)
        self.recorder.add("ssh", _key(command, args), {"rc": int(result.rc), "stdout": str(result.stdout),
                                                       "stderr": str(result.stderr)}, began=began)
        return result


@dataclass
class ReplayHost:
    """A host whose run() answers from the bundle (nothing is connected)."""

    player: Player

    def run(self, command: str, *args: Any, **_: Any) -> HostResult:
        answer = self.player.take("ssh", _key(command, args))
        return HostResult(command % tuple(args) if args else command, int(answer["rc"]), str(answer["stdout"]),
                          str(answer["stderr"]))


@dataclass
class RecordingConsole:
    """A ConsoleSource that records what inner returned (and says the same evidence)."""

    inner: ConsoleSource
    recorder: Recorder

    @property
    def evidence(self) -> str:
        return self.inner.evidence

    def output(self, instance_id: str) -> str:
        began = time.monotonic()
        text = self.inner.output(instance_id)
        self.recorder.add("console", {"kind": "console", "instance": instance_id},
                          {"text": text, "evidence": self.inner.evidence}, began=began)
        return text


@dataclass
class ReplayConsole:
    """A ConsoleSource answering from the bundle."""

    player: Player
    recorded_evidence: str

    @property
    def evidence(self) -> str:
        return self.recorded_evidence

    def output(self, instance_id: str) -> str:
        return str(self.player.take("console", {"kind": "console", "instance": instance_id}, read=True)["text"])
