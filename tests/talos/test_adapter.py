"""The talosctl adapter: argv it builds, JSON stream parsing, typed errors, and secrets kept out."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Any

import pytest

from provisioning.talos.adapter import (
    TalosconfigMissing,
    Talosctl,
    TalosctlError,
    TalosctlNotFound,
    parse_json_stream,
)

TWO_OBJECTS = """{
    "metadata": {
        "id": "latest",
        "namespace": "perf"
    },
    "node": "10.10.0.101",
    "spec": {
        "total": 3931076
    }
}
{
    "metadata": {
        "id": "latest",
        "namespace": "perf"
    },
    "node": "10.10.0.102",
    "spec": {
        "total": 1949696
    }
}
"""


def test_parse_json_stream_splits_concatenated_pretty_objects() -> None:
    objs = parse_json_stream(TWO_OBJECTS)
    assert [o["node"] for o in objs] == ["10.10.0.101", "10.10.0.102"]
    assert parse_json_stream("") == []
    assert parse_json_stream("  \n") == []


def test_parse_json_stream_rejects_a_list_and_garbage() -> None:
    with pytest.raises(ValueError, match="expected an object"):
        parse_json_stream('[{"node": "x"}]')
    with pytest.raises(ValueError):
        parse_json_stream('{"node": "x"} not-json')


class FakeRunner:
    """Records argv and answers like talosctl would."""

    def __init__(self, stdout: str = "", stderr: str = "", returncode: int = 0, raise_timeout: bool = False):
        self.calls: list[tuple[list[str], dict[str, Any]]] = []
        self.stdout, self.stderr, self.returncode, self.raise_timeout = stdout, stderr, returncode, raise_timeout

    def __call__(self, argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append((argv, kw))
        if self.raise_timeout:
            raise subprocess.TimeoutExpired(argv, kw["timeout"], stderr=b"waiting for etcd to be healthy: ...\n")
        return subprocess.CompletedProcess(argv, self.returncode, self.stdout, self.stderr)


def fake_binary(tmp_path: Path) -> str:
    exe = tmp_path / "talosctl"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    return str(exe)


def test_every_call_names_talosconfig_endpoints_nodes_and_a_timeout(tmp_path: Path, talosconfig: Path) -> None:
    runner = FakeRunner(stdout=TWO_OBJECTS)
    talos = Talosctl(talosconfig, ("127.0.0.1:50001",), binary=fake_binary(tmp_path), timeout_s=12, runner=runner)
    stats = talos.memory_stats(["10.10.0.101", "10.10.0.102"])
    assert [s.total_mib for s in stats] == [3838, 1904]
    argv, kw = runner.calls[0]
    assert argv[1:] == ["--talosconfig", str(talosconfig), "-e", "127.0.0.1:50001", "-n", "10.10.0.101,10.10.0.102",
                        "get", "memorystats", "-o", "json"]
    assert kw["timeout"] == 12 and kw["capture_output"] and kw["text"]


def test_health_passes_explicit_node_lists_client_side(tmp_path: Path, talosconfig: Path) -> None:
    runner = FakeRunner(stderr="waiting for etcd to be healthy: ...\nwaiting for etcd to be healthy: OK\n")
    talos = Talosctl(talosconfig, ("127.0.0.1:50001",), binary=fake_binary(tmp_path), runner=runner)
    result = talos.health(["10.10.0.101"], ["10.10.0.102", "10.10.0.103"], wait_timeout_s=300)
    argv, kw = runner.calls[0]
    assert "--server=false" in argv
    assert argv[argv.index("--control-plane-nodes") + 1] == "10.10.0.101"
    assert argv[argv.index("--worker-nodes") + 1] == "10.10.0.102,10.10.0.103"
    assert argv[argv.index("--wait-timeout") + 1] == "300s"
    assert kw["timeout"] > 300
    assert result.passed and result.completed == ("etcd to be healthy",)


def test_health_that_outlives_its_timeout_is_a_failed_result(tmp_path: Path, talosconfig: Path) -> None:
    runner = FakeRunner(raise_timeout=True)
    talos = Talosctl(talosconfig, ("127.0.0.1:50001",), binary=fake_binary(tmp_path), runner=runner)
    result = talos.health(["10.10.0.101"], [], wait_timeout_s=1)
    assert not result.passed
    assert result.failed_check == "etcd to be healthy"


def test_missing_binary_says_what_to_install(talosconfig: Path) -> None:
    talos = Talosctl(talosconfig, ("127.0.0.1",), binary="talosctl-not-installed-here", env={"PATH": "/nonexistent"})
    with pytest.raises(TalosctlNotFound, match=r"install talosctl v1\.12\.7.*siderolabs/talos/releases"):
        talos.versions(["10.10.0.101"])
    with pytest.raises(TalosctlNotFound):
        Talosctl(talosconfig, ("127.0.0.1",), binary="/nonexistent/talosctl").resolve_binary()


def test_missing_talosconfig_is_a_typed_error(tmp_path: Path) -> None:
    talos = Talosctl(tmp_path / "absent", ("127.0.0.1",), binary=fake_binary(tmp_path), runner=FakeRunner())
    with pytest.raises(TalosconfigMissing, match="absent"):
        talos.disks(["10.10.0.101"])


def test_endpoints_are_required(talosconfig: Path) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        Talosctl(talosconfig, ())


def test_failure_and_timeout_raise_without_talosconfig_contents(tmp_path: Path, talosconfig: Path,
                                                               talosconfig_secret: str,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    failing = Talosctl(talosconfig, ("127.0.0.1",), binary=fake_binary(tmp_path),
                       runner=FakeRunner(returncode=1, stderr="rpc error: code = Unavailable desc = boom\n"))
    with pytest.raises(TalosctlError, match="exited 1: rpc error") as err:
        failing.extensions(["10.10.0.101"])
    slow = Talosctl(talosconfig, ("127.0.0.1",), binary=fake_binary(tmp_path), runner=FakeRunner(raise_timeout=True))
    with pytest.raises(TalosctlError, match="timed out") as late:
        slow.services(["10.10.0.101"])
    assert talosconfig_secret not in str(err.value) + str(late.value)
    assert talosconfig_secret not in caplog.text
    assert "talosctl get extensions" in caplog.text
