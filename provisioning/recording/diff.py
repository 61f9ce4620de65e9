"""`tdg recording diff A B`: what changed between two recorded runs, the talk's "before and after".

Each bundle is summarized from its own records (checksums verified): resources (the AWS calls
that created something: counts by operation and the ids they returned), timings (per phase from
the scenario durations, the recorded span, the AWS time), health (every scenario's outcome, the
last `talosctl health` answer, the TEST RESULTS lines) and the HelmReleases' Ready states (the
last list the run read). compare() keeps only what differs; identical runs give no rows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from provisioning.recording.bundle import load

CREATES = re.compile(r"^(Create|Run|Allocate|Import)(?P<noun>[A-Za-z]+)$")
AWS_ID = re.compile(r"^[a-z]+(?:-[a-z]+)?-[0-9a-f]{8,17}$")
HELMRELEASES = "/helmreleases"
SECTIONS = ("resources", "ids", "timings", "health", "helmreleases")
Row = dict[str, Any]


def _ids(parsed: Mapping[str, Any], noun: str) -> list[str]:
    """The ids a create answered with: <Noun>Id (or any *Id naming an AWS id) of the resource objects."""
    def found(objects: Sequence[Mapping[str, Any]]) -> list[str]:
        out = []
        for obj in objects:
            keys = [k for k in obj if k.endswith("Id") and k != "OwnerId" and isinstance(obj[k], str)
                    and AWS_ID.match(obj[k])]
            best = next((k for k in keys if k == f"{noun.rstrip('s')}Id"), keys[0] if keys else None)
            if best:
                out.append(str(obj[best]))
        return out

    nested = [v for v in parsed.values() if isinstance(v, Mapping)]
    nested += [i for v in parsed.values() if isinstance(v, list) for i in v if isinstance(i, Mapping)]
    return sorted(set(found(nested) or found([parsed])))  # the resource objects (Vpc, Instances[]), else GroupId


def _created(aws: Sequence[Mapping[str, Any]]) -> tuple[Counter[str], dict[str, list[str]]]:
    counts: Counter[str] = Counter()
    ids: dict[str, list[str]] = {}
    for entry in aws:
        op, answer = str(entry["key"].get("op", "")), entry["answer"]
        match = CREATES.match(op)
        if match and op != "CreateTags" and 200 <= int(answer.get("status", 0)) <= 299:
            counts[op] += 1
            ids.setdefault(op, []).extend(_ids(answer.get("parsed") or {}, match["noun"]))
    return counts, {op: sorted(v) for op, v in ids.items()}


def _health(talosctl: Sequence[Mapping[str, Any]]) -> str:
    runs = [e for e in talosctl if (e["key"].get("args") or [""])[0] == "health"]
    if not runs:
        return "not run"
    answer = runs[-1]["answer"]
    if int(answer.get("rc", 1)) == 0:
        return "healthy"
    lines = [ln for ln in (str(answer.get("stderr") or "") + str(answer.get("stdout") or "")).splitlines() if ln]
    return f"exit {answer.get('rc')}: {lines[-1] if lines else 'no output'}"


def _helmreleases(kube: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    last = None
    for entry in kube:
        if entry["key"].get("method") == "GET" and str(entry["key"].get("path", "")).endswith(HELMRELEASES) \
                and 200 <= int(entry["answer"].get("status", 0)) <= 299:
            last = entry
    out = {}
    for item in json.loads(str(last["answer"].get("data") or "{}")).get("items") or [] if last else []:
        meta = item.get("metadata") or {}
        conditions = (item.get("status") or {}).get("conditions") or []
        ready: Mapping[str, Any] = next((c for c in conditions if c.get("type") == "Ready"), {})
        state = "Ready" if ready.get("status") == "True" else f"not Ready ({ready.get('reason') or 'no condition'})"
        out[f"{meta.get('namespace', '')}/{meta.get('name', '')}"] = state
    return out


def summarize(directory: Path) -> dict[str, Any]:
    """One bundle as the diff sees it (BundleError for a bad bundle)."""
    manifest, channels = load(directory)
    outcomes = list(manifest.get("outcomes") or [])
    phases: dict[str, float] = {}
    for o in outcomes:
        phases[o.get("phase") or "?"] = phases.get(o.get("phase") or "?", 0.0) + float(o.get("duration_s") or 0)
    ends = [float(e.get("t") or 0) + float(e.get("dur") or 0) for entries in channels.values() for e in entries]
    counts, ids = _created(channels.get("aws", []))
    results = [ln for ln in str(manifest.get("results_text") or "").splitlines() if ln.strip() and set(ln) != {"="}]
    return {
        "run": {"path": str(directory), "run_id": manifest.get("run_id"), "mode": manifest.get("mode"),
                "when": manifest.get("when"), "profile": manifest.get("profile"),
                "phases": list(manifest.get("phases") or [])},
        "created": {**dict(counts), "AWS calls (all)": len(channels.get("aws", []))}, "ids": ids,
        "timings": {**{f"phase {p} (scenarios)": round(s, 1) for p, s in phases.items()},
                    "recorded span": round(max(ends, default=0.0), 1),
                    "AWS time": round(sum(float(e.get("dur") or 0) for e in channels.get("aws", [])), 1)},
        "outcomes": {f"{o.get('phase')}: {o.get('scenario')}": str(o.get("outcome")) for o in outcomes},
        "talos_health": _health(channels.get("talosctl", [])),
        "results": results,
        "helmreleases": _helmreleases(channels.get("kube", [])),
    }


def _rows(before: Mapping[str, Any], after: Mapping[str, Any], absent: Any = "-") -> list[Row]:
    return [{"item": k, "before": before.get(k, absent), "after": after.get(k, absent)}
            for k in sorted(set(before) | set(after)) if before.get(k, absent) != after.get(k, absent)]


def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """The differences between two summaries, by section (timings as seconds and the change)."""
    timings = _rows(a["timings"], b["timings"])
    for row in timings:
        if isinstance(row["before"], int | float) and isinstance(row["after"], int | float):
            row["change"] = round(row["after"] - row["before"], 1)
    ids = [{"item": op, "before": ", ".join(r["before"]) if isinstance(r["before"], list) else r["before"],
            "after": ", ".join(r["after"]) if isinstance(r["after"], list) else r["after"]}
           for op, r in ((row["item"], row) for row in _rows(a["ids"], b["ids"]))]
    health = _rows(a["outcomes"], b["outcomes"], "absent")
    if a["talos_health"] != b["talos_health"]:
        health.append({"item": "talosctl health", "before": a["talos_health"], "after": b["talos_health"]})
    gone = [ln for ln in a["results"] if ln not in b["results"]]
    new = [ln for ln in b["results"] if ln not in a["results"]]
    if gone or new:
        health.append({"item": "TEST RESULTS", "before": "\n".join(gone) or "-", "after": "\n".join(new) or "-"})
    changes = {"resources": _rows(a["created"], b["created"], 0), "ids": ids, "timings": timings, "health": health,
               "helmreleases": _rows(a["helmreleases"], b["helmreleases"], "absent")}
    return {"before": a["run"], "after": b["run"], "changes": changes,
            "identical": not any(changes[s] for s in SECTIONS if s != "timings")}


def _when(run: Mapping[str, Any]) -> str:
    try:
        return dt.datetime.fromisoformat(str(run.get("when"))).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(run.get("when"))


TITLES = {"resources": "Resources created (AWS calls by operation)", "ids": "Ids the creates returned",
          "timings": "Timings (seconds)", "health": "Health (scenario outcomes, talosctl health, TEST RESULTS)",
          "helmreleases": "HelmRelease states"}


def render(diff: Mapping[str, Any], *, markdown: bool = False) -> str:
    """A terminal table (or Markdown tables) of the differences; 'no changes' when there are none."""
    a, b = diff["before"], diff["after"]
    head = [f"before: run {a['run_id']} of {_when(a)}, mode {a['mode']}, profile {a['profile']} ({a['path']})",
            f"after:  run {b['run_id']} of {_when(b)}, mode {b['mode']}, profile {b['profile']} ({b['path']})"]
    out = [("- " if markdown else "") + line for line in head] + [""]
    changes = diff["changes"]
    if not any(changes[s] for s in SECTIONS):
        return "\n".join([*out, "no changes: same resources, timings, health and HelmRelease states", ""])
    for section in SECTIONS:
        rows = changes[section]
        if not rows:
            continue
        cells = [[str(r["item"]), str(r["before"]), str(r["after"])] + ([f"{r['change']:+.1f}"] if "change" in r
                                                                          else []) for r in rows]
        header = ["what", "before", "after"] + (["change"] if any("change" in r for r in rows) else [])
        out += [f"## {TITLES[section]}" if markdown else f"{TITLES[section]}:"]
        out += _markdown(header, cells) if markdown else _table(header, cells)
        out.append("")
    if diff.get("identical"):
        out.append("no changes but timings: same resources, health and HelmRelease states")
    return "\n".join(out) + "\n"


def _table(header: list[str], cells: list[list[str]]) -> list[str]:
    flat = [[c.replace("\n", " | ")[:90] for c in row] + [""] * (len(header) - len(row)) for row in cells]
    widths = [max(len(r[i]) for r in [header, *flat]) for i in range(len(header))]
    fmt = "  " + "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*header), fmt.format(*("-" * w for w in widths)), *(fmt.format(*r) for r in flat)]


def _markdown(header: list[str], cells: list[list[str]]) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", "<br>")

    rows = [[cell(c) for c in r] + [""] * (len(header) - len(r)) for r in cells]
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows)]
