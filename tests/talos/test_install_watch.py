"""The install check watches every console from launch: a late single read after scroll-out fails it."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from provisioning.errors import AwsError
from provisioning.talos.checks import console_install
from provisioning.talos.install_watch import ConsoleWatch, only_talos_lines, scrolled

BOOT = "cloud-init[1642]: boot\ntdg-boot-to-talos: fetching http://10.10.0.100:8080/b.tar.gz\n"
INSTALL = (BOOT + "tdg-boot-to-talos: running: boot-to-talos -yes -mode install (attempt 1 of 3)\n"
           "Talos installer finished successfully\ninstallation image copied to /dev/nvme0n1\nrebooting system\n")
TALOS = "".join(f"[{i:12.6f}] [talos] service[apid](Running): Health check successful\n" for i in range(900))
SCROLLED = TALOS[-65536:]
OLD_OS = "[    0.000000] Linux version 6.8.0-1016-aws\n[    2.104000] systemd[1]: Started cloud-init.service\n"
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
            text = script[min(n, len(script) - 1)]
        if text == NOT_VISIBLE:
            raise AwsError("GetConsoleOutput", "InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' "
                           "does not exist")
        return text


NOT_VISIBLE = "(the instance is not visible to the API yet)"


class Maintenance:
    """A maintenance API that answers from its n-th question on (1: at once; 0: never)."""

    def __init__(self, from_question: int) -> None:
        self.from_question, self.asked = from_question, 0

    def __call__(self) -> bool:
        self.asked += 1
        return 0 < self.from_question <= self.asked


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


def test_only_talos_lines_needs_every_whole_line_to_be_talos_and_no_user_data() -> None:
    assert only_talos_lines(SCROLLED) and only_talos_lines("ice[apid](Running): Heal" + SCROLLED[-4000:])  # cut
    for not_scrolled in ("", "\n", BOOT, INSTALL, FAILED, OLD_OS, OLD_OS + TALOS[:300], INSTALL + TALOS,
                         TALOS[:3000] + "tdg-boot-to-talos: fetching\n" + TALOS[:3000],
                         "[talos] service[apid](Running): no kernel timestamp\n" * 3):
        assert not only_talos_lines(not_scrolled), not_scrolled[-200:]


def test_only_talos_lines_at_the_first_read_falls_back_at_once_and_says_why() -> None:
    """A reused node launched long ago: the maintenance API is asked without waiting out the deadline.

    The watch is given 600 s: the evidence names the first-read decision, which only the early path takes
    (after a wait, the fallback's source names the plain scroll-out instead).
    """
    asked = Maintenance(1)
    watch = ConsoleWatch(Console({"i-1": [SCROLLED]}), {"n1": "i-1"}, interval_s=0.01).start()
    try:
        seen = watch.evidence("n1", 600.0, asked, "Talos maintenance API")
    finally:
        watch.stop()
    assert seen.fallback and asked.asked == 1 and watch.scrolled_at_first_read("n1")
    assert seen.source == ("Talos maintenance API (the console's latest 64 KB showed only Talos lines at the first "
                           "read: scrolled past the install lines before the watch began)")


def test_a_silent_maintenance_api_at_the_first_read_gets_the_rest_of_the_wait() -> None:
    asked = Maintenance(2)
    watch = ConsoleWatch(Console({"i-1": [SCROLLED]}), {"n1": "i-1"}, interval_s=0.01).start()
    try:
        seen = watch.evidence("n1", 0.3, asked, "Talos maintenance API")
    finally:
        watch.stop()
    assert seen.fallback and asked.asked == 2
    assert seen.source == "Talos maintenance API (the console's latest 64 KB had scrolled past the install lines)"


def test_a_fresh_console_empty_or_not_yet_visible_is_waited_for_even_when_the_api_answers() -> None:
    """EC2's lag, then the old OS and the user-data: none of these first texts is a scrolled window."""
    console = Console({"i-1": [NOT_VISIBLE, NOT_VISIBLE, "", "", OLD_OS, OLD_OS + BOOT, OLD_OS + INSTALL],
                       "i-2": ["", "", "", BOOT, INSTALL, INSTALL + TALOS[:2000]],
                       "i-3": [NOT_VISIBLE, OLD_OS + BOOT, OLD_OS + BOOT]})
    watch = ConsoleWatch(console, {"n1": "i-1", "n2": "i-2", "n3": "i-3"}, interval_s=0.01).start()
    try:
        seen = {name: watch.evidence(name, 5.0 if name != "n3" else 0.3, Maintenance(1), "maintenance API")
                for name in ("n1", "n2", "n3")}
    finally:
        watch.stop()
    assert seen["n1"].console == OLD_OS + INSTALL and seen["n2"].console == INSTALL
    assert not any(watch.scrolled_at_first_read(name) for name in seen)
    # user-data lines but no install: no fallback, the console is the evidence and the check fails on it
    assert seen["n3"].console == OLD_OS + BOOT and "no install seen" in seen["n3"].source
    assert console_install(seen["n3"].console, instance="i-3")
