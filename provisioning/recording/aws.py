"""botocore event hooks that record every AWS call of a run, or answer every call from a bundle.

Recording: before-parameter-build keeps the caller's parameters, before-call notes the
start, response-received copies the parsed response of each attempt before botocore's own
after-call handlers change it (GetConsoleOutput's base64 decoding, IAM's policy documents),
and after-call keeps the last attempt's copy: the replayed response goes through the same
after-call handlers as the real one did.
Replaying: before-call returns (http, parsed) for the first unused recorded call with the
same service, operation and (normalized) parameters: botocore sends nothing, and raises the
recorded error for a recorded 4xx/5xx exactly as it did. A request that reaches before-send
is refused: replay has no network at all.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

from provisioning.errors import GuardError
from provisioning.recording.bundle import Player, Recorder
from provisioning.recording.redact import Redactor

READS = ("Describe", "Get", "List")
PARAMS = "tdg_params"
STARTED = "tdg_started"
RAW = "tdg_raw"


def _keep_params(params: Any, context: dict[str, Any], **_: Any) -> None:
    context[PARAMS] = copy.deepcopy(params)


def _key(model: Any, context: dict[str, Any]) -> dict[str, Any]:
    return {"service": model.service_model.service_name, "op": model.name, "params": context.get(PARAMS, {})}


@dataclass
class AwsRecording:
    """Attach to a client to record its calls into recorder."""

    recorder: Recorder

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-parameter-build", _keep_params)
        events.register("before-call", self._started)
        events.register("response-received", self._raw)
        events.register("after-call", self._answered)

    def _started(self, context: dict[str, Any], **_: Any) -> None:
        context[STARTED] = time.monotonic()

    def _raw(self, parsed_response: Any, context: dict[str, Any], **_: Any) -> None:
        if parsed_response is not None:
            context[RAW] = copy.deepcopy(parsed_response)

    def _answered(self, http_response: Any, parsed: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
        raw = context.pop(RAW, None)
        raw = copy.deepcopy(parsed) if raw is None else raw
        answer = {k: v for k, v in raw.items() if k != "ResponseMetadata"}
        began = context.get(STARTED, time.monotonic())
        self.recorder.add("aws", _key(model, context), {"status": http_response.status_code, "parsed": answer},
                          began=began)
        if model.name == "GetConsoleOutput" and isinstance(parsed, dict):  # decoded by botocore by now
            self.recorder.add("console", {"kind": "console", "instance": parsed.get("InstanceId", "")},
                              {"text": parsed.get("Output") or "", "evidence": "EC2 GetConsoleOutput"}, began=began)


@dataclass(frozen=True)
class _Http:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    raw: None = None


@dataclass
class AwsReplay:
    """Attach to a client to answer its calls from player (and refuse to send anything)."""

    player: Player
    redactor: Redactor

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-parameter-build", _keep_params)
        events.register("before-call", self._answer)
        events.register_first("before-send", _no_network)

    def _answer(self, model: Any, context: dict[str, Any], **_: Any) -> tuple[_Http, dict[str, Any]]:
        answer = self.player.take("aws", _key(model, context), self.redactor, read=model.name.startswith(READS))
        parsed = dict(answer["parsed"])
        status = int(answer["status"])
        parsed["ResponseMetadata"] = {"HTTPStatusCode": status, "RetryAttempts": 0, "RequestId": "replayed"}
        return _Http(status), parsed


def _no_network(request: Any, **_: Any) -> None:
    raise GuardError(f"replay sends nothing, but a request to {request.url} reached the HTTP layer")
