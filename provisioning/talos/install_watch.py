"""Watch every node's serial console from launch and keep the evidence that boot-to-talos installed Talos.

EC2 returns only the latest 64 KB of a console, and a node that installed Talos keeps logging
to ttyS0 after its reboot, so the install lines scroll out within minutes: a single late read
finds Talos' service lines and nothing else. ConsoleWatch therefore polls every node's console
concurrently from launch and keeps the first text that holds the install lines (in order, see
checks.console_install). When a node's window had already scrolled before the watch saw the
install (a late start, EC2's lag), the fallback evidence is the Talos maintenance API
answering for that node; a console that still shows the user-data's own lines without the
install (a failed or kexec'ed boot) gets no fallback: it is the evidence, and the check fails.

A node whose first console text the watch reads holds only Talos' own kernel-log lines (a kept
run's node adopted by --reuse, launched long ago) has scrolled before the watch began: no later
read can show its install, so the maintenance API is asked at once instead of after the whole
wait, and the evidence says so. A fresh node's console is empty (EC2's lag) or not yet readable
at first, then shows the old OS and the user-data: it is waited for as before.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from provisioning.aws.console import ConsoleSource
from provisioning.errors import AwsError
from provisioning.talos.checks import console_install

log = logging.getLogger(__name__)
USER_DATA_PREFIX = "tdg-boot-to-talos:"  # every line the node's user-data writes (provisioning/talos/userdata.py)
# machined's lines on ttyS0: the kernel log timestamp, then the "[talos] " prefix it writes to kmsg
TALOS_LINE = re.compile(r"^\[\s*\d+\.\d+\] \[talos\] ")


@dataclass(frozen=True)
class InstallEvidence:
    """What shows that a node installed Talos: a console text with the install lines, or the fallback."""

    node: str
    instance_id: str
    console: str | None
    source: str
    before_first_read: bool = False  # the fallback was taken at once: the first text read held only Talos lines

    @property
    def fallback(self) -> bool:
        return self.console is None


def scrolled(text: str) -> bool:
    """True when the window no longer holds any line of the user-data (it scrolled past the install)."""
    return bool(text.strip()) and USER_DATA_PREFIX not in text


def only_talos_lines(text: str) -> bool:
    """True when every whole line of text is a Talos kernel-log line (the first may be cut by the 64 KB window).

    Such a window has scrolled past the install: boot-to-talos and the old OS wrote before Talos did.
    """
    lines = [line for line in text.replace("\r", "").split("\n") if line.strip()]
    if lines and not TALOS_LINE.match(lines[0]):
        lines = lines[1:]  # the window may begin mid-line
    return scrolled(text) and bool(lines) and all(TALOS_LINE.match(line) for line in lines)


class ConsoleWatch:
    """Poll each instance's console on its own thread until it shows the install; keep that first text."""

    def __init__(self, console: ConsoleSource, instances: Mapping[str, str], *, interval_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.console, self.instances, self.interval_s, self.clock = console, dict(instances), interval_s, clock
        self.started = clock()
        self._found: dict[str, tuple[str, float]] = {}
        self._last: dict[str, str] = {}
        self._failed: set[str] = set()  # nodes whose last read was an error, not a console text
        self._first: dict[str, str] = {}  # each node's first console text (the first non-empty successful read)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = {name: threading.Event() for name in self.instances}
        self._threads = [threading.Thread(target=self._poll, args=(name, iid), name=f"console-{name}", daemon=True)
                         for name, iid in self.instances.items()]

    def start(self) -> ConsoleWatch:
        for t in self._threads:
            t.start()
        log.info("watching the consoles of %s from launch (every %.1fs)", ", ".join(self.instances), self.interval_s)
        return self

    def _poll(self, name: str, iid: str) -> None:
        while not self._stop.is_set():
            failed = False
            try:
                text = self.console.output(iid)
            except AwsError as exc:  # throttling or a not-yet-visible instance: try again next round
                log.debug("console of %s: %s", name, exc)
                text = ""
            except Exception as exc:  # the thread must not die silently: the evidence names the error
                log.warning("console of %s: %s: %s", name, type(exc).__name__, exc)
                text, failed = f"(reading the console failed: {type(exc).__name__}: {exc})", True
            with self._lock:
                self._last[name] = text
                (self._failed.add if failed else self._failed.discard)(name)
                first = bool(text) and not failed and name not in self._first
                if first:
                    self._first[name] = text
            if first and only_talos_lines(text):
                log.info("console of %s shows only Talos lines at the first read: scrolled before the watch", name)
                self._done[name].set()  # its evidence need not wait: no later read can show the install
            if text and not failed and not console_install(text, instance=iid):
                with self._lock:
                    self._found[name] = (text, self.clock() - self.started)
                self._done[name].set()
                log.info("console of %s shows the boot-to-talos install", name)
                return
            self._stop.wait(self.interval_s)

    def install_text(self, name: str, timeout_s: float) -> str | None:
        """The first console text of name that held the install lines, waiting up to timeout_s; None if none.

        Returns None at once when name's first console text showed only Talos lines (scrolled_at_first_read).
        """
        self._done[name].wait(timeout_s)
        with self._lock:
            found = self._found.get(name)
        return found[0] if found else None

    def scrolled_at_first_read(self, name: str) -> bool:
        """True when the first console text read for name held only Talos lines (see only_talos_lines)."""
        with self._lock:
            first = self._first.get(name)
        return first is not None and only_talos_lines(first)

    def last_text(self, name: str) -> str:
        with self._lock:
            return self._last.get(name, "")

    def evidence(self, name: str, timeout_s: float, maintenance_answers: Callable[[], bool],
                 fallback_source: str) -> InstallEvidence:
        """Wait for name's install on its console; when its window has scrolled, ask the maintenance API instead."""
        iid, began = self.instances[name], self.clock()
        text = self.install_text(name, timeout_s)
        if text is None and self.scrolled_at_first_read(name):
            if maintenance_answers():
                log.info("console of %s scrolled before the first read; the maintenance API answers instead", name)
                return InstallEvidence(name, iid, None, f"{fallback_source} (the console's latest 64 KB showed only "
                                                        "Talos lines at the first read: scrolled past the install "
                                                        "lines before the watch began)", before_first_read=True)
            # the API is not up yet: this node gets the rest of the wait, as any other
            text = self._wait_found(name, max(0.0, timeout_s - (self.clock() - began)))
        if text is not None:
            with self._lock:
                at = self._found[name][1]
            return InstallEvidence(name, iid, text, f"{self.console.evidence}: first text holding the install "
                                                    f"lines, read {at:.1f}s after the watch started")
        last = self.last_text(name)
        with self._lock:
            read_failed = name in self._failed
        if not read_failed and scrolled(last) and maintenance_answers():
            log.info("console of %s scrolled past the install; the maintenance API answers instead", name)
            return InstallEvidence(name, iid, None, f"{fallback_source} (the console's latest 64 KB had scrolled "
                                                    "past the install lines)")
        return InstallEvidence(name, iid, last, f"{self.console.evidence}: last text read, no install seen "
                                                f"in {self.clock() - self.started:.0f}s of watching")

    def _wait_found(self, name: str, timeout_s: float) -> str | None:
        """Sleep up to timeout_s unless the watch stops; then the install text of name if one turned up."""
        self._stop.wait(timeout_s)
        with self._lock:
            found = self._found.get(name)
        return found[0] if found else None

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
