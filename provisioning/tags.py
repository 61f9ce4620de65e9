"""Tags are identity: every resource the suite creates carries them, and teardown checks them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MANAGED_BY_KEY = "ManagedBy"
MANAGED_BY_VALUE = "tdg"
RUN_ID_KEY = "tdg:run-id"
PHASE_KEY = "tdg:phase"
SPEC_KEY = "tdg:key"
PROFILE_KEY = "tdg:profile"
CREATED_KEY = "tdg:created"


def lab_tags(*, run_id: str, phase: str, key: str, name: str, profile: str,
             extra: Mapping[str, str] | None = None, created: str | None = None) -> dict[str, str]:
    """Return the full tag set of one resource (the profile's tags cannot override ours)."""
    tags = dict(extra or {})
    tags.update({
        "Name": name,
        MANAGED_BY_KEY: MANAGED_BY_VALUE,
        RUN_ID_KEY: run_id,
        PHASE_KEY: phase,
        SPEC_KEY: key,
        PROFILE_KEY: profile,
    })
    if created:
        tags[CREATED_KEY] = created
    return tags


def to_aws(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Turn a mapping into EC2's [{'Key':..,'Value':..}] list."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def from_aws(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """Turn EC2's tag list (or None) into a mapping."""
    return {t["Key"]: t["Value"] for t in (tags or [])}


def is_ours(tags: Mapping[str, str], run_id: str | None = None) -> bool:
    """True when the tags say the suite made it (and, given a run id, that run)."""
    if tags.get(MANAGED_BY_KEY) != MANAGED_BY_VALUE:
        return False
    return run_id is None or tags.get(RUN_ID_KEY) == run_id


def run_filters(run_id: str, key: str | None = None) -> list[dict[str, object]]:
    """EC2 describe filters that select one run's resources (optionally one spec key)."""
    filters: list[dict[str, object]] = [
        {"Name": f"tag:{MANAGED_BY_KEY}", "Values": [MANAGED_BY_VALUE]},
        {"Name": f"tag:{RUN_ID_KEY}", "Values": [run_id]},
    ]
    if key is not None:
        filters.append({"Name": f"tag:{SPEC_KEY}", "Values": [key]})
    return filters
