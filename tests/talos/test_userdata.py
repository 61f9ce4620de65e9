"""boot-to-talos user-data: explicit install mode, checksum required, console logging, run once.

The execution tests run the rendered script with bash against a loopback HTTP server and a fake
boot-to-talos, with system paths (marker, console, work dir) rewritten into a temporary directory.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import shutil
import subprocess
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.profiles import load
from provisioning.talos import checks
from provisioning.talos.userdata import (
    EC2_USER_DATA_LIMIT,
    MARKER,
    BootToTalosChecksumMissing,
    cached_image,
    install_command,
    render,
)

URL = "http://10.10.0.100:8080/boot-to-talos/v0.7.1/boot-to-talos-linux-arm64.tar.gz"
SHA = "0" * 64


def gateway():
    return load("approved").nodes[0]


def test_install_is_explicit_never_bare_yes() -> None:
    argv = install_command(gateway(), "10.10.0.100")
    assert argv == ["boot-to-talos", "-yes", "-mode", "install", "-disk", "/dev/nvme0n1", "-image",
                    "10.10.0.100:5054/urmanac/cozystack-assets/talos/cozystack-spin-tailscale/talos:v1.12.7"]
    script = render(gateway(), bastion_ip="10.10.0.100", asset_url=URL, sha256=SHA)
    runs = [line for line in script.splitlines() if line.startswith("RUN=(")]
    assert runs == ["RUN=(-yes -mode install -disk /dev/nvme0n1 -image "
                    "10.10.0.100:5054/urmanac/cozystack-assets/talos/cozystack-spin-tailscale/talos:v1.12.7)"]
    assert '"$BIN" "${RUN[@]}"' in script


def test_script_verifies_the_pinned_sha256_and_logs_to_the_serial_console() -> None:
    script = render(gateway(), bastion_ip="10.10.0.100", asset_url=URL, sha256=SHA.upper())
    assert script.startswith("#!/bin/bash\n")
    assert f"{SHA}  boot-to-talos.tar.gz" in script and "sha256sum -c" in script
    assert "/dev/ttyS0" in script and "/dev/console" in script
    assert MARKER in script
    assert len(script.encode()) < EC2_USER_DATA_LIMIT
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)


def test_no_secrets_in_user_data() -> None:
    script = render(gateway(), bastion_ip="10.10.0.100", asset_url=URL, sha256=SHA)
    for secret_marker in ("tskey", "TS_AUTHKEY", "talosconfig", "BEGIN", "PRIVATE KEY", "aws_secret"):
        assert secret_marker not in script


@pytest.mark.parametrize("sha", [None, "abc", "g" * 64])
def test_missing_or_malformed_sha256_refuses_to_render(sha: str | None) -> None:
    with pytest.raises(BootToTalosChecksumMissing):
        render(gateway(), bastion_ip="10.10.0.100", asset_url=URL, sha256=sha)


def test_bad_url_and_uncached_registry_are_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        render(gateway(), bastion_ip="10.10.0.100", asset_url="file:///tmp/x.tar.gz", sha256=SHA)
    assert cached_image("registry.k8s.io/pause:3.10", "10.10.0.100") == "10.10.0.100:5051/pause:3.10"
    assert cached_image("library/alpine:3", "10.10.0.100") == "10.10.0.100:5050/library/alpine:3"
    with pytest.raises(ValueError, match="no cache"):
        cached_image("public.ecr.aws/x/y:1", "10.10.0.100")
    with pytest.raises(ValueError, match="characters"):
        cached_image("ghcr.io/x/y:1; rm -rf /", "10.10.0.100")


# --- running the script ------------------------------------------------------------------------

FAKE_B2T = """#!/bin/sh
echo "$@" > "{args_file}"
echo "2026/05/16 10:00:06 starting Talos installer" >&2
echo "2026/05/16 10:00:19 Talos installer finished successfully" >&2
echo "2026/05/16 10:00:31 installation image copied to /dev/nvme0n1" >&2
echo "2026/05/16 10:00:31 rebooting system" >&2
"""


@pytest.fixture
def asset_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Serve a boot-to-talos tarball (fake binary) on 127.0.0.1; yield (url, args_file)."""
    root = tmp_path / "www"
    root.mkdir()
    args_file = tmp_path / "b2t-args"
    payload = FAKE_B2T.format(args_file=args_file).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("boot-to-talos")
        info.size, info.mode = len(payload), 0o755
        tar.addfile(info, io.BytesIO(payload))
    (root / "boot-to-talos-linux-arm64.tar.gz").write_bytes(buf.getvalue())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/boot-to-talos-linux-arm64.tar.gz", args_file
    finally:
        server.shutdown()
        server.server_close()


def sandboxed(script: str, root: Path) -> str:
    """Point every system path of the script into root (each must be present, or the template changed)."""
    swaps = {MARKER: str(root / "var/lib/tdg/boot-to-talos.started"), "/dev/ttyS0": str(root / "ttyS0"),
             "/dev/console": str(root / "console"), "/var/log/tdg-boot-to-talos.log": str(root / "b2t.log"),
             "/root/boot-to-talos.XXXXXX": str(root / "work.XXXXXX")}
    for old, new in swaps.items():
        assert old in script, old
        script = script.replace(old, new)
    (root / "ttyS0").touch()
    return script


def run_script(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False)


def console_text(root: Path, needle: str) -> str:
    deadline = time.monotonic() + 5  # tee may still be flushing after bash exits
    text = ""
    while time.monotonic() < deadline:
        text = (root / "ttyS0").read_text()
        if needle in text:
            break
        time.sleep(0.05)
    return text


needs_tools = pytest.mark.skipif(not all(shutil.which(t) for t in ("bash", "curl", "sha256sum", "tar")),
                                 reason="needs bash, curl, sha256sum and tar")


@needs_tools
def test_script_installs_once_and_the_console_passes_the_check(tmp_path: Path,
                                                               asset_server: tuple[str, Path]) -> None:
    url, args_file = asset_server
    sha = hashlib.sha256((tmp_path / "www/boot-to-talos-linux-arm64.tar.gz").read_bytes()).hexdigest()
    script = sandboxed(render(gateway(), bastion_ip="10.10.0.100", asset_url=url, sha256=sha), tmp_path)
    first = run_script(script)
    assert first.returncode == 0, first.stderr
    assert args_file.read_text().split() == install_command(gateway(), "10.10.0.100")[1:]
    console = console_text(tmp_path, "rebooting system")
    assert checks.console_install(console, instance="i-test") == []
    args_file.unlink()
    second = run_script(script)
    assert second.returncode == 0
    assert not args_file.exists()
    assert "not running boot-to-talos again" in console_text(tmp_path, "not running boot-to-talos again")


@needs_tools
def test_checksum_mismatch_never_runs_the_binary(tmp_path: Path, asset_server: tuple[str, Path]) -> None:
    url, args_file = asset_server
    script = sandboxed(render(gateway(), bastion_ip="10.10.0.100", asset_url=url, sha256="f" * 64), tmp_path)
    done = run_script(script)
    assert done.returncode == 1
    assert not args_file.exists()
    assert "refusing to run it" in console_text(tmp_path, "refusing to run it")
