"""The one place boto3 clients are made.

Every client gets the run's region, the endpoint (moto/LocalStack offline, none live),
standard retries and timeouts, and event hooks that
  - count and log every API call (benchmarks and the report read the counter),
  - refuse any request to a non-loopback host when the run is not live,
  - refuse mutating calls in read-only (``--existing``) mode,
  - refuse a request that breaks an input rule of the AWS API reference before it is sent
    (provisioning/aws/request_rules.py; moto does not check them, AWS does),
  - retry NotFound for a bounded time on calls naming an id created moments ago
    (provisioning/aws/settle.py: EC2 is eventually consistent),
  - optionally add a fixed latency per call (benchmarks only),
  - optionally record or replay every call (``taps``: provisioning/recording/aws.py).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import boto3
import botocore.session
from botocore.client import BaseClient
from botocore.config import Config

from provisioning.aws.callhook import CallHook
from provisioning.aws.request_rules import check_request
from provisioning.aws.settle import NewIds
from provisioning.errors import GuardError, OptionError

log = logging.getLogger(__name__)

Mode = Literal["offline", "endpoint", "live"]
READ_PREFIXES = ("Describe", "Get", "List", "Search", "Lookup")
# Calls that bring something into being or attach it (a reused run makes none of them) ...
CREATE_PREFIXES = ("Create", "Run", "Allocate", "Import", "Request", "Register", "Put", "Add", "Associate",
                   "Attach", "Authorize")
# ... and calls that take something away (teardown); every other non-read call is a change in place.
DELETE_PREFIXES = ("Delete", "Terminate", "Release", "Deregister", "Remove", "Disassociate", "Detach", "Revoke")
CallClass = Literal["read", "create", "delete", "change"]
OFFLINE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing",
                       "aws_session_token": "testing"}
# How long after a create a NotFound naming the new id is taken for "not visible yet" (EC2 guide:
# "Eventual consistency in the Amazon EC2 API"; seconds are typical, a minute is generous).
SETTLE_S = 60.0
GLOBAL_SERVICE_REGIONS = {"pricing": "us-east-1", "ce": "us-east-1", "iam": "us-east-1"}


class Tap(Protocol):
    """Something that registers its own hooks on every client the factory makes (record, replay)."""

    def attach(self, client: Any) -> None: ...


def offline_session() -> boto3.session.Session:
    """A session with fake credentials that ignores AWS_PROFILE and the operator's config files."""
    core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    return boto3.session.Session(botocore_session=core, **OFFLINE_CREDENTIALS)


def is_loopback_url(url: str) -> bool:
    """True when url's host is localhost or in 127.0.0.0/8 or ::1."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str) -> str:
    """Validate an --aws-endpoint value: http(s) URL on a loopback host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError("--aws-endpoint", url, "must be an http(s) URL such as http://127.0.0.1:5000")
    if not is_loopback_url(url):
        raise OptionError("--aws-endpoint", url,
                          "must be on this machine (127.0.0.0/8, ::1 or localhost); offline runs never "
                          "dial anything else")
    return url


def call_class(operation: str) -> CallClass:
    """Which of read, create, delete or change an API operation (e.g. 'RunInstances') is."""
    if operation.startswith(READ_PREFIXES):
        return "read"
    if operation.startswith(CREATE_PREFIXES):
        return "create"
    if operation.startswith(DELETE_PREFIXES):
        return "delete"
    return "change"


@dataclass
class CallLog:
    """Counts API calls per service and operation (thread-safe)."""

    counts: Counter[str] = field(default_factory=Counter)
    stages: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, service: str, operation: str, stage: str = "") -> int:
        """Count one call (and the run stage it was made in, if given); return the run's call number (1-based)."""
        with self.lock:
            self.counts[f"{service}:{operation}"] += 1
            if stage:
                self.stages[stage] += 1
            return sum(self.counts.values())

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())

    def mutating(self) -> int:
        """Number of calls that were not reads."""
        with self.lock:
            return sum(n for k, n in self.counts.items() if not k.split(":", 1)[1].startswith(READ_PREFIXES))

    def summary(self) -> dict[str, Any]:
        """Totals, calls per class (read/create/delete/change), per run stage and per service:operation, for reports."""
        with self.lock:
            counts = dict(sorted(self.counts.items()))
            stages = dict(sorted(self.stages.items()))
        classes: dict[str, int] = {"read": 0, "create": 0, "delete": 0, "change": 0}
        for key, n in counts.items():
            classes[call_class(key.split(":", 1)[1])] += n
        return {"total": sum(counts.values()), "mutating": sum(classes.values()) - classes["read"],
                "classes": classes, "stages": stages, "operations": counts}


class ClientFactory:
    """Build and cache boto3 clients for one run; see the module docstring for the hooks."""

    def __init__(self, *, region: str, mode: Mode, endpoint_url: str | None = None,
                 session: boto3.session.Session | None = None, read_only: bool = False,
                 latency_s: float = 0.0, max_attempts: int = 5, taps: Sequence[Tap] = (),
                 settle_s: float = SETTLE_S) -> None:
        if mode != "live":
            if endpoint_url is None:
                raise GuardError("offline runs need an endpoint: refusing to build AWS clients that would "
                                 "reach real AWS (use --aws-live for that)")
            check_endpoint(endpoint_url)
        elif endpoint_url is not None:
            raise OptionError("--aws-endpoint", endpoint_url, "cannot be combined with --aws-live")
        self.region = region
        self.mode: Mode = mode
        self.endpoint_url = endpoint_url
        self.read_only = read_only
        self.latency_s = latency_s
        self.calls = CallLog()
        self.stage = "start"  # what the run is doing, for the offline call trace
        self._hook = CallHook() if mode != "live" else None
        self.taps = tuple(taps)
        self.new_ids = NewIds(settle_s)
        if session is None:
            session = offline_session() if mode != "live" else boto3.session.Session()
        self._session = session
        self._config = Config(retries={"mode": "standard", "max_attempts": max_attempts},
                              connect_timeout=10, read_timeout=60, user_agent_extra="cozystack-aws-tdg")
        self._clients: dict[tuple[str, str], BaseClient] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str | None = None) -> Any:
        """Return the cached client for service (global services get their home region)."""
        region = region or GLOBAL_SERVICE_REGIONS.get(service, self.region)
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                c = self._session.client(service, region_name=region, endpoint_url=self.endpoint_url,
                                         config=self._config)
                c.meta.events.register("before-parameter-build", self._check_rules)
                c.meta.events.register("before-call", self._before_call)
                c.meta.events.register("before-send", self._before_send)
                self.new_ids.attach(c)
                for tap in self.taps:
                    tap.attach(c)
                self._clients[key] = c
            return self._clients[key]

    @staticmethod
    def _check_rules(model: Any, params: Any, **_: Any) -> None:
        check_request(model.service_model.service_name, model.name, params)

    def _before_call(self, model: Any, params: Any, **_: Any) -> None:
        service = model.service_model.service_name
        op = model.name
        if self.read_only and not op.startswith(READ_PREFIXES):
            raise GuardError(f"read-only mode (--existing): refusing {service}:{op}")
        number = self.calls.add(service, op, self.stage)
        log.debug("aws call %s:%s", service, op)
        if self._hook is not None and self._hook.active:
            self._hook.on_call(number, f"{service}:{op}", self.stage)

    def _before_send(self, request: Any, **_: Any) -> None:
        if self.mode != "live" and not is_loopback_url(request.url):
            raise GuardError(f"offline run tried to reach {urlsplit(request.url).hostname}: refused")
        if self.latency_s:
            time.sleep(self.latency_s)
