"""The node user-data waits for the bastion's asset (404s, refused connections) and retries the install.

The rendered shell is run for real: its curl line against a loopback HTTP server that answers
404 until the asset "appears", and its install loop with a stand-in binary that fails once.
Only the retry timings are shortened (a policy with the data file's shape).
"""

from __future__ import annotations

import http.server
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.data import load_data
from provisioning.profiles import load
from provisioning.talos.userdata import fetch_command, render

BODY = b"boot-to-talos tarball stand-in\n"
FAST = {"fetch": {"retries": 20, "retry_delay_s": 1, "retry_max_time_s": 30, "connect_timeout_s": 2,
                  "max_time_s": 5},
        "install": {"attempts": 3, "retry_delay_s": 0}}
# The fetch before this change: --retry-connrefused retries refused connections, never a 404.
OLD_FETCH = 'curl -fsS --retry 10 --retry-delay 5 --retry-connrefused -o "$WORK/boot-to-talos.tar.gz" {url}'


class Late(http.server.BaseHTTPRequestHandler):
    """Answers 404 for the first `misses` requests (the bastion's asset is not there yet), then the body."""

    misses = 0
    seen = 0

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).seen += 1
        if type(self).seen <= type(self).misses:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def late_server() -> Iterator[tuple[str, type[Late]]]:
    handler = type("Handler", (Late,), {"misses": 2, "seen": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/boot-to-talos.tar.gz", handler
    finally:
        server.shutdown()
        server.server_close()


def run_fetch(line: str, work: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", f"set -euo pipefail; WORK={work}; {line}"], capture_output=True, text=True,
                          timeout=60, check=False)


def test_the_fetch_waits_through_404s_until_the_asset_is_served(late_server, tmp_path: Path) -> None:
    url, handler = late_server
    done = run_fetch(fetch_command(url, FAST), tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "boot-to-talos.tar.gz").read_bytes() == BODY and handler.seen == 3


def test_the_old_fetch_gave_up_on_the_first_404(late_server, tmp_path: Path) -> None:
    url, handler = late_server
    done = run_fetch(OLD_FETCH.format(url=url), tmp_path)
    assert done.returncode == 22 and handler.seen == 1  # curl -f: HTTP error, no retry


def test_the_fetch_retries_refused_connections_and_gives_up_when_bounded(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bounded = {"fetch": {**FAST["fetch"], "retries": 2}}
    done = run_fetch(fetch_command(f"http://127.0.0.1:{port}/x", bounded), tmp_path)
    # -sS prints each failed attempt's error: the first try and two retries
    assert done.returncode == 7 and done.stderr.count("Failed to connect") == 3, done.stderr


def test_the_rendered_policy_covers_about_ten_minutes() -> None:
    f = load_data("node_userdata")["fetch"]
    line = fetch_command("http://10.10.0.100:8080/b.tar.gz")
    assert "--retry-all-errors" in line and f"--retry-max-time {f['retry_max_time_s']}" in line
    assert 540 <= int(f["retry_max_time_s"]) <= 900 and int(f["retries"]) * int(f["retry_delay_s"]) >= 540


def install_loop(script: str) -> str:
    """The part of the rendered script from the RUN=(...) line to the end."""
    return script[script.index("RUN=("):]


def test_a_failed_install_is_run_again(tmp_path: Path) -> None:
    node = load("approved").nodes[0]
    script = render(node, bastion_ip="10.10.0.100", asset_url="http://10.10.0.100:8080/b.tar.gz", sha256="0" * 64,
                    policy=FAST)
    counter = tmp_path / "runs"
    fake = tmp_path / "boot-to-talos"
    fake.write_text(f'#!/bin/bash\necho run >> {counter}\n[ "$(wc -l < {counter})" -ge 2 ]\n', encoding="ascii")
    fake.chmod(0o755)
    prelude = f'set -euo pipefail\nlog() {{ echo "tdg-boot-to-talos: $*"; }}\nBIN={fake}\n'
    done = subprocess.run(["bash", "-c", prelude + install_loop(script)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert counter.read_text().count("run") == 2
    assert re.search(r"attempt 2 of 3", done.stdout) and "boot-to-talos exited 1" in done.stdout
    assert "-mode install -disk /dev/nvme0n1" in done.stdout


def test_the_install_gives_up_after_its_attempts(tmp_path: Path) -> None:
    node = load("approved").nodes[0]
    script = render(node, bastion_ip="10.10.0.100", asset_url="http://10.10.0.100:8080/b.tar.gz", sha256="0" * 64,
                    policy=FAST)
    prelude = 'set -euo pipefail\nlog() { echo "tdg-boot-to-talos: $*"; }\nBIN=/bin/false\n'
    done = subprocess.run(["bash", "-c", prelude + install_loop(script)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 1 and "failed 3 times; giving up" in done.stdout
