"""Record or replay talosctl calls and Kubernetes API answers at the adapters' transport boundaries.

talosctl: the key is the subcommand with its arguments and nodes (the binary path and the
endpoints, a local tunnel live, are left out); the answer is exit code, stdout and stderr.
Kubernetes: the REST client of each ApiClient is wrapped; the key is method, path (no host:
offline it is a random loopback port), query and body; the answer is status, reason and body.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from kubernetes.client import exceptions as kexc

from provisioning.recording.bundle import Player, Recorder

WITHHELD = "# written by talosctl in the recorded run; content withheld from the bundle (Talos secrets)\n"


def _written(args: Sequence[str]) -> list[tuple[Path, bool]]:
    """The files a talosctl call writes, and whether their (redacted) content may go into a bundle.

    kubeconfig: kept with its client key withheld (the replayed run reads its server and CA);
    gen secrets / gen config: Talos PKI and tokens, never kept (a replay writes a placeholder).
    """
    args = list(args)
    if args[:1] == ["kubeconfig"] and len(args) > 1:
        return [(Path(args[1]), True)]
    for flag in ("--output-file", "--output") if args[:1] == ["gen"] else ():
        if flag in args[:-1]:
            return [(Path(args[args.index(flag) + 1]), False)]
    return []


def _talos_key(nodes: Sequence[str], args: Sequence[str]) -> dict[str, Any]:
    return {"kind": args[0] if args else "", "args": list(args), "nodes": list(nodes)}


@dataclass
class TalosRecording:
    """Run each talosctl call for real and keep it."""

    recorder: Recorder

    def run(self, talosctl: Any, nodes: Sequence[str], args: Sequence[str], timeout_s: float,
            execute: Callable[[], subprocess.CompletedProcess[str]]) -> subprocess.CompletedProcess[str]:
        began = time.monotonic()
        done = execute()
        files = {str(path): path.read_text(encoding="utf-8") if keep else WITHHELD
                 for path, keep in _written(args) if path.is_file()}
        self.recorder.add("talosctl", _talos_key(nodes, args), {"rc": done.returncode, "stdout": done.stdout or "",
                                                                "stderr": done.stderr or "", "files": files},
                          began=began)
        return done


@dataclass
class TalosReplay:
    """Answer each talosctl call from the bundle (no binary is run)."""

    player: Player

    def run(self, talosctl: Any, nodes: Sequence[str], args: Sequence[str], timeout_s: float,
            execute: Callable[[], subprocess.CompletedProcess[str]]) -> subprocess.CompletedProcess[str]:
        answer = self.player.take("talosctl", _talos_key(nodes, args), read=bool(args) and args[0] == "get")
        for name, text in (answer.get("files") or {}).items():  # what the call wrote (redacted: no keys)
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            Path(name).write_text(str(text), encoding="utf-8")
            Path(name).chmod(0o600)
        return subprocess.CompletedProcess(["talosctl", *args], int(answer["rc"]), str(answer["stdout"]),
                                           str(answer["stderr"]))


def _kube_key(method: str, url: str, query_params: Any, body: Any) -> dict[str, Any]:
    parts = urlsplit(url)
    query = sorted([list(map(str, q)) for q in (query_params or ())] + ([[parts.query]] if parts.query else []))
    return {"method": method, "path": parts.path, "query": query, "body": body}


@dataclass
class _Response:
    """What kubernetes' RESTResponse offers: status, reason, data, headers."""

    status: int
    reason: str
    data: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def getheaders(self) -> dict[str, str]:
        return self.headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)


def _api_exception() -> type[kexc.ApiException]:
    """The kubernetes client's ApiException (the client is imported once an API client exists, not at start-up)."""
    from kubernetes.client import exceptions as kexc

    return kexc.ApiException


def _error(resp: _Response) -> kexc.ApiException:
    from kubernetes.client import exceptions as kexc  # imported where used: ~0.45 s of start-up

    by_status = {401: kexc.UnauthorizedException, 403: kexc.ForbiddenException, 404: kexc.NotFoundException}
    cls = by_status.get(resp.status) or (kexc.ServiceException if 500 <= resp.status <= 599 else kexc.ApiException)
    return cls(http_resp=resp)


def _text(data: Any) -> str:
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data or "")


@dataclass
class KubeRecording:
    """Wrap each ApiClient's REST client so every answer (and error answer) is kept."""

    recorder: Recorder

    def attach(self, api: Any) -> None:
        inner = api.rest_client.request

        def request(method: str, url: str, query_params: Any = None, headers: Any = None, body: Any = None,
                    post_params: Any = None, _preload_content: bool = True, _request_timeout: Any = None) -> Any:
            began = time.monotonic()
            key = _kube_key(method, url, query_params, json.loads(json.dumps(body, default=str)))
            try:
                r = inner(method, url, query_params=query_params, headers=headers, body=body,
                          post_params=post_params, _preload_content=_preload_content,
                          _request_timeout=_request_timeout)
            except _api_exception() as exc:
                if exc.status:  # an answer with a status; status 0 (unreachable) is not an answer
                    self.recorder.add("kube", key, {"status": exc.status, "reason": str(exc.reason or ""),
                                                    "data": _text(exc.body)}, began=began)
                raise
            self.recorder.add("kube", key, {"status": r.status, "reason": str(r.reason or ""), "data": _text(r.data)},
                              began=began)
            return r

        api.rest_client.request = request


@dataclass
class KubeReplay:
    """Replace each ApiClient's REST client with answers from the bundle (nothing is connected)."""

    player: Player

    def attach(self, api: Any) -> None:
        def request(method: str, url: str, query_params: Any = None, headers: Any = None, body: Any = None,
                    post_params: Any = None, _preload_content: bool = True, _request_timeout: Any = None) -> Any:
            key = _kube_key(method, url, query_params, json.loads(json.dumps(body, default=str)))
            answer = self.player.take("kube", key, read=method == "GET")
            resp = _Response(int(answer["status"]), str(answer["reason"]), str(answer["data"]).encode(),
                             {"content-type": "application/json"})
            if not 200 <= resp.status <= 299:
                raise _error(resp)
            return resp

        api.rest_client.request = request
