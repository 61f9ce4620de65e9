"""The install check watches every console from launch: a late single read after scroll-out fails it."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from provisioning.talos.checks import console_install
from provisioning.talos.install_watch import ConsoleWatch, scrolled

BOOT = "cloud-init[1642]: boot\ntdg-boot-to-talos: fetching http://10.10.0.100:8080/b.tar.gz\n"
INSTALL = (BOOT + "tdg-boot-to-talos: running: boot-to-talos -yes -mode install (attempt 1 of 3)\n"
           "Talos installer finished successfully\ninstallation image copied to /dev/nvme0n1\nrebooting system\n")
TALOS = "".join(f"[{i:12.6f}] [talos] service[apid](Running): Health check successful\n" for i in range(900))
SCROLLED = TALOS[-65536:]
FAILED = BOOT + "tdg-boot-to-talos: boot-to-talos exited 1\ntdg-boot-to-talos: boot-to-talos failed 3 times\n"


class Console:
    """Answers each instance's reads from a script of texts (the last one repeats), like a console over time."""

    evidence = "test console"

    def __init__(self, scripts: dict[str, Sequence[str]]) -> None:
        self.scripts = {k: list(v) for k, v in scripts.items()}
        self.reads: dict[str, int] = dict.fromkeys(scripts, 0)
        self.lock = threading.Lock()

    def output(self, instance_id: str) -> str:
        with self.lock:
            n = self.reads[instance_id]
            self.reads[instance_id] += 1
            script = self.scripts[instance_id]
            return script[min(n, len(script) - 1)]


def test_a_late_single_read_after_scroll_out_fails_the_check() -> None:
    """What the check did before the watch: one read when the step ran, by then only Talos lines."""
    found = console_install(SCROLLED, instance="i-1")
    assert found and "lacks boot-to-talos install line" in found[0] and scrolled(SCROLLED)


def test_the_watch_keeps_the_first_text_with_the_install_for_every_node_at_once() -> None:
    console = Console({"i-1": ["", BOOT, INSTALL, SCROLLED], "i-2": ["", "", INSTALL, SCROLLED],
                       "i-3": [BOOT, INSTALL, SCROLLED]})
    watch = ConsoleWatch(console, {"n1": "i-1", "n2": "i-2", "n3": "i-3"}, interval_s=0.01).start()
    try:
        for name in ("n1", "n2", "n3"):
            seen = watch.evidence(name, 5.0, lambda: False, "maintenance API")
            assert seen.console == INSTALL and not seen.fallback and "first text holding" in seen.source
            assert console_install(seen.console, instance=name) == []
    finally:
        watch.stop()
    assert console.output("i-1") == SCROLLED  # the console itself has moved on


def test_a_window_scrolled_before_the_first_read_falls_back_to_the_maintenance_api() -> None:
    watch = ConsoleWatch(Console({"i-1": [SCROLLED]}), {"n1": "i-1"}, interval_s=0.01).start()
    try:
        seen = watch.evidence("n1", 0.2, lambda: True, "Talos maintenance API answering on the forward")
    finally:
        watch.stop()
    assert seen.fallback and seen.console is None
    assert "maintenance API answering on the forward" in seen.source and "scrolled" in seen.source


def test_no_fallback_when_the_maintenance_api_is_silent() -> None:
    watch = ConsoleWatch(Console({"i-1": [SCROLLED]}), {"n1": "i-1"}, interval_s=0.01).start()
    try:
        seen = watch.evidence("n1", 0.2, lambda: False, "maintenance API")
    finally:
        watch.stop()
    assert not seen.fallback and seen.console == SCROLLED
    assert console_install(seen.console, instance="i-1")  # the step fails on it


def test_a_failed_install_still_on_the_console_gets_no_fallback() -> None:
    """A kexec'ed or failed boot can answer in maintenance mode; its own console lines are the evidence."""
    watch = ConsoleWatch(Console({"i-1": [FAILED]}), {"n1": "i-1"}, interval_s=0.01).start()
    try:
        seen = watch.evidence("n1", 0.2, lambda: True, "maintenance API")
    finally:
        watch.stop()
    assert seen.console == FAILED and not scrolled(FAILED)
    assert "lacks boot-to-talos install line" in console_install(FAILED, instance="i-1")[0]


def test_a_console_error_is_kept_as_the_last_text_not_a_dead_thread() -> None:
    class Broken(Console):
        def output(self, instance_id: str) -> str:
            raise RuntimeError("boom")

    watch = ConsoleWatch(Broken({"i-1": [""]}), {"n1": "i-1"}, interval_s=0.01).start()
    try:
        seen = watch.evidence("n1", 0.1, lambda: True, "maintenance API")
    finally:
        watch.stop()
    assert seen.console is not None and "RuntimeError: boom" in seen.console
