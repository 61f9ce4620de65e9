"""Apply a plan (find by tag, else create) and tear it down again from the ledger."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

import provisioning.aws
from provisioning.aws.inventory import find_tagged
from provisioning.aws.kinds import REGISTRY, RunContext
from provisioning.aws.ledger import Entry, Ledger
from provisioning.errors import DependencyError, GuardError, NotFoundError, SetupError, TdgError, TeardownError
from provisioning.plan import Ref, ResourceSpec
from provisioning.tags import PHASE_KEY, SPEC_KEY, is_ours

log = logging.getLogger(__name__)


def load_kinds() -> None:
    """Import every module of provisioning.aws; kind modules register themselves on import."""
    for info in pkgutil.iter_modules(provisioning.aws.__path__):
        importlib.import_module(f"provisioning.aws.{info.name}")


load_kinds()

# Dependants before what they depend on.
DESTROY_ORDER = {kind: rank for rank, kind in enumerate((
    "autoscaling_group", "scheduled_actions", "instance", "launch_template", "network_interface", "nat_gateway",
    "elastic_ip", "route_table", "sg_ingress", "security_group", "subnet", "internet_gateway", "dhcp_options",
    "vpc", "instance_profile", "iam_role", "key_pair"))}


def resolve(value: Any, ids: Mapping[str, str]) -> Any:
    """Replace every Ref in value by the id recorded for its key."""
    if isinstance(value, Ref):
        if value.key not in ids:
            raise SetupError(f"plan refers to {value.key!r} before it was provisioned")
        return ids[value.key]
    if isinstance(value, Mapping):
        return {k: resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(v, ids) for v in value]
    return value


class Executor:
    """Ensure specs in order and tear down what the ledger holds, in reverse."""

    def __init__(self, ctx: RunContext, ledger: Ledger, *, sleep: Callable[[float], None] = time.sleep,
                 dependency_attempts: int = 8, backoff_s: float = 2.0, backoff_max_s: float = 30.0) -> None:
        self.ctx = ctx
        self.ledger = ledger
        self.ids: dict[str, str] = {e.key: e.id for e in ledger.entries()}
        self._sleep = sleep
        self._attempts = dependency_attempts
        self._backoff = backoff_s
        self._backoff_max = backoff_max_s
        self._lock = threading.Lock()

    def ensure(self, specs: Iterable[ResourceSpec]) -> dict[str, str]:
        """Find each spec's resource by tag, or create it; record it; return key -> id."""
        for spec in specs:
            self._ensure_one(spec)
        return dict(self.ids)

    def ensure_parallel(self, specs: Sequence[ResourceSpec], max_workers: int = 8) -> dict[str, str]:
        """Ensure specs that do not refer to each other concurrently (e.g. one instance per node).

        Raises SetupError when one spec refers to another in the same group; the first
        failure is re-raised after every started creation has finished (and been recorded).
        """
        keys = {s.key for s in specs}
        for spec in specs:
            inner = keys.intersection(spec.refs)
            if inner:
                raise SetupError(f"{spec.key} refers to {sorted(inner)} in the same parallel group")
        with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(specs)))) as pool:
            futures = [pool.submit(self._ensure_one, spec) for spec in specs]
            wait(futures)
        for f in futures:
            f.result()
        return dict(self.ids)

    def _ensure_one(self, spec: ResourceSpec) -> str:
        with self._lock:
            if spec.key in self.ids:
                return self.ids[spec.key]
            params = resolve(dict(spec.params), self.ids)
        kind = REGISTRY[spec.kind]
        rid = kind.find(self.ctx, spec)
        created = rid is None
        if rid is None:
            if self.ctx.clients.read_only:
                raise GuardError(f"read-only mode: {spec.kind} {spec.name!r} does not exist and "
                                 "will not be created")
            log.info("creating %s %s", spec.kind, spec.name)
            rid = kind.create(self.ctx, spec, params)
        else:
            log.info("reusing %s %s (%s)", spec.kind, spec.name, rid)
        with self._lock:
            self.ids[spec.key] = rid
        self.ledger.add(Entry(spec.kind, spec.key, rid, spec.phase, self.ctx.clients.region, created))
        return rid

    def adopt_orphans(self, phase: str | None = None) -> list[Entry]:
        """Add to the ledger what carries this run's tags but is not in it yet.

        A create call interrupted before its id reached the ledger still tagged the resource
        (tags are set in the create call), so the run's tags find it.
        """
        known = {(e.kind, e.id) for e in self.ledger.entries()}
        adopted = []
        for found in find_tagged(self.ctx.clients, self.ctx.run_id):
            if (found.kind, found.id) in known or found.kind not in REGISTRY:
                continue
            if phase is not None and found.tags.get(PHASE_KEY) != phase:
                continue
            entry = Entry(found.kind, found.tags.get(SPEC_KEY, found.id), found.id,
                          found.tags.get(PHASE_KEY, ""), self.ctx.clients.region, True)
            log.warning("adopting %s %s: tagged with run %s but not in the ledger", found.kind, found.id,
                        self.ctx.run_id)
            self.ledger.add(entry)
            adopted.append(entry)
        return adopted

    def teardown(self, phase: str | None = None) -> None:
        """Destroy the run's resources (of one phase) in dependency order; raise one error listing failures.

        Orphans (tagged with the run but missing from the ledger) are adopted first; when that
        scan fails (AccessDenied, throttling) the ledger is torn down all the same and the scan
        is listed among the failures. Within a kind, the newest goes first.
        """
        failures: list[tuple[str, str]] = []
        try:
            self.adopt_orphans(phase)
        except (TdgError, BotoCoreError, ClientError) as exc:  # AccessDenied, throttling: the ledger still holds
            log.error("teardown: could not look for orphans of run %s (%s); tearing down what the ledger holds",
                      self.ctx.run_id, exc)
            failures.append((f"orphan scan of run {self.ctx.run_id}",
                             f"could not run ({exc}); `tdg sweep --run-id {self.ctx.run_id}` finds what it missed"))
        entries = list(enumerate(self.ledger.entries(phase)))
        entries.sort(key=lambda pair: (DESTROY_ORDER.get(pair[1].kind, len(DESTROY_ORDER)), -pair[0]))
        for _, entry in entries:
            what = f"{entry.kind} {entry.id} ({entry.key})"
            try:
                self._destroy(entry)
            except (GuardError, SetupError) as exc:
                log.error("teardown of %s failed: %s", what, exc)
                failures.append((what, str(exc)))
                continue
            self.ledger.remove(entry)
            self.ids.pop(entry.key, None)
        if failures:
            raise TeardownError(failures)

    def _destroy(self, entry: Entry) -> None:
        kind = REGISTRY[entry.kind]
        tags = kind.tags(self.ctx, entry.id)
        if tags is None:
            log.info("%s %s is already gone", entry.kind, entry.id)
            return
        if not is_ours(tags, self.ctx.run_id):
            raise GuardError(f"refusing to delete {entry.kind} {entry.id}: it does not carry ManagedBy=tdg and "
                             f"tdg:run-id={self.ctx.run_id} (tags: {sorted(tags)})")
        delay = self._backoff
        for attempt in range(1, self._attempts + 1):
            try:
                kind.destroy(self.ctx, entry.id)
                log.info("deleted %s %s", entry.kind, entry.id)
                return
            except NotFoundError:
                return
            except DependencyError as exc:
                if attempt == self._attempts:
                    raise SetupError(f"still has dependants after {attempt} attempts: {exc}") from exc
                log.warning("%s %s has dependants (attempt %d), retrying in %.0fs", entry.kind, entry.id,
                            attempt, delay)
                self._sleep(delay)
                delay = min(delay * 2, self._backoff_max)
