"""--reuse: what a kept run still has (its ledger file and what carries its tags), or a refusal."""

from __future__ import annotations

import json
from pathlib import Path

from provisioning import tags as tagging
from provisioning.aws.client import ClientFactory
from provisioning.aws.inventory import find_tagged
from provisioning.errors import GuardError


def kept_keys(clients: ClientFactory, run_id: str, ledger_path: Path) -> set[str]:
    """Plan keys run_id still has, from its ledger file and its tags; GuardError when it has neither.

    The refusal lists the runs that do have tagged resources at this endpoint, so a typo in
    the run id does not silently build a whole new lab.
    """
    keys: set[str] = set()
    try:
        entries = json.loads(ledger_path.read_text(encoding="utf-8")).get("resources", [])
        keys |= {str(e["key"]) for e in entries if isinstance(e, dict) and "key" in e}
        has_ledger = True
    except (OSError, ValueError, AttributeError):
        has_ledger = False
    tagged = find_tagged(clients, None)
    mine = [f for f in tagged if f.run_id == run_id]
    keys |= {f.tags.get(tagging.SPEC_KEY, f.id) for f in mine}
    if has_ledger or mine:
        return keys
    others = sorted({f.run_id for f in tagged if f.run_id})
    where = clients.endpoint_url or f"AWS {clients.region}"
    runs = ", ".join(others) if others else "none"
    raise GuardError(f"--reuse {run_id}: nothing to reuse: no ledger at {ledger_path} and no resource tagged "
                     f"tdg:run-id={run_id} at {where}; runs with tagged resources there: {runs}")
