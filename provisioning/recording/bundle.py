"""A recorded run on disk: manifest.json plus one gzip JSON-lines file per channel.

Channels: aws (botocore calls), talosctl (invocations), kube (Kubernetes API answers),
console (instance console texts), ssh (commands run on the bastion over SSH), facts (what a
stand-in chose at start, e.g. its ports). Every entry is redacted before it is kept in
memory (provisioning/recording/redact.py); the manifest names the profile, the pinned
versions, the run id, the mode, when, the scenario outcomes and each file's sha256.
"""

from __future__ import annotations

import base64
import datetime as dt
import difflib
import gzip
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provisioning.errors import SetupError
from provisioning.recording.redact import Redactor

log = logging.getLogger(__name__)
FORMAT = "tdg-recording/1"
CHANNELS = ("aws", "talosctl", "kube", "console", "ssh", "facts")
VOLATILE_KEYS = {"ClientToken", "ClientRequestToken", "IdempotencyToken", "PublicKeyMaterial"}
VOLATILE = [
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"/tmp/tdg-[a-z-]+[A-Za-z0-9_]+"), "<tmpdir>"),
    (re.compile(r"\b127\.\d+\.\d+\.\d+:\d+"), "<loopback:port>"),
]


class BundleError(SetupError):
    """A bundle is missing, unreadable, of another format, or fails its checksums."""


class ReplayMiss(SetupError):
    """The replayed run asked for something the bundle does not hold."""


