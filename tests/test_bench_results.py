"""bench/results.py: the `make bench` table is rendered from the figures given, and says what was not measured."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _results() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_results", ROOT / "bench" / "results.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIGURES = {
    "meta": {"date": "2026-11-30T03:00:00+00:00", "cpus": 2, "load_before": 0.4, "repeat": 5},
    "full_run": {"profile": "approved", "wall_s": [9.1, 8.7, 9.9, 8.8, 9.4], "cpu_s": [7.0, 7.2, 7.1, 6.9, 7.3],
                 "median_wall_s": 9.1, "median_cpu_s": 7.1, "outcome": "57 passed, 1 skipped, 2 xfailed"},
    "calls": {"total": 326, "mutating": 71, "by_stage": {"provision": 80, "verification": 120, "teardown": 101,
                                                         "other": 25},
              "by_class": {"read": 255, "create": 36, "delete": 31, "change": 4},
              "provision_teardown_per_mutating": 2.549},
    "launch": {"latency_s": 0.2, "one_node_s": 3.63, "nodes": 3, "many_nodes_s": 4.15, "ratio": 1.1433},
    "teardown": {"status": "not measured: bench/teardown_ratio.py is not in this tree yet"},
    "scale": [{"nodes": 3, "profile": "approved", "wall_s": 9.0, "cpu_s": 7.0, "calls": 326, "passed": 57,
               "per_node_tests": 24},
              {"nodes": 12, "profile": "scale-12", "wall_s": 19.5, "cpu_s": 15.0, "calls": 640, "passed": 129,
               "per_node_tests": 96}],
    "suite_vs_aws_cli": {"suite_s": 0.31, "cli_s": 9.6, "speedup": 30.97, "suite_calls": 6, "cli_processes": 16},
}


def test_the_tables_carry_the_figures_given() -> None:
    md = _results().results_markdown(FIGURES)
    assert "| approved | 5 | 9.10 | 8.70-9.90 | 7.10 | 57 passed, 1 skipped, 2 xfailed |" in md
    assert "| 326 | 71 | 80 | 120 | 101 | 25 | 255 | 36 | 31 | 4 | 2.55 |" in md
    assert "| launch | 0.20 | 3.63 | 3 | 4.15 | 1.14 |" in md
    assert "| 12 | scale-12 | 19.50 | 15.00 | 640 | 129 | 96 |" in md
    assert "| 0.31 | 9.60 | 31.0x | 6 | 16 |" in md


def test_a_figure_not_measured_says_so_and_shows_no_number() -> None:
    md = _results().results_markdown({**FIGURES, "scale": {"status": "not measured: skipped (--skip)"},
                                      "full_run": {}})
    assert "| teardown | - | - | - | - | not measured: bench/teardown_ratio.py is not in this tree yet |" in md
    assert "## Scale (full offline run, one run per profile)\n\nnot measured: skipped (--skip)" in md
    assert "## Full offline run (`pytest features/ -p no:randomly`)\n\nnot measured\n" in md


def test_stages_fold_into_provision_verification_teardown_and_other() -> None:
    groups = _results().stage_groups({"provision:network": 30, "provision:talos": 50, "checks": 120,
                                      "teardown:talos": 60, "teardown:network": 41, "start": 20, "summary": 5})
    assert groups == {"provision": 80, "verification": 120, "teardown": 101, "other": 25}


def test_write_results_writes_the_json_and_the_markdown(tmp_path: Path) -> None:
    js, md = _results().write_results(FIGURES, tmp_path / "results")
    assert json.loads(js.read_text()) == FIGURES
    assert md.read_text().startswith("# Benchmark results (`make bench`)")


def test_update_keeps_only_the_skipped_sections_that_were_measured_before(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_run_all", ROOT / "bench" / "run_all.py")
    assert spec is not None and spec.loader is not None
    run_all = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_all)
    previous = tmp_path / "results.json"
    previous.write_text(json.dumps(FIGURES))
    skipped = {"status": "not measured: skipped (--skip)"}
    now = {"meta": {"date": "2026-11-30T04:00:00+00:00"}, "full_run": skipped, "scale": skipped,
           "teardown": {"latency_s": 0.2, "one_node_s": 2.0, "nodes": 3, "many_nodes_s": 2.1, "ratio": 1.05}}
    merged = run_all.kept_from_previous(now, previous)
    assert merged["full_run"] == FIGURES["full_run"] and merged["scale"] == FIGURES["scale"]
    assert merged["teardown"]["ratio"] == 1.05
    assert merged["meta"]["kept"] == ["full_run", "scale"]
    assert merged["meta"]["kept_dates"] == dict.fromkeys(("full_run", "scale"), "2026-11-30T03:00:00+00:00")
    assert "Sections full_run, scale were measured 2026-11-30T03:00:00+00:00" in _results().results_markdown(merged)
