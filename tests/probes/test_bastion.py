"""Bastion probes: they pass on the loopback stand-in and fail on a wrong one (and on recorded hosts)."""

from __future__ import annotations

import dataclasses
import hashlib
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures.bastion_standin import STANDIN_BINARIES, TEST_ADDRESS, TEST_NAME, running_standin
from fixtures.standin import binaries
from fixtures.standin.net import free_port
from provisioning.adapters.ssh import testinfra_host
from provisioning.data import load_data
from provisioning.probes import bastion as pb
from provisioning.probes.dnsquery import parse_answer
from provisioning.profiles import load
from provisioning.userdata import BootToTalos, render_bastion


@pytest.fixture(scope="module")
def approved():
    return load("approved")


@pytest.fixture(scope="module")
def homelab():
    return load("homelab-replica")


@pytest.fixture(scope="module")
def good(approved):
    """A healthy stand-in shared by the read-only checks."""
    binaries.require(*STANDIN_BINARIES)
    with running_standin(approved) as s:
        yield s, testinfra_host(s.ssh)


@pytest.fixture
def broken(approved):
    """A stand-in of its own, for a test that breaks it."""
    binaries.require(*STANDIN_BINARIES)
    with running_standin(approved) as s:
        yield s, testinfra_host(s.ssh)


def only(finding: pb.Finding) -> pb.Violation:
    assert len(finding.violations) == 1, str(finding)
    return finding.violations[0]


# -- the healthy stand-in passes every host check ---------------------------------------------
def test_healthy_standin_passes_every_check(good):
    s, host = good
    r = s.rendering
    findings = [pb.ssh_answers(host, s.ssh.user), pb.caches_answer(host, r), pb.assets_served(host, r),
                pb.dns_resolves(host, r, TEST_NAME, TEST_ADDRESS), pb.processes_running(host, r, s.running_services),
                pb.cache_pulls_through(host, r, "docker.io", s.test_image.repository, s.test_image.tag)]
    for f in findings:
        assert f.ok, str(f)
        assert f.evidence == pb.HOST


@pytest.mark.parametrize("name", ["docker.io", "registry.k8s.io", "quay.io", "gcr.io", "ghcr.io"])
def test_each_cache_answers(good, name):
    s, host = good
    assert pb.cache_answers(host, s.rendering, name).ok


# -- each check fails on a wrong stand-in -----------------------------------------------------
def _moved(rendering, name, port):
    caches = tuple(dataclasses.replace(c, port=port) if c.name == name else c for c in rendering.caches)
    return dataclasses.replace(rendering, caches=caches)


def test_cache_on_the_wrong_port_fails(good):
    s, host = good
    wrong = _moved(s.rendering, "quay.io", free_port(s.address))
    v = only(pb.cache_answers(host, wrong, "quay.io"))
    assert v.expected == "HTTP 200" and v.actual.startswith("no answer")
    assert not pb.caches_answer(host, wrong).ok


def test_something_else_on_the_cache_port_fails(good):
    s, host = good
    wrong = _moved(s.rendering, "gcr.io", s.rendering.assets.port)  # the asset server answers there
    assert only(pb.cache_answers(host, wrong, "gcr.io")).actual == "HTTP 404"


def test_pull_through_of_an_absent_image_fails(good):
    s, host = good
    assert only(pb.cache_pulls_through(host, s.rendering, "ghcr.io", "tdg/absent", "v1")).actual == "HTTP 404"


def test_missing_asset_fails(broken):
    s, host = broken
    Path(s.rendering.assets.path).unlink()
    f = pb.assets_served(host, s.rendering)
    assert len(f.violations) == 2, str(f)
    assert f.violations[0].actual.startswith("nothing") and f.violations[1].actual.startswith("no file")


