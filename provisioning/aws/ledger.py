"""The creation ledger: what a run created or adopted, in order, persisted as JSON.

Teardown walks it in reverse; whatever is still in it after a teardown (or when a run is
abandoned) is what is left in AWS, and the JSON file is what the sweeper and the operator
read.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """One resource: kind, plan key, AWS id, phase, region, and whether this run created it."""

    kind: str
    key: str
    id: str
    phase: str
    region: str
    created: bool


class Ledger:
    """An ordered, thread-safe list of entries, mirrored to path after every change."""

    def __init__(self, run_id: str, path: Path | None = None) -> None:
        self.run_id = run_id
        self.path = path
        self._entries: list[Entry] = []
        self._lock = threading.Lock()

    def add(self, entry: Entry) -> None:
        with self._lock:
            self._entries.append(entry)
            self._save()

    def remove(self, entry: Entry) -> None:
        with self._lock:
            self._entries.remove(entry)
            self._save()

    def entries(self, phase: str | None = None) -> list[Entry]:
        """A copy of the entries (of one phase), in creation order."""
        with self._lock:
            return [e for e in self._entries if phase is None or e.phase == phase]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def to_dict(self) -> dict[str, object]:
        with self._lock:
            return {"run_id": self.run_id, "resources": [asdict(e) for e in self._entries]}

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"run_id": self.run_id, "resources": [asdict(e) for e in self._entries]},
                                  indent=2), encoding="utf-8")
        os.replace(tmp, self.path)

    @classmethod
    def load(cls, path: Path) -> Ledger:
        """Read a ledger file written by an earlier run."""
        data = json.loads(path.read_text(encoding="utf-8"))
        ledger = cls(str(data["run_id"]), path)
        ledger._entries = [Entry(**e) for e in data["resources"]]
        return ledger
