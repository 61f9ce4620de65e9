"""Make cucumber.json say what did not run: steps after a scenario's failed step are "skipped".

pytest-bdd marks every step after the failing one "failed" (with no message); they never ran.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def skip_unrun_steps(features: list[dict[str, Any]]) -> int:
    """Turn the message-less "failed" steps after a scenario's first failure into "skipped"; return how many."""
    changed = 0
    for feature in features:
        for element in feature.get("elements", []):
            seen_failure = False
            for step in element.get("steps", []):
                result = step.get("result", {})
                if seen_failure and result.get("status") == "failed" and not result.get("error_message"):
                    result["status"] = "skipped"
                    result.pop("error_message", None)
                    changed += 1
                elif result.get("status") == "failed":
                    seen_failure = True
    return changed


def fix_file(path: Path) -> int:
    """Apply skip_unrun_steps to a cucumber.json file in place (missing or unreadable: nothing to do)."""
    try:
        features = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    if not isinstance(features, list):
        return 0
    changed = skip_unrun_steps(features)
    if changed:
        path.write_text(json.dumps(features, indent=2), encoding="utf-8")
    return changed
