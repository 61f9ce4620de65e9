"""Read YAML through one loader: libyaml's (CSafeLoader) when PyYAML was built with it, else SafeLoader.

Both build only plain Python types (SafeConstructor); libyaml parses 5-10x faster than the
pure-Python reader, which every process of the suite pays for its data files. A YAMLError is
raised either way. Loaders with their own rules (the profile's no-alias loader) stay separate.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import yaml

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(stream: str | bytes | IO[str] | IO[bytes]) -> Any:
    """The one YAML document in stream (None when empty)."""
    return yaml.load(stream, Loader=SAFE_LOADER)  # noqa: S506 (a safe loader)


def load_all(stream: str | bytes | IO[str] | IO[bytes]) -> list[Any]:
    """Every YAML document in stream, in order."""
    return list(yaml.load_all(stream, Loader=SAFE_LOADER))  # noqa: S506 (a safe loader)


def load_file(path: str | Path) -> Any:
    """The one YAML document in the UTF-8 file at path."""
    with Path(path).open(encoding="utf-8") as fh:
        return load(fh)