def encode(value: Any) -> Any:
    """Make a botocore/kubernetes value JSON-safe: datetimes and bytes become tagged objects."""
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, bytes | bytearray):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def decode(value: Any) -> Any:
    """Undo encode()."""
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return dt.datetime.fromisoformat(value["$dt"])
        if set(value) == {"$b64"}:
            return base64.b64decode(value["$b64"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def normalize(value: Any, key: str = "") -> Any:
    """The part of a request that identifies it across runs: tokens, times, temp dirs and loopback ports blanked."""
    if key in VOLATILE_KEYS:
        return "<token>"
    if isinstance(value, str):
        for pattern, repl in VOLATILE:
            value = pattern.sub(repl, value)
        return value
    if isinstance(value, Mapping):
        return {str(k): normalize(v, str(k)) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        items = [normalize(v) for v in value]
        if key.endswith("Ids") and all(isinstance(v, str) for v in items):
            return sorted(items)  # a set of ids: concurrent launches finish in any order
        return items
    return value


def _kind(key: Any) -> Any:
    """What kind of request key is (AWS operation, talosctl subcommand, HTTP method and path), for "nearest"."""
    if isinstance(key, Mapping):
        return key.get("op") or key.get("kind") or key.get("method") or next(iter(key.values()), None)
    return None


def _flat(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{path}.{key}" if path else key).items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _flat(item, f"{path}[{i}]").items()}
    return {path: value}


def _differences(asked: Any, recorded: Any, limit: int = 5) -> list[str]:
    """The fields where two requests differ: 'path: asked X, recorded Y' (at most limit)."""
    a, r = _flat(normalize(asked)), _flat(normalize(recorded))
    out = [f"{k}: asked {a.get(k, '<absent>')!r}, recorded {r.get(k, '<absent>')!r}"
           for k in sorted(set(a) | set(r)) if a.get(k) != r.get(k)]
    return out[:limit] + ([f"... {len(out) - limit} more"] if len(out) > limit else [])


def _key_text(key: Any) -> str:
    return json.dumps(normalize(key), sort_keys=True, default=str)


@dataclass
class Recorder:
    """Collect redacted entries in memory (thread-safe); write() puts the bundle on disk."""

    redactor: Redactor
    started: float = field(default_factory=time.monotonic)
    entries: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {c: [] for c in CHANNELS})
    lock: threading.Lock = field(default_factory=threading.Lock)
    seq: int = 0

    def add(self, channel: str, key: Mapping[str, Any], answer: Mapping[str, Any], *, began: float,
            ended: float | None = None) -> None:
        """Keep one exchange: what was asked (key), what came back (answer), when and how long."""
        ended = time.monotonic() if ended is None else ended
        entry = {"key": self.redactor.value(encode(key)), "answer": self.redactor.value(encode(answer)),
                 "t": round(began - self.started, 4), "dur": round(ended - began, 4)}
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.entries[channel].append(entry)

    def write(self, directory: Path, manifest: Mapping[str, Any], extra: Mapping[str, str] | None = None) -> Path:
        """Write every channel, extra text files and manifest.json (with checksums); refuse if anything leaks."""
        directory.mkdir(parents=True, exist_ok=True)
        files: dict[str, str] = {}
        for name, text in (extra or {}).items():
            text = self.redactor.text(text)
            if self.redactor.leaks(text):
                raise BundleError(f"refusing to write {name}: {'; '.join(self.redactor.leaks(text))}")
            (directory / name).write_text(text, encoding="utf-8")
            files[name] = hashlib.sha256(text.encode()).hexdigest()
        for channel, items in self.entries.items():
            text = "".join(json.dumps(e, sort_keys=True) + "\n" for e in items)
            leaks = self.redactor.leaks(text)
            if leaks:
                raise BundleError(f"refusing to write {channel}: {'; '.join(leaks)}")
            path = directory / f"{channel}.jsonl.gz"
            path.write_bytes(gzip.compress(text.encode(), mtime=0))
            files[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        body = {**self.redactor.value(dict(manifest)), "format": FORMAT, "files": files,
                "counts": {c: len(v) for c, v in self.entries.items()}}
        text = json.dumps(body, indent=2, sort_keys=True) + "\n"
        if self.redactor.leaks(text):
            raise BundleError(f"refusing to write the manifest: {'; '.join(self.redactor.leaks(text))}")
        (directory / "manifest.json").write_text(text, encoding="utf-8")
        return directory


def load(directory: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Read a bundle: its manifest and every channel's entries (checksums verified)."""
    mpath = directory / "manifest.json"
    if not mpath.is_file():
        raise BundleError(f"{directory}: no manifest.json (not a recording made with --record)")
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BundleError(f"{mpath}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    channels: dict[str, list[dict[str, Any]]] = {}
    for name, digest in manifest["files"].items():
        raw = (directory / name).read_bytes()
        actual = hashlib.sha256(raw).hexdigest()
        if actual != digest:
            raise BundleError(f"{directory / name}: sha256 differs from the manifest's (edited or truncated): "
                              f"manifest files.{name} = {str(digest)[:16]}…, the file's is {actual[:16]}…")
        if not name.endswith(".jsonl.gz"):
            continue
        lines = gzip.decompress(raw).decode().splitlines()
        channels[name.split(".")[0]] = [json.loads(line) for line in lines if line]
    return manifest, channels


@dataclass
class Player:
    """Answer requests from a bundle's entries: the first unused entry with the same normalized key.

    speed "recorded" gives each answer no earlier than the recorded run got it (its start t plus
    its duration, counted from when the player was made): the gaps between recorded answers are
    slept, less the time the replay itself spent. clock and sleep are injectable (tests).
    """

    channels: dict[str, list[dict[str, Any]]]
    speed: str = "instant"
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    started: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    used: set[tuple[str, int]] = field(default_factory=set)
    first_miss: str | None = None
    repeated: int = 0
    index: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.started is None:  # the recorded times count from when the recording began, at configure
            self.started = self.clock()

    def _same(self, channel: str, want: str) -> list[int]:
        """The positions of the entries recorded for the key text want (keys are normalised once per channel)."""
        if channel not in self.index:
            by_key: dict[str, list[int]] = {}
            for i, entry in enumerate(self.channels.get(channel, [])):
                by_key.setdefault(_key_text(entry["key"]), []).append(i)
            self.index[channel] = by_key
        return self.index[channel].get(want, [])

    def take(self, channel: str, key: Mapping[str, Any], redactor: Redactor | None = None, *,
             read: bool = False) -> dict[str, Any]:
        """Return the answer recorded for key (decoded); raise ReplayMiss naming the nearest recorded one.

        A read (read=True) asked more often than the recorded run asked it gets the last answer
        recorded for it again: threads finish in another order in a replay, so which caller polls
        one more time can differ. Anything else asked that the bundle does not hold stops the replay.
        """
        asked = redactor.value(encode(key)) if redactor else encode(key)
        want = _key_text(asked)
        with self.lock:
            if self.first_miss is not None:  # off the recording: any later answer would be made up
                raise ReplayMiss(f"replay already left the recording: {self.first_miss}")
            entries = self.channels.get(channel, [])
            same = self._same(channel, want)
            fresh = [i for i in same if (channel, i) not in self.used]
            if fresh:
                self.used.add((channel, fresh[0]))
                entry = entries[fresh[0]]
            elif read and same:
                self.repeated += 1
                entry = entries[same[-1]]
                log.debug("replay: %s read asked again, answered with its last recorded answer: %s", channel,
                          want[:200])
            else:
                self.first_miss = self._miss(channel, asked, entries)
                raise ReplayMiss(self.first_miss)
        if self.speed == "recorded":
            self._pace(entry)
        return dict(decode(entry["answer"]))

    def _pace(self, entry: Mapping[str, Any]) -> None:
        """Sleep until the recorded run's answer time of entry (never for an answer already late)."""
        due = float(self.started or 0.0) + float(entry.get("t") or 0.0) + float(entry.get("dur") or 0.0)
        wait = due - self.clock()
        if wait > 0:
            self.sleep(wait)

    def _miss(self, channel: str, asked: Any, entries: Iterable[dict[str, Any]]) -> str:
        want = _key_text(asked)
        every = list(enumerate(entries))
        same = [p for p in every if _kind(p[1]["key"]) == _kind(asked)]
        unused = [p for p in (same or every) if (channel, p[0]) not in self.used]
        pool = unused or same or every
        best = max(pool, key=lambda p: difflib.SequenceMatcher(None, want, _key_text(p[1]["key"])).ratio(),
                   default=None)
        nearest = "none (the bundle holds no such calls)" if best is None else \
            f"#{best[1].get('seq')}{'' if unused else ' (already used)'}: {_key_text(best[1]['key'])[:300]}" \
            f"\n  differs in: {'; '.join(_differences(asked, best[1]['key'])) or 'nothing (already used)'}"
        return (f"replay: the bundle holds no {channel} call for {want[:600]}\n  nearest recorded: {nearest}\n"
                "  the run asked for something the recorded run did not (request shapes changed since it was "
                "recorded?): re-record the bundle (see README, 'Record and replay')")

    def unused(self, channel: str) -> int:
        """How many recorded entries of channel the replay has not asked for."""
        return sum(1 for i in range(len(self.channels.get(channel, []))) if (channel, i) not in self.used)