def test_wrong_checksum_fails(broken):
    s, host = broken
    Path(s.rendering.assets.path).write_bytes(b"not the pinned tarball")
    f = pb.assets_served(host, s.rendering)
    got = hashlib.sha256(b"not the pinned tarball").hexdigest()
    assert [v.actual for v in f.violations] == [got, got]
    assert all(v.expected == f"sha256 {s.tarball_sha256}" for v in f.violations)


def test_unpinned_checksum_fails_on_the_rendering(good):
    s, host = good
    unpinned = dataclasses.replace(s.rendering, assets=dataclasses.replace(s.rendering.assets, sha256=None))
    f = pb.assets_served(host, unpinned)
    assert f.evidence == pb.RENDERED and only(f).actual == "none pinned"


def test_dns_down_fails(broken):
    s, host = broken
    s.stop_service("tdg-dns.service")
    assert only(pb.dns_resolves(host, s.rendering, TEST_NAME, TEST_ADDRESS)).actual.startswith("no answer")
    assert only(pb.processes_running(host, s.rendering, ["tdg-dns.service"])).actual == "not running"


def test_dns_wrong_or_unknown_answer_fails(good):
    s, host = good
    assert only(pb.dns_resolves(host, s.rendering, TEST_NAME, "192.0.2.99")).actual == TEST_ADDRESS
    assert "rcode" in only(pb.dns_resolves(host, s.rendering, "absent.tdg.test")).actual


def test_stopped_cache_fails_the_process_and_cache_checks(broken):
    s, host = broken
    s.stop_service("registry-ghcr.io")
    v = only(pb.processes_running(host, s.rendering))
    assert v.resource == "process registry-ghcr.io"
    assert only(pb.caches_answer(host, s.rendering)).resource.startswith("cache ghcr.io")
    with pytest.raises(KeyError):
        pb.processes_running(host, s.rendering, ["no-such-service"])


def test_ssh_as_another_user_fails(good):
    s, host = good
    assert only(pb.ssh_answers(host, "ec2-user")).expected == "a shell as ec2-user"


def test_static_ip_on_host_reads_the_interfaces(good):
    s, host = good
    assert only(pb.static_ip_on_host(host, s.rendering)).expected == "10.10.0.100 on an interface"
    assert pb.static_ip_on_host(host, dataclasses.replace(s.rendering, static_ip="127.0.0.1")).ok


def test_static_ip_in_rendering(good, approved):
    s, _ = good
    f = pb.static_ip_in_rendering(approved, s.preview())
    assert f.ok and f.evidence == pb.RENDERED
    bad = pb.static_ip_in_rendering(approved, s.rendering)  # the loopback rendering binds 127.10.0.100
    assert len(bad.violations) == 8, str(bad)


# -- forwarding: the rendering offline, recorded hosts for the live path -----------------------
def test_forwarding_in_rendering_follows_the_profile(good, approved, homelab):
    s, _ = good
    assert pb.forwarding_in_rendering(approved, s.preview()).ok
    home = render_bastion(homelab, boot_to_talos=BootToTalos.from_versions(load_data("versions"), "b" * 64))
    assert pb.forwarding_in_rendering(homelab, home).ok
    stripped = dataclasses.replace(s.preview(), user_data=s.preview().user_data.replace("MASQUERADE", "ACCEPT"))
    assert not pb.forwarding_in_rendering(approved, stripped).ok
    assert not pb.forwarding_in_rendering(approved, dataclasses.replace(s.preview(), nat=None)).ok
    leaked = dataclasses.replace(home, user_data=home.user_data + "iptables -t nat -A POSTROUTING -j MASQUERADE\n")
    assert only(pb.forwarding_in_rendering(homelab, leaked)).actual == "present"


@dataclass
class Result:
    rc: int
    stdout: str = ""
    stderr: str = ""


class RecordedHost:
    """Answers commands from a table (longest matching prefix wins) and records what was run."""

    def __init__(self, answers: dict[str, Result]) -> None:
        self.answers, self.commands = answers, []

    def run(self, command: str, *args: str) -> Result:
        cmd = command % tuple(shlex.quote(a) for a in args) if args else command
        self.commands.append(cmd)
        for prefix in sorted(self.answers, key=len, reverse=True):
            if cmd.startswith(prefix):
                return self.answers[prefix]
        return Result(127, "", f"sh: {cmd.split()[0]}: not found")


