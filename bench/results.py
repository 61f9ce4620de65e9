"""Write bench/results: the figures `make bench` measured, as a JSON document and a markdown table.

Pure: results_markdown(figures) renders the tables from a figures mapping (bench/run_all.py
builds it); write_results(figures, out_dir) writes results.json and results.md. A figure that
was not measured is {"status": "not measured: <why>"} and is shown as such, never as a number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

STAGE_GROUPS = (("provision", "provision:"), ("verification", "checks"), ("teardown", "teardown:"))


def stage_groups(stages: Mapping[str, int]) -> dict[str, int]:
    """Calls per run stage (aws_calls.json "stages") folded into provision, verification, teardown, other."""
    out = {name: 0 for name, _ in STAGE_GROUPS} | {"other": 0}
    for stage, n in stages.items():
        name = next((g for g, prefix in STAGE_GROUPS if stage.startswith(prefix)), "other")
        out[name] += n
    return out


def _num(value: Any, fmt: str = "{:.2f}") -> str:
    if value is None:
        return "-"
    return fmt.format(value) if isinstance(value, float) else str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_num(v) for v in row) + " |" for row in rows]
    return lines


def _missing(section: Mapping[str, Any] | None) -> str | None:
    if not section:
        return "not measured"
    status = section.get("status")
    return str(status) if status else None


def results_markdown(figures: Mapping[str, Any]) -> str:
    """The benchmark tables as markdown, from figures (see bench/run_all.py for the keys)."""
    out = ["# Benchmark results (`make bench`)", ""]
    meta = figures.get("meta", {})
    out += [f"Measured {meta.get('date', '?')} on {meta.get('cpus', '?')} CPUs (load average before: "
            f"{meta.get('load_before', '?')}, after: {meta.get('load_after', '?')}: other jobs share the machine, "
            f"so wall times vary more than CPU times); medians of {meta.get('repeat', '?')} unless said otherwise. "
            "Figures, not assertions: compare them with the previous results.json.", ""]
    dates = meta.get("kept_dates") or {}
    for date in sorted(set(dates.values())):
        sections = [k for k in meta.get("kept", []) if dates.get(k) == date]
        out += [f"Sections {', '.join(sections)} were measured {date} (kept by --update).", ""]
    full = figures.get("full_run")
    out += ["## Full offline run (`pytest features/ -p no:randomly`)", ""]
    if (why := _missing(full)) is not None:
        out += [why, ""]
    else:
        assert full is not None
        out += _table(["profile", "runs", "wall s (median)", "wall s (min-max)", "CPU s (median)", "outcome"],
                      [[full["profile"], len(full["wall_s"]), full["median_wall_s"],
                        f"{min(full['wall_s']):.2f}-{max(full['wall_s']):.2f}", full["median_cpu_s"],
                        full.get("outcome", "")]]) + [""]
    calls = figures.get("calls")
    out += ["## AWS API calls of one full run", ""]
    if (why := _missing(calls)) is not None:
        out += [why, ""]
    else:
        assert calls is not None
        order = [name for name, _ in STAGE_GROUPS] + ["other"]
        groups = {k: calls["by_stage"].get(k, 0) for k in order}  # a fixed order: results.json sorts its keys
        classes = {k: calls["by_class"].get(k, 0) for k in ("read", "create", "delete", "change")}
        out += _table(["total", "mutating", *groups, *(f"kind: {k}" for k in classes),
                       "(provision + teardown) / mutating"],
                      [[calls["total"], calls["mutating"], *groups.values(), *classes.values(),
                        calls["provision_teardown_per_mutating"]]]) + [""]
    out += ["## Ratios with 0.2 s of latency per API call", ""]
    rows = []
    for key, label in (("launch", "launch"), ("teardown", "teardown")):
        sec = figures.get(key)
        if (why := _missing(sec)) is not None:
            rows.append([label, "-", "-", "-", "-", why])
        else:
            assert sec is not None
            rows.append([label, sec["latency_s"], sec["one_node_s"], sec["nodes"], sec["many_nodes_s"],
                         f"{sec['ratio']:.2f}"])
    out += _table(["what", "latency s", "1 node s", "nodes", "n nodes s", "n / 1"], rows) + [""]
    out += ["## Scale (full offline run, one run per profile)", ""]
    scale = figures.get("scale")
    if not isinstance(scale, list) or not scale:
        out += [_missing(scale if isinstance(scale, dict) else None) or "not measured", ""]
    else:
        out += _table(["nodes", "profile", "wall s", "CPU s", "API calls", "scenarios passed", "per-node tests"],
                      [[s["nodes"], s["profile"], s["wall_s"], s["cpu_s"], s["calls"], s["passed"],
                        s["per_node_tests"]] for s in scale]) + [""]
    vs = figures.get("suite_vs_aws_cli")
    out += ["## Network verification: the suite vs one `aws` CLI process per assertion", ""]
    if (why := _missing(vs)) is not None:
        out += [why, ""]
    else:
        assert vs is not None
        out += _table(["suite s", "aws-per-assertion s", "speed-up", "suite calls", "aws processes"],
                      [[vs["suite_s"], vs["cli_s"], f"{vs['speedup']:.1f}x", vs.get("suite_calls"),
                        vs.get("cli_processes")]]) + [""]
    extra = figures.get("network_phase")
    if extra and not _missing(extra):
        out += ["## Network phase alone (bench/offline_network.py)", ""]
        out += _table(["provision s", "verify s", "teardown s", "calls (p/v/t)"],
                      [[extra["provision_s"], extra["verify_s"], extra["teardown_s"],
                        f"{extra['calls_provision']}/{extra['calls_verify']}/{extra['calls_teardown']}"]]) + [""]
    return "\n".join(out)


def write_results(figures: Mapping[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write out_dir/results.json (the figures) and out_dir/results.md (the tables); return both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    js, md = out_dir / "results.json", out_dir / "results.md"
    js.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    md.write_text(results_markdown(figures) + "\n", encoding="utf-8")
    return js, md
