"""Renderer tests: what the bastion's user-data contains for each profile, and what it refuses."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess

import pytest
import yaml

from fixtures.standin import binaries
from provisioning.data import load_data
from provisioning.userdata import BootToTalos, RenderError, live_bindings, render_bastion, vpc_resolver
from provisioning.userdata import bastion as bastion_module

SHA = "a" * 64
EXPECTED_CACHES = {  # versions.yaml, as the Talos mirrors expect them (upstream-facts §2)
    "docker.io": ("https://registry-1.docker.io", 5050),
    "registry.k8s.io": ("https://registry.k8s.io", 5051),
    "quay.io": ("https://quay.io", 5052),
    "gcr.io": ("https://gcr.io", 5053),
    "ghcr.io": ("https://ghcr.io", 5054),
}


def b2t(sha: str | None = SHA) -> BootToTalos:
    return BootToTalos.from_versions(load_data("versions"), sha256=sha)


@pytest.fixture(params=["approved", "homelab"])
def topo(request):
    return request.getfixturevalue(request.param)


def test_five_caches_on_5050_to_5054_with_their_remotes(topo):
    r = render_bastion(topo, boot_to_talos=b2t())
    assert {c.name: (c.remote, c.port) for c in r.caches} == EXPECTED_CACHES
    for c in r.caches:
        cfg = yaml.safe_load(r.files[c.config_path])
        assert cfg["proxy"]["remoteurl"] == EXPECTED_CACHES[c.name][0], c.name
        assert cfg["http"]["addr"] == f"{topo.bastion.private_ip}:{EXPECTED_CACHES[c.name][1]}", c.name
        assert cfg["storage"]["filesystem"]["rootdirectory"] == c.storage_dir
        assert f"ensure_container {c.container} " in r.user_data
        assert c.config_path in r.user_data


def test_offline_bindings_move_every_address_and_port_without_touching_text(approved):
    pinned = live_bindings(approved)
    moved = dataclasses.replace(
        pinned, listen_ip="127.10.0.100", cache_ports={n: p + 40000 for n, p in pinned.cache_ports.items()},
        cache_remotes={n: "http://127.0.0.1:41000" for n in pinned.cache_remotes}, dns_port=41053,
        dns_upstream="127.10.0.2#41054", asset_port=41081)
    r = render_bastion(approved, boot_to_talos=b2t(), bindings=moved, live=False)
    for c in r.caches:
        cfg = yaml.safe_load(r.files[c.config_path])
        assert cfg["http"]["addr"] == f"127.10.0.100:{EXPECTED_CACHES[c.name][1] + 40000}"
        assert cfg["proxy"]["remoteurl"] == "http://127.0.0.1:41000"
    dns = r.files[r.dns.config_path]
    assert "listen-address=127.10.0.100\n" in dns and "port=41053\n" in dns and "server=127.10.0.2#41054\n" in dns
    assert "10.10." not in "".join(r.files[c.config_path] for c in r.caches) + dns
    assert r.static_ip == "10.10.0.100" and r.listen_ip == "127.10.0.100"


def test_dns_forwarder_answers_on_the_bastion_ip_and_forwards_to_the_vpc_resolver(approved):
    r = render_bastion(approved, boot_to_talos=b2t())
    conf = r.files[r.dns.config_path]
    assert vpc_resolver(approved) == "10.10.0.2"
    for line in ("port=53", "listen-address=10.10.0.100", "bind-interfaces", "no-resolv", "server=10.10.0.2"):
        assert f"{line}\n" in conf
    assert "tdg-dns.service" in r.user_data


def test_homelab_forwarder_goes_through_pihole_which_forwards_to_the_vpc_resolver(homelab):
    r = render_bastion(homelab, boot_to_talos=b2t())
    assert "server=127.0.0.1#5335\n" in r.files[r.dns.config_path]
    assert "FTLCONF_dns_upstreams=10.20.0.2" in r.user_data and "FTLCONF_dns_port=5335" in r.user_data


def test_asset_server_serves_the_pinned_tarball_from_the_bastion_ip(approved):
    r = render_bastion(approved, boot_to_talos=b2t())
    a = r.assets
    assert a.url == "http://10.10.0.100:8081/boot-to-talos/v0.7.1/boot-to-talos-linux-arm64.tar.gz"
    assert a.sha256 == SHA and a.source_url.startswith("https://github.com/cozystack/boot-to-talos/")
    unit = r.files["/etc/systemd/system/tdg-assets.service"]
    assert "ExecStart=/usr/bin/python3 -m http.server 8081 --bind 10.10.0.100 --directory /opt/tdg/assets\n" in unit
    script = r.files[a.fetch_script]
    assert f"want={SHA}" in script and "sha256sum" in script
    assert script.index("sha256sum \"$part\"") < script.index('mv "$part" "$dest"')  # verified before served
    assert "/opt/tdg/staging" in script and not a.path.startswith("/opt/tdg/staging")


def test_live_refuses_an_unpinned_checksum(approved):
    with pytest.raises(RenderError, match="sha256 is not pinned"):
        render_bastion(approved, boot_to_talos=b2t(None))


def test_offline_without_checksum_renders_a_fetch_step_that_refuses(approved, tmp_path):
    r = render_bastion(approved, boot_to_talos=b2t(None), live=False)
    script = tmp_path / "fetch.sh"
    script.write_text(r.files[r.assets.fetch_script])
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "refusing" in done.stderr
    assert "curl" not in r.files[r.assets.fetch_script]


@pytest.mark.parametrize("bad", ["A" * 64, "abc", "g" * 64])
def test_malformed_checksum_is_refused(bad):
    with pytest.raises(RenderError, match="sha256"):
        b2t(bad)


def test_live_refuses_a_loopback_listen_address_and_plain_http(approved):
    loop = dataclasses.replace(live_bindings(approved), listen_ip="127.10.0.100")
    with pytest.raises(RenderError, match="binds its private IP 10.10.0.100"):
        render_bastion(approved, boot_to_talos=b2t(), bindings=loop)
    plain = dataclasses.replace(live_bindings(approved),
                                cache_remotes={n: "http://127.0.0.1:1" for n in EXPECTED_CACHES})
    with pytest.raises(RenderError, match="https registry"):
        render_bastion(approved, boot_to_talos=b2t(), bindings=plain)
    with pytest.raises(RenderError, match="https only"):
        render_bastion(approved, boot_to_talos=dataclasses.replace(b2t(), url="http://example.invalid/x"))


def test_port_clash_is_refused(approved):
    with pytest.raises(RenderError, match="already used by"):
        dataclasses.replace(live_bindings(approved), asset_port=5050)


def test_masquerade_present_for_approved(approved):
    r = render_bastion(approved, boot_to_talos=b2t())
    assert r.nat is not None and r.nat.source_cidr == "10.10.0.0/24"
    assert r.files["/etc/sysctl.d/90-tdg-forward.conf"].endswith("net.ipv4.ip_forward = 1\n")
    assert ("iptables -t nat -C POSTROUTING -s 10.10.0.0/24 '!' -d 10.10.0.0/16 -j MASQUERADE 2>/dev/null || "
            "iptables -t nat -A POSTROUTING -s 10.10.0.0/24 '!' -d 10.10.0.0/16 -j MASQUERADE") in r.user_data
    assert "iptables -t filter -C FORWARD -s 10.10.0.0/24 -j ACCEPT" in r.user_data
    assert "iptables-nft" in r.user_data


def test_masquerade_absent_for_homelab(homelab):
    r = render_bastion(homelab, boot_to_talos=b2t())
    assert r.nat is None
    assert "MASQUERADE" not in r.user_data and "ip_forward" not in r.user_data and "iptables" not in r.user_data


def test_netboot_extras_only_for_homelab(approved, homelab):
    plain = render_bastion(approved, boot_to_talos=b2t())
    assert plain.netboot is None
    assert not any(w in plain.user_data for w in ("matchbox", "pihole", "dhcp-range", "tdg-dhcp"))
    r = render_bastion(homelab, boot_to_talos=b2t())
    nb = r.netboot
    assert nb is not None and nb.dhcp_range == ("10.20.13.200", "10.20.13.250")
    dhcp = r.files[nb.dhcp_config_path]
    assert "port=0\n" in dhcp and "dhcp-range=10.20.13.200,10.20.13.250,255.255.255.0,12h\n" in dhcp
    assert "dhcp-boot=tag:ipxe,http://10.20.13.140:8080/boot.ipxe\n" in dhcp
    profile = json.loads(r.files[nb.profile_path])
    group = json.loads(r.files[nb.group_path])
    assert group["profile"] == profile["id"]
    assert profile["boot"]["kernel"] == "http://10.20.13.140:8080/assets/talos/v1.12.7/vmlinuz-arm64"
    assert {s.name for s in r.services} >= {"pihole", "matchbox", "tdg-dhcp.service"}


SECRETISH = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"tskey-", re.I),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"(?i)(password|passwd|secret|token|api_key)\s*[=:]\s*['\"]?[^\s'\"/$]{4,}"),
    re.compile(r"FTLCONF_webserver_api_password"),
]


def secret_looking(text: str) -> list[str]:
    """Known secret shapes, plus long mixed-case-and-digit tokens (random keys; paths and hex are not)."""
    hits = [m.group(0) for p in SECRETISH for m in p.finditer(text)]
    hits += [t for t in re.findall(r"[A-Za-z0-9+/_-]{24,}", text)
             if any(c.isupper() for c in t) and any(c.islower() for c in t) and any(c.isdigit() for c in t)]
    return hits


def test_no_secret_looking_strings_in_user_data(topo):
    r = render_bastion(topo, boot_to_talos=b2t())
    assert secret_looking(r.user_data) == []


@pytest.mark.parametrize("leak", ["-e WEBPASSWORD=cozystack-demo", "-e TS_AUTHKEY=tskey-auth-k123",
                                  "-e X=Zm9vYmFyQmF6cXV4MTIzNDU2Nzg5MEFCQ0RF"])
def test_secret_detector_catches_a_leak(homelab, leak):
    r = render_bastion(homelab, boot_to_talos=b2t())
    assert secret_looking(r.user_data.replace("-e TZ=UTC", f"{leak} -e TZ=UTC"))


def test_pihole_password_is_made_on_the_host_into_a_root_only_file(homelab):
    r = render_bastion(homelab, boot_to_talos=b2t())
    assert r.netboot is not None
    secret = r.netboot.pihole_password_path
    assert "head -c 48 /dev/urandom" in r.user_data and f"chmod 0600 {secret}" in r.user_data
    assert "WEBPASSWORD_FILE=/run/secrets/pihole_password" in r.user_data
    assert f"{secret}:/run/secrets/pihole_password:ro" in r.user_data


def test_user_data_fits_ec2s_16_kib_limit(topo):
    r = render_bastion(topo, boot_to_talos=b2t())
    assert r.user_data_bytes < 16384
    assert r.user_data.startswith("#!/bin/bash\n")


def test_oversized_user_data_is_refused(approved, monkeypatch):
    services = dict(bastion_module.load_services())
    services["user_data_limit_bytes"] = 1000
    monkeypatch.setattr(bastion_module, "load_services", lambda: services)
    with pytest.raises(RenderError, match="EC2 accepts at most 1000"):
        render_bastion(approved, boot_to_talos=b2t())


def test_user_data_is_valid_bash(topo, tmp_path):
    path = tmp_path / "user-data.sh"
    path.write_text(render_bastion(topo, boot_to_talos=b2t()).user_data)
    done = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_rendered_dnsmasq_configs_pass_dnsmasq_test(homelab, tmp_path):
    binaries.require("dnsmasq")
    r = render_bastion(homelab, boot_to_talos=b2t())
    assert r.netboot is not None
    for path in (r.dns.config_path, r.netboot.dhcp_config_path):
        conf = tmp_path / path.rsplit("/", 1)[-1]
        conf.write_text(r.files[path])
        done = subprocess.run(["/usr/sbin/dnsmasq", "--test", f"--conf-file={conf}"], capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0, f"{path}: {done.stderr}"
    bad = tmp_path / "bad.conf"
    bad.write_text(r.files[r.dns.config_path].replace("bind-interfaces", "bind-interfacez"))
    done = subprocess.run(["/usr/sbin/dnsmasq", "--test", f"--conf-file={bad}"], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode != 0
