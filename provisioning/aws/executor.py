"""Apply a plan (find by tag, else create) and tear it down again from the ledger."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

import provisioning.aws
from provisioning.aws.inventory import Found, find_run_tagged
from provisioning.aws.kinds import REGISTRY, Kind, RunContext
from provisioning.aws.ledger import Entry, Ledger
from provisioning.aws.teardown_order import Stopped, run_side_by_side, tier_of
from provisioning.errors import DependencyError, GuardError, NotFoundError, SetupError, TdgError, TeardownError
from provisioning.plan import Ref, ResourceSpec
from provisioning.tags import PHASE_KEY, SPEC_KEY, is_ours

log = logging.getLogger(__name__)


def load_kinds() -> None:
    """Import every module of provisioning.aws; kind modules register themselves on import."""
    for info in pkgutil.iter_modules(provisioning.aws.__path__):
        importlib.import_module(f"provisioning.aws.{info.name}")


load_kinds()

# A ledger kind whose tags sit on a resource of another kind (ingress rules: on their group).
TAGS_ON = {"sg_ingress": "security_group"}


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

    def __init__(self, ctx: RunContext, ledger: Ledger, *, sleep: Callable[[float], None] | None = None,
                 dependency_attempts: int = 8, backoff_s: float = 2.0, backoff_max_s: float = 30.0,
                 fresh_run: bool = False) -> None:
        """fresh_run: the run id was made up by this session, so nothing can carry it yet: no find is made
        before a create (except after a create of the same spec failed, which may have made it all the same)."""
        self.ctx = ctx
        self.ledger = ledger
        self.ids: dict[str, str] = {e.key: e.id for e in ledger.entries()}
        self._stop = threading.Event()  # set when a teardown is abandoned: start no further delete
        self._sleep = sleep if sleep is not None else self._stop.wait  # a backoff ends early when abandoned
        self._attempts = dependency_attempts
        self._backoff = backoff_s
        self._backoff_max = backoff_max_s
        self._lock = threading.Lock()
        self._creations = 0  # creations started by this executor (each may leave an orphan)
        self._inventory: dict[tuple[str, str], Found] | None = None  # the run's tagged resources at the scan
        self._inventory_at = -1  # self._creations when the inventory was taken
        self._gone: set[str] = set()  # ids found already gone during a teardown (nothing to settle)
        self._fresh = fresh_run
        self._failed_creates: set[str] = set()  # spec keys whose create raised: find before trying again

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
        with self._lock:
            ask = not self._fresh or spec.key in self._failed_creates
        rid = kind.find(self.ctx, spec) if ask else None
        created = rid is None
        if rid is None:
            if self.ctx.clients.read_only:
                raise GuardError(f"read-only mode: {spec.kind} {spec.name!r} does not exist and "
                                 "will not be created")
            log.info("creating %s %s", spec.kind, spec.name)
            with self._lock:
                self._creations += 1  # before the call: an interrupted create still tagged what it made
            try:
                rid = kind.create(self.ctx, spec, params)
            except BaseException:
                with self._lock:
                    self._failed_creates.add(spec.key)
                raise
        else:
            log.info("reusing %s %s (%s)", spec.kind, spec.name, rid)
        with self._lock:
            self.ids[spec.key] = rid
        self.ledger.add(Entry(spec.kind, spec.key, rid, spec.phase, self.ctx.clients.region, created))
        return rid

    def inventory(self) -> dict[tuple[str, str], Found]:
        """The run's tagged resources by (kind, id): one scan, repeated only after this executor created more.

        Teardowns of several phases share one scan: nothing new can carry the run's tags
        unless this executor created it (or another process with the same run id, which
        the first scan saw).
        """
        with self._lock:
            if self._inventory is not None and self._inventory_at == self._creations:
                return self._inventory
            at = self._creations
        found = {(f.kind, f.id): f for f in find_run_tagged(self.ctx.clients, self.ctx.run_id)}
        with self._lock:
            self._inventory, self._inventory_at = found, at
        return found

    def adopt_orphans(self, phase: str | None = None) -> list[Entry]:
        """Add to the ledger what carries this run's tags but is not in it yet.

        A create call interrupted before its id reached the ledger still tagged the resource
        (tags are set in the create call), so the run's tags find it.
        """
        known = {(e.kind, e.id) for e in self.ledger.entries()}
        adopted = []
        for found in self.inventory().values():
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
        is listed among the failures. Tiers of kinds (teardown_order.TIERS) go one after the
        other; within a tier every resource is deleted concurrently, and a kind that settles
        (instances) is waited for once, for all of its resources.
        """
        failures: list[tuple[str, str]] = []
        try:
            self.adopt_orphans(phase)
        except (TdgError, BotoCoreError, ClientError) as exc:  # AccessDenied, throttling: the ledger still holds
            log.error("teardown: could not look for orphans of run %s (%s); tearing down what the ledger holds",
                      self.ctx.run_id, exc)
            failures.append((f"orphan scan of run {self.ctx.run_id}",
                             f"could not run ({exc}); `tdg sweep --run-id {self.ctx.run_id}` finds what it missed"))
        entries = self.ledger.entries(phase)
        self._stop.clear()
        for tier in sorted({tier_of(e.kind) for e in entries}):
            group = [e for e in reversed(entries) if tier_of(e.kind) == tier]  # the newest first
            errors, interrupt = run_side_by_side(self._begin, group, self._stop)
            if interrupt is not None:
                self._record_gone(group, errors)  # abandoned: the ledger says exactly what is left
                raise interrupt
            try:
                failures += self._settle(group, errors)
            except BaseException:  # abandoned while waiting for the instances
                self._record_gone(group, errors)
                raise
        if failures:
            raise TeardownError(failures)

    def _record_gone(self, group: list[Entry], errors: list[BaseException | None]) -> None:
        """Drop from the ledger what this tier deleted before it was abandoned; a settling kind is asked once."""
        for entry, err in zip(group, errors, strict=True):
            if err is not None or entry not in self.ledger.entries():
                continue
            if self._settles(entry):
                try:
                    if REGISTRY[entry.kind].tags(self.ctx, entry.id) is not None:
                        continue  # still terminating: it stays listed
                except (TdgError, BotoCoreError, ClientError):
                    continue
            self.ledger.remove(entry)

    def _settle(self, group: list[Entry], errors: list[BaseException | None]) -> list[tuple[str, str]]:
        """Wait for the begun deletions of kinds that settle; drop what is gone from the ledger; list failures."""
        failures = []
        begun = {e.id: e for e, err in zip(group, errors, strict=True) if err is None and self._settles(e)}
        by_kind: dict[str, list[str]] = {}
        for entry in begun.values():
            by_kind.setdefault(entry.kind, []).append(entry.id)
        for kind, ids in by_kind.items():
            settle = REGISTRY[kind].settle
            assert settle is not None
            try:
                settle(self.ctx, ids)
            except (TdgError, BotoCoreError, ClientError) as exc:
                for rid in ids:
                    errors[group.index(begun[rid])] = SetupError(f"deletion started but not finished: {exc}")
        for entry, err in zip(group, errors, strict=True):
            what = f"{entry.kind} {entry.id} ({entry.key})"
            if err is None:
                self.ledger.remove(entry)
                with self._lock:
                    self.ids.pop(entry.key, None)
                    if self._inventory is not None and entry.kind not in TAGS_ON:
                        self._inventory.pop((entry.kind, entry.id), None)
            elif isinstance(err, GuardError | SetupError):
                log.error("teardown of %s failed: %s", what, err)
                failures.append((what, str(err)))
            else:
                raise err
        return failures

    def _settles(self, entry: Entry) -> bool:
        kind = REGISTRY[entry.kind]
        return kind.begin is not None and kind.settle is not None and entry.id not in self._gone

    def _tags(self, kind: Kind, entry: Entry) -> dict[str, str] | None:
        """The entry's tags from the teardown's scan, or (not in it) read now; None when it is gone.

        Instances (kinds that settle) are always read by id: one the scan lists but EC2 does not
        show by id yet has an unknown state, and the kind's reader keeps it in the ledger untouched.
        """
        inventory = self._inventory if self._inventory is not None else {}
        found = inventory.get((TAGS_ON.get(entry.kind, entry.kind), entry.id))
        if kind.settle is None and found is not None and is_ours(found.tags, self.ctx.run_id):
            return found.tags
        return kind.tags(self.ctx, entry.id)  # not seen by the scan: gone, not visible yet, or not ours

    def _begin(self, entry: Entry) -> None:
        """Delete entry (a settling kind: start its deletion), retrying while something still depends on it."""
        if self._stop.is_set():
            raise Stopped(f"teardown abandoned before {entry.kind} {entry.id} was deleted")
        kind = REGISTRY[entry.kind]
        tags = self._tags(kind, entry)
        if tags is None:
            log.info("%s %s is already gone", entry.kind, entry.id)
            with self._lock:
                self._gone.add(entry.id)
            return
        if not is_ours(tags, self.ctx.run_id):
            raise GuardError(f"refusing to delete {entry.kind} {entry.id}: it does not carry ManagedBy=tdg and "
                             f"tdg:run-id={self.ctx.run_id} (tags: {sorted(tags)})")
        delete = kind.begin if kind.begin is not None and kind.settle is not None else kind.destroy
        delay = self._backoff
        for attempt in range(1, self._attempts + 1):
            if self._stop.is_set():
                raise Stopped(f"teardown abandoned before {entry.kind} {entry.id} was deleted")
            try:
                delete(self.ctx, entry.id)
                log.info("deleted %s %s", entry.kind, entry.id)
                return
            except NotFoundError:
                with self._lock:
                    self._gone.add(entry.id)
                return
            except DependencyError as exc:
                if attempt == self._attempts:
                    raise SetupError(f"still has dependants after {attempt} attempts: {exc}") from exc
                log.warning("%s %s has dependants (attempt %d), retrying in %.0fs", entry.kind, entry.id,
                            attempt, delay)
                self._sleep(delay)
                delay = min(delay * 2, self._backoff_max)
