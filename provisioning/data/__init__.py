"""Data files with sources: instance types, regions, prices, limits, versions."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from provisioning import yamlio

DATA_DIR = Path(__file__).resolve().parent


@cache
def load_data(name: str) -> dict[str, Any]:
    """Load provisioning/data/<name>.yaml (cached; treat the result as read-only)."""
    with (DATA_DIR / f"{name}.yaml").open(encoding="utf-8") as fh:
        data = yamlio.load(fh)
    if not isinstance(data, dict) or "source" not in data:
        raise ValueError(f"data file {name}.yaml must be a mapping that names its source")
    return data
