"""The one YAML reader: libyaml when present, the same plain data as SafeLoader, nothing unsafe."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from provisioning import yamlio

ROOT = Path(__file__).resolve().parents[1]
DATA_FILES = sorted(p for d in ("provisioning", "fixtures") for p in (ROOT / d).rglob("*.yaml"))


def test_libyaml_is_used_when_pyyaml_has_it():
    assert yaml.__with_libyaml__, "this PyYAML lacks libyaml: every process parses YAML in pure Python"
    assert yamlio.SAFE_LOADER is yaml.CSafeLoader


def test_without_libyaml_it_falls_back_to_the_pure_python_safe_loader(monkeypatch):
    monkeypatch.delattr(yaml, "CSafeLoader")
    try:
        assert importlib.reload(yamlio).SAFE_LOADER is yaml.SafeLoader
        assert yamlio.load("a: [1, 2]") == {"a": [1, 2]}
    finally:
        monkeypatch.undo()
        importlib.reload(yamlio)


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_data_file_reads_the_same_as_with_safe_loader(path):
    text = path.read_text(encoding="utf-8")
    assert yamlio.load_all(text) == list(yaml.load_all(text, Loader=yaml.SafeLoader))


def test_python_tags_are_refused():
    with pytest.raises(yaml.YAMLError, match="python/object"):
        yamlio.load("!!python/object/apply:os.system ['true']")


def test_a_malformed_document_raises_yaml_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\nb: 3\n", encoding="utf-8")
    with pytest.raises(yaml.YAMLError):
        yamlio.load_file(bad)
    assert yamlio.load("") is None and yamlio.load_all("---\na: 1\n---\nb: 2\n") == [{"a": 1}, {"b": 2}]
