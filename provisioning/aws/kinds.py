"""The registry of resource kinds and the run context every kind function receives."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from provisioning import tags as tagging
from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call
from provisioning.errors import NotFoundError, SetupError
from provisioning.plan import ResourceSpec

T = TypeVar("T")


class Memo:
    """What a run learned from its own calls and reads again instead of asking AWS again.

    Only facts that do not change while the run lasts go here: the name of a key pair the
    run imported, the image an SSM parameter named when the run first asked (the run builds
    every machine of a kind from one image), the LaunchTemplateData the run itself sent.
    A fact first read by two threads at once is read once (the second waits for the first).
    """

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The kept value of key, or read() now (kept when it returns; an exception keeps nothing)."""
        with self._lock:
            if key in self._values:
                value: T = self._values[key]
                return value
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._values:
                    kept: T = self._values[key]
                    return kept
            value = read()
            with self._lock:
                self._values[key] = value
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Keep value under key (what a create call answered)."""
        with self._lock:
            self._values[key] = value

    def peek(self, key: Hashable) -> Any | None:
        """The kept value of key, or None."""
        with self._lock:
            return self._values.get(key)

    def forget(self, key: Hashable) -> None:
        """Drop key (the resource it described is gone)."""
        with self._lock:
            self._values.pop(key, None)


@dataclass(frozen=True)
class RunContext:
    """What a kind needs to act for one run: clients, identity and tags."""

    clients: ClientFactory
    run_id: str
    profile: str
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    created: str = ""
    memo: Memo = field(default_factory=Memo, compare=False, repr=False)

    def tags(self, spec: ResourceSpec) -> dict[str, str]:
        """Full tag set for spec's resource."""
        return tagging.lab_tags(run_id=self.run_id, phase=spec.phase, key=spec.key, name=spec.name,
                                profile=self.profile, extra=self.extra_tags, created=self.created)

    def tag_spec(self, resource_type: str, spec: ResourceSpec) -> list[dict[str, Any]]:
        """TagSpecifications for a create call (tags are set atomically with the resource)."""
        return [{"ResourceType": resource_type, "Tags": tagging.to_aws(self.tags(spec))}]

    @property
    def ec2(self) -> Any:
        return self.clients.client("ec2")


Finder = Callable[[RunContext, ResourceSpec], "str | None"]
Creator = Callable[[RunContext, ResourceSpec, dict[str, Any]], str]
Destroyer = Callable[[RunContext, str], None]
TagReader = Callable[[RunContext, str], "dict[str, str] | None"]
Settler = Callable[[RunContext, "list[str]"], None]


@dataclass(frozen=True)
class Kind:
    """How to find, create, destroy and read the tags of one kind of resource.

    destroy raises NotFoundError when the resource is gone (the executor counts that as done);
    tags returns None when the resource is gone. A kind whose deletion takes a while may also
    say how to start it (begin, same errors as destroy) and how to wait until several are gone
    (settle): destroy is then begin followed by settle, and a teardown begins every resource
    of the kind before it waits once for all of them.
    """

    name: str
    find: Finder
    create: Creator
    destroy: Destroyer
    tags: TagReader
    begin: Destroyer | None = None
    settle: Settler | None = None


REGISTRY: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add a kind to the registry (module import time)."""
    REGISTRY[kind.name] = kind
    return kind


def first_id(items: list[dict[str, Any]], id_key: str, kind: str, key: str) -> str | None:
    """Return the id of the single tagged match, or None; two matches mean a broken run."""
    ids = [str(i[id_key]) for i in items]
    if len(ids) > 1:
        raise SetupError(f"{len(ids)} {kind} resources carry the tag {tagging.SPEC_KEY}={key}: {ids}")
    return ids[0] if ids else None


def ec2_finder(op: str, list_key: str, id_key: str, kind: str) -> Finder:
    """A find function: the run's single resource tagged with the spec's key."""
    def find(ctx: RunContext, spec: ResourceSpec) -> str | None:
        with aws_call(op):
            items = getattr(ctx.ec2, op)(Filters=tagging.run_filters(ctx.run_id, spec.key))[list_key]
        # Filter again on our side: an endpoint that ignores a tag filter (moto does for some
        # kinds) must not make us adopt another run's resource.
        items = [i for i in items if tagging.is_ours(tagging.from_aws(i.get("Tags")), ctx.run_id)
                 and tagging.from_aws(i.get("Tags")).get(tagging.SPEC_KEY) == spec.key]
        return first_id(items, id_key, kind, spec.key)
    return find


def ec2_tag_reader(op: str, ids_param: str, list_key: str) -> TagReader:
    """A tags function: describe by id; None when the resource is gone."""
    def tags(ctx: RunContext, rid: str) -> dict[str, str] | None:
        try:
            with aws_call(op):
                items = getattr(ctx.ec2, op)(**{ids_param: [rid]})[list_key]
        except NotFoundError:
            return None
        return tagging.from_aws(items[0].get("Tags")) if items else None
    return tags
