"""Parsing `talosctl health` progress into pass, or the failing check by name."""

from __future__ import annotations

from provisioning.talos.health import parse_health

PASS = """discovered nodes: ["10.10.0.101" "10.10.0.102"]
waiting for etcd to be healthy: ...
waiting for etcd to be healthy: OK
waiting for kube-proxy to report ready: ...
waiting for kube-proxy to report ready: SKIP
"""

MEMORY = """waiting for etcd to be healthy: ...
waiting for etcd to be healthy: OK
waiting for all nodes memory sizes: ...
waiting for all nodes memory sizes: 1 error occurred:
    * node "10.10.0.102" does not meet memory requirements: expected at least 1698 MiB, actual 1500 MiB
context deadline exceeded
"""


def test_pass_lists_completed_checks() -> None:
    result = parse_health(PASS, 0)
    assert result.passed
    assert result.completed == ("etcd to be healthy", "kube-proxy to report ready")
    assert result.describe() == "talosctl health passed (2 checks)"


def test_failed_check_is_named_with_its_multiline_error() -> None:
    result = parse_health(MEMORY, 1)
    assert not result.passed
    assert result.failed_check == "all nodes memory sizes"
    assert "10.10.0.102" in result.detail and "actual 1500 MiB" in result.detail
    assert result.describe().startswith("talosctl health failed at check 'all nodes memory sizes'")


def test_a_check_still_running_at_timeout_takes_the_final_error() -> None:
    stderr = ("waiting for etcd to be healthy: OK\nwaiting for etcd members to be consistent across nodes: ...\n"
              "context deadline exceeded\n")
    result = parse_health(stderr, 1)
    assert result.failed_check == "etcd members to be consistent across nodes"
    assert result.detail == "context deadline exceeded"


def test_terminal_colours_and_spinners_are_ignored() -> None:
    stderr = ("\x1b[33m◰ waiting for etcd to be healthy: ...\x1b[0m\n"
              "\x1b[A\x1b[K\x1b[31m◳ waiting for etcd to be healthy: rpc error: code = Unavailable\x1b[0m\n")
    result = parse_health(stderr, 1)
    assert result.failed_check == "etcd to be healthy"
    assert result.detail == "rpc error: code = Unavailable"


def test_failure_before_any_check_has_no_check_name() -> None:
    result = parse_health("error constructing client: failed to determine endpoints\n", 1)
    assert not result.passed and result.failed_check is None
    assert "failed to determine endpoints" in result.describe()
