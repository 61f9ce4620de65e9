"""The bad-input corpus: every malformed profile or option is refused with its message and 0 AWS requests.

Each file in tests/data/bad_profiles/ is a profile with one defect and a header naming the
message it must produce (`# expect:`) and, optionally, the options it runs with
(`# options: {...}`). The settings and the preflight run exactly as the suite runs them,
against a loopback moto server that counts every HTTP request it receives.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fixtures.backend import MotoServer
from provisioning import settings
from provisioning.aws.client import ClientFactory
from provisioning.aws.reuse import kept_keys
from provisioning.errors import TdgError
from provisioning.preflight import preflight
from tests.integration.helpers import ROOT, run_suite

CORPUS = Path(__file__).resolve().parent / "data" / "bad_profiles"
CASES = sorted(CORPUS.glob("*.yaml"))


class CountingMoto(MotoServer):
    """A MotoServer whose WSGI app counts every request (any path, any method)."""

    def __enter__(self) -> str:
        url = super().__enter__()
        self.requests = 0
        self._lock = threading.Lock()
        wsgi = self._server._server  # werkzeug server of ThreadedMotoServer
        inner = wsgi.app

        def counting(environ: dict[str, Any], start_response: Any) -> Any:
            with self._lock:
                self.requests += 1
            return inner(environ, start_response)

        wsgi.app = counting
        return url


@pytest.fixture(scope="module")
def counted() -> Iterator[CountingMoto]:
    server = CountingMoto()
    with server:
        yield server


@pytest.fixture(scope="module")
def counted_url(counted: CountingMoto) -> str:
    host, port = counted._server.get_host_and_port()
    return f"http://{host}:{port}"


def header(path: Path) -> tuple[str, dict[str, Any]]:
    text = path.read_text(encoding="utf-8", errors="replace")[:4000]
    expect = re.search(r"^# expect: (.+)$", text, re.M)
    options = re.search(r"^# options: (.+)$", text, re.M)
    assert expect, f"{path.name} has no '# expect:' line"
    opts = json.loads(options.group(1)) if options else {}
    return expect.group(1), {k: float(v) if k == "budget" else v for k, v in opts.items()}


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 37


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_bad_input_is_refused_by_name_with_no_api_call(path: Path, counted: CountingMoto, counted_url: str) -> None:
    expect, options = header(path)
    before = counted.requests
    clients = ClientFactory(region="eu-west-1", mode="endpoint", endpoint_url=counted_url)
    with pytest.raises(TdgError) as refused:  # what the suite turns into a usage error, never a traceback
        s = settings.build(profile=str(path), aws_endpoint=counted_url, env={}, **options)
        preflight(s, clients=clients, env={},
                  reusable=lambda: kept_keys(clients, s.run_id, Path("/nonexistent/ledger.json")))
    message = str(refused.value)
    assert expect in message, f"{path.name}: expected {expect!r} in:\n{message}"
    assert len(message) < 8000, f"{path.name}: a {len(message)}-character message"
    assert clients.calls.total == 0 and counted.requests == before, f"{path.name} made an API call"


def test_a_zero_byte_profile_is_named_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(TdgError, match=r"<file> = '.*empty.yaml': the profile is empty"):
        settings.build(profile=str(empty), env={})


@pytest.mark.integration
@pytest.mark.parametrize("name", ["14-bool-as-string", "38-alias-bomb-unknown-key", "52-over-budget"])
def test_the_suite_refuses_without_a_traceback_or_a_request(name: str, counted: CountingMoto, counted_url: str,
                                                            tmp_path: Path) -> None:
    """Through pytest itself: an option/profile error (configure) and a preflight refusal (session)."""
    path = CORPUS / f"{name}.yaml"
    expect, options = header(path)
    before = counted.requests
    extra = [arg for k, v in options.items() for arg in (f"--{k}", str(v))]
    done = run_suite("features/", "--profile", str(path), "--aws-endpoint", counted_url, *extra,
                     reports=tmp_path, timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode == 4, out[-3000:]
    assert expect in out, out[-3000:]
    assert "Traceback" not in out and "INTERNALERROR" not in out, out[-3000:]
    assert counted.requests == before, f"{name}: {counted.requests - before} request(s) reached the server"


def test_root_is_the_repository() -> None:
    assert (ROOT / "tests" / "data" / "bad_profiles").is_dir()