def test_forwarding_on_host_with_nat(approved):
    ok = RecordedHost({"cat /proc/sys/net/ipv4/ip_forward": Result(0, "1\n"), "sudo -n iptables -t ": Result(0)})
    assert pb.forwarding_on_host(ok, approved).ok
    assert "sudo -n iptables -t nat -C POSTROUTING -s 10.10.0.0/24 '!' -d 10.10.0.0/16 -j MASQUERADE" in ok.commands
    missing = RecordedHost({"cat /proc/sys/net/ipv4/ip_forward": Result(0, "0\n"),
                            "sudo -n iptables -t ": Result(0), "sudo -n iptables -t nat": Result(1)})
    f = pb.forwarding_on_host(missing, approved)
    assert [(v.resource, v.actual) for v in f.violations] == [
        ("net.ipv4.ip_forward", "0"), ("iptables -t nat POSTROUTING", "absent")]
    assert len(pb.forwarding_on_host(RecordedHost({}), approved).violations) == 4  # nothing there at all


def test_forwarding_on_host_without_nat(homelab):
    clean = RecordedHost({"cat /proc/sys/net/ipv4/ip_forward": Result(0, "1\n"),  # Docker's own forwarding
                          "sudo -n iptables -t nat -S": Result(0, "-P POSTROUTING ACCEPT\n"
                                                                  "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 "
                                                                  "-j MASQUERADE\n")})
    assert pb.forwarding_on_host(clean, homelab).ok
    nat = RecordedHost({"sudo -n iptables -t nat -S": Result(0, "-A POSTROUTING -s 10.20.13.0/24 -j MASQUERADE\n")})
    assert "no masquerade for 10.20.13.0/24" in str(pb.forwarding_on_host(nat, homelab))


def test_containers_running_live(good):
    s, _ = good
    r = s.preview()
    names = "\n".join(x.name for x in r.services if x.kind == "container")
    ok = RecordedHost({"sudo -n docker ps": Result(0, names + "\n"), "systemctl is-active": Result(0, "active\n")})
    assert pb.containers_running(ok, r).ok
    partial = RecordedHost({"sudo -n docker ps": Result(0, "registry-docker.io\n"),
                            "systemctl is-active tdg-dns.service": Result(3, "inactive\n"),
                            "systemctl is-active": Result(0, "active\n")})
    f = pb.containers_running(partial, r)
    assert {v.resource for v in f.violations} == {
        "container registry-registry.k8s.io", "container registry-quay.io", "container registry-gcr.io",
        "container registry-ghcr.io", "unit tdg-dns.service"}
    no_docker = pb.containers_running(RecordedHost({"systemctl is-active": Result(0, "active\n")}), r)
    assert all("not found" in v.actual for v in no_docker.violations) and len(no_docker.violations) == 5


# -- parsing and reporting ---------------------------------------------------------------------
def test_parse_answer():
    assert parse_answer("rcode 0\nA 192.0.2.53\nA 192.0.2.54\n").addresses == ("192.0.2.53", "192.0.2.54")
    assert parse_answer("rcode 3\n").rcode == 3
    assert parse_answer("error TimeoutError: timed out\n").error == "TimeoutError: timed out"
    assert parse_answer("").error is not None


def test_finding_names_resource_expected_and_actual():
    f = pb.Finding("cache quay.io", pb.HOST, (pb.Violation("cache quay.io at x", "HTTP 200", "HTTP 404"),))
    assert str(f) == ("cache quay.io [host via SSH]: 1 violation(s)\n"
                      "  - cache quay.io at x: expected HTTP 200, got HTTP 404")
    assert not f.ok and pb.Finding("x", pb.RENDERED, ()).ok
