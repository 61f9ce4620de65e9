"""One run's recording or replay: the bundle, the redactor and the taps each adapter uses.

A Recording collects (redacted) exchanges from every adapter of the run and writes the
bundle at the end; a Replay answers them from a bundle. Both expose the same taps: aws
(botocore hooks), talosctl (a subprocess runner), kube (a REST transport), console and
host (SSH commands). The fixtures hand them to the adapters; the adapters do not know.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from provisioning.aws.console import ConsoleSource
from provisioning.checks.secrets import configured_secrets
from provisioning.data import load_data
from provisioning.recording.adapters import KubeRecording, KubeReplay, TalosRecording, TalosReplay
from provisioning.recording.aws import AwsRecording, AwsReplay
from provisioning.recording.bundle import BundleError, Player, Recorder, load
from provisioning.recording.host import RecordingConsole, RecordingHost, ReplayConsole, ReplayHost
from provisioning.recording.redact import Redactor

log = logging.getLogger(__name__)
SPEEDS = ("instant", "recorded")
ACCOUNT_ENV = "TDG_ACCOUNT_ALLOWLIST"
PROFILE_FILE = "profile.yaml"


def run_redactor(*, home: str | None, doc_home: str | None, env: Mapping[str, str] | None = None,
                 accounts: tuple[str, ...] = ()) -> Redactor:
    """The redactor of this run: configured secrets, allowlisted and seen accounts, the home address."""
    env = os.environ if env is None else env
    allow = tuple(a.strip() for a in env.get(ACCOUNT_ENV, "").split(",") if a.strip())
    return Redactor.for_run(configured_secrets(env), allow + accounts, home, doc_home)


def versions_pin() -> dict[str, Any]:
    """The pinned versions (data/versions.yaml) a bundle names, plus the file's sha256."""
    v = load_data("versions")
    text = (Path(__file__).resolve().parent.parent / "data" / "versions.yaml").read_bytes()
    return {"boot_to_talos": v["boot_to_talos"]["version"], "talos": v["talos"]["version"],
            "versions_yaml_sha256": hashlib.sha256(text).hexdigest()}


@dataclass
class Recording:
    """Record this run into directory (written by finish())."""

    directory: Path
    redactor: Redactor
    manifest: dict[str, Any]
    recorder: Recorder = field(init=False)

    def __post_init__(self) -> None:
        self.recorder = Recorder(self.redactor)
        self.aws = AwsRecording(self.recorder)
        self.talos = TalosRecording(self.recorder)
        self.kube = KubeRecording(self.recorder)

    def fact(self, name: str, value: Mapping[str, Any]) -> None:
        """Keep something a stand-in or the run chose (ports, paths), for the replay to use as the run did."""
        self.recorder.add("facts", {"name": name}, dict(value), began=self.recorder.started)

    def host(self, inner: Any) -> RecordingHost:
        """inner (a testinfra host), recording every command the probes run on it."""
        return RecordingHost(inner, self.recorder)

    def console(self, inner: ConsoleSource) -> RecordingConsole:
        """inner, recording every console text read from it."""
        return RecordingConsole(inner, self.recorder)

    def finish(self, outcomes: list[dict[str, str]], profile_text: str, extra: Mapping[str, Any] | None = None) -> Path:
        """Write the bundle with the scenario outcomes and the profile it ran; return its directory."""
        body = {**self.manifest, "outcomes": outcomes, **(extra or {})}
        profile = yaml.safe_dump(self.redactor.value(yaml.safe_load(profile_text)), sort_keys=False)
        path = self.recorder.write(self.directory, body, {PROFILE_FILE: profile})
        log.info("recorded the run into %s", path)
        return path


@dataclass
class Replay:
    """Answer this run from the bundle in directory."""

    directory: Path
    speed: str = "instant"
    manifest: dict[str, Any] = field(init=False)
    player: Player = field(init=False)

    def __post_init__(self) -> None:
        if self.speed not in SPEEDS:
            raise BundleError(f"--replay-speed {self.speed!r}: must be one of {', '.join(SPEEDS)}")
        self.manifest, channels = load(self.directory)
        self.player = Player(channels, self.speed)
        self.redactor = Redactor.for_run((), (), None, self.manifest.get("doc_home"))
        self.aws = AwsReplay(self.player, self.redactor)
        self.talos = TalosReplay(self.player)
        self.kube = KubeReplay(self.player)

    @property
    def label(self) -> str:
        """The report's words for where every answer comes from."""
        when = self.manifest.get("when", "?")
        with contextlib.suppress(ValueError):
            when = dt.datetime.fromisoformat(when).strftime("%Y-%m-%d %H:%M UTC")
        return f"replayed from a run of {when}, mode {self.manifest.get('mode', '?')}"

    def fact(self, name: str) -> dict[str, Any]:
        """A fact the recorded run kept (raises ReplayMiss when it has none)."""
        return self.player.take("facts", {"name": name})

    def host(self) -> ReplayHost:
        """A host answering the probes' commands from the bundle."""
        return ReplayHost(self.player)

    def console(self) -> ReplayConsole:
        """A console source answering from the bundle, with the recorded source's evidence."""
        first = next(iter(self.player.channels.get("console", [])), None)
        return ReplayConsole(self.player, str(first["answer"]["evidence"]) if first else "console (recorded)")


Session = Recording | Replay
