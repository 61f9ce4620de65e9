"""HTML fragments of the acceptance report: static blocks that read without JavaScript.

Pure: each function takes what the run produced and returns an HTML string; all text is
escaped here. pytest-html draws its results table with JavaScript from a JSON blob, so the
blocks a reader needs first (phases, TEST RESULTS, verdict, picture, scenarios, cost) are
static HTML placed in its summary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from provisioning.capacity import Verdict
from provisioning.cost import Bill, Estimate
from provisioning.report.phases import OUTCOMES, PhaseRow, ScenarioResult, StepResult, format_duration, totals

SVG_NS = re.compile(r'\s+xmlns="http://www\.w3\.org/2000/svg"')

NOT_PROVEN = (
    ("Instances boot", "moto never runs an instance: boot-to-talos, the Talos install and its reboot are not "
                       "exercised; host checks run against loopback stand-ins of the rendered configuration."),
    ("Eventual consistency and timing", "moto answers at once (a NAT gateway is available immediately, waiters "
                                        "return in 0 s); real AWS takes minutes and can briefly disagree "
                                        "with itself."),
    ("Security-group enforcement", "moto stores the rules; no packet ever crosses them. 'Fail-closed' is "
                                   "checked on the rules as read back, not on traffic."),
    ("Real Talos and CozyStack behaviour", "talosctl answers come from a model reconstructed from siderolabs/talos "
                                           "v1.12.7 (config validation, networking, time, mirrors derived from the "
                                           "applied config); Kubernetes answers come from a stand-in that computes "
                                           "CozyStack v1.3.3 from its charts' requests and dependsOn (reconstructed, "
                                           "never recorded). Real memory use, image pulls, /dev/kvm and HelmRelease "
                                           "reconciliation are not exercised."),
    ("What moto ignores or does not check", "launch-template metadata options and network interfaces, IP "
                                            "validation on ENIs, quotas, live prices and AMI availability."),
)
PROVEN = (
    "The profile is valid and the plan builds what it describes; every resource is found by its tags "
    "and torn down (the EC2 API as moto emulates it, on 127.0.0.1).",
    "Every check reads the state back and fails on broken state (each check has a test that shows it failing).",
    "The rendered configurations (bastion user-data, Talos machine config, CozyStack install) are what the "
    "stand-ins run; the cost estimate and capacity verdict come from sourced data files.",
)


def report_title(*, profile: str, mode: str, region: str, run_id: str) -> str:
    """The report's title: profile, mode, region and run id."""
    return f"cozystack-aws-tdg acceptance \u00b7 profile {profile} \u00b7 {mode} \u00b7 {region} \u00b7 run {run_id}"


def _cls(state: str) -> str:
    return "tdg-" + re.sub(r"[^a-z]+", "-", state.lower()).strip("-")


def phase_table(rows: Sequence[PhaseRow], teardown_s: float | None = None) -> str:
    """The phase summary: one coloured row per phase, then the total (and the final teardown's time)."""
    head = "".join(f"<th>{h}</th>" for h in ("Phase", *(o.capitalize() for o in OUTCOMES), "Time", "State"))
    body = []
    for r in [*rows, totals(rows)]:
        counts = "".join(f"<td class='tdg-num'>{r.count(o)}</td>" for o in OUTCOMES)
        note = f"<div class='tdg-note'>{escape(r.note)}</div>" if r.note else ""
        body.append(f"<tr class='{_cls(r.state)}{' tdg-total' if r.phase == 'total' else ''}'>"
                    f"<th scope='row'>{escape(r.phase)}</th>{counts}<td class='tdg-num'>"
                    f"{format_duration(r.duration_s)}</td><td><b>{escape(r.state)}</b>{note}</td></tr>")
    teardown = "" if teardown_s is None else f"Teardown after the last scenario: {format_duration(teardown_s)}. "
    return (f"<section id='tdg-phases'><h2>Phases</h2><table class='tdg-phase-table'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table><p class='tdg-legend'>{teardown}Blocked: skipped because "
            "an earlier phase failed. Xfailed: a failure the capacity verdict predicted (expected blocker)."
            "</p></section>")


def proves_box(mode: str) -> str:
    """What an offline (or loopback-endpoint) run proves and what it cannot; empty for live runs."""
    if mode == "live":
        return ""
    where = "moto on loopback" if mode == "offline" else "an AWS-compatible endpoint on loopback"
    proven = "".join(f"<li>{escape(p)}</li>" for p in PROVEN)
    not_proven = "".join(f"<li><b>{escape(h)}</b>: {escape(t)}</li>" for h, t in NOT_PROVEN)
    return (f"<section id='tdg-proves' class='tdg-box'><h2>What this {escape(mode)} run proves</h2>"
            f"<p>It ran against {escape(where)} and loopback stand-ins, never AWS.</p>"
            f"<div class='tdg-cols'><div><h3>Shown</h3><ul>{proven}</ul></div>"
            f"<div><h3>Not shown (needs <code>--aws-live</code>)</h3><ul>{not_proven}</ul></div></div></section>")


ICON_HTML = (("\u26a0\ufe0f", "<span class='tdg-i-warn'>\u26a0</span>"),
             ("\u2705", "<span class='tdg-i-ok'>\u2714</span>"),
             ("\u274c", "<span class='tdg-i-bad'>\u2718</span>"),
             ("\U0001f4b0", "<span class='tdg-i-cost'>$</span>"))


def results_block(text: str | None) -> str:
    """The TEST RESULTS block (seed 002 format), or a note that this run produced none.

    The emoji of results.txt are drawn as coloured DejaVu glyphs: browsers without an emoji
    font (headless Chromium on Debian) would show empty boxes.
    """
    if not text:
        body = "<p class='tdg-note'>No TEST RESULTS were produced by this run.</p>"
    else:
        shown = escape(text)
        for emoji, glyph in ICON_HTML:
            shown = shown.replace(emoji, glyph)
        body = f"<pre class='tdg-results-text'>{shown}</pre>"
    return f"<section id='tdg-results'><h2>TEST RESULTS</h2>{body}</section>"


def verdict_block(verdict: Verdict) -> str:
    """The capacity verdict: each rule met or not with its source, then the advice lines."""
    rows = "".join(
        f"<tr class='{'tdg-passed' if r.met else 'tdg-failed'}'><td>{escape(r.name)}</td>"
        f"<td><b>{'met' if r.met else 'NOT met'}</b>{'' if r.verified else ' (unverified)'}</td>"
        f"<td>{escape(r.measured)}</td><td>{escape(r.required)}</td><td class='tdg-src'>{escape(r.source)}</td></tr>"
        for r in verdict.requirements)
    advice = "".join(f"<li class='{'tdg-recommended' if a.startswith('RECOMMENDED') else ''}'>{escape(a)}</li>"
                     for a in verdict.advice)
    state = "meets" if verdict.met else "does not meet"
    return (f"<section id='tdg-verdict'><h2>Capacity verdict</h2><p>The profile <b>{state}</b> CozyStack's and "
            f"Talos' documented minimums.</p><table class='tdg-table'><thead><tr><th>Rule</th><th>State</th>"
            f"<th>Measured</th><th>Required</th><th>Source</th></tr></thead><tbody>{rows}</tbody></table>"
            f"{f'<ul class=tdg-advice>{advice}</ul>' if advice else ''}</section>")


def _bill(bill: Bill) -> str:
    rows = "".join(
        f"<tr><td>{escape(i.name)}</td><td class='tdg-num'>{i.quantity:,.2f} {escape(i.unit)}</td>"
        f"<td class='tdg-num'>{i.unit_usd:.4f}{'' if i.verified else '*'}</td><td class='tdg-num'>{i.usd:.2f}</td>"
        f"<td class='tdg-src'>{escape(i.note)}</td></tr>" for i in bill.items)
    return (f"<h3>{escape(bill.label)}</h3><table class='tdg-table tdg-cost'><thead><tr><th>Item</th>"
            f"<th>Quantity</th><th>Unit USD</th><th>USD</th><th>Note</th></tr></thead><tbody>{rows}"
            f"<tr class='tdg-total'><th>total</th><td></td><td></td><td class='tdg-num'><b>{bill.total_usd:.2f}"
            f"</b></td><td></td></tr></tbody></table>")


def cost_block(estimate: Estimate | None, measured: Bill | None = None) -> str:
    """The itemised estimate (run and month) and, when given, the measured bill of a live run."""
    if estimate is None:
        return "<section id='tdg-cost'><h2>Cost</h2><p class='tdg-note'>No estimate: nothing was provisioned.</p>" \
               "</section>"
    unverified = not all(i.verified for i in estimate.run.items + estimate.month.items)
    foot = "<p class='tdg-note'>* unit price not confirmed from AWS (<code>tdg cost --refresh</code>)</p>" \
        if unverified else ""
    big = estimate.biggest()
    return (f"<section id='tdg-cost'><h2>Cost</h2><p>Profile {escape(estimate.profile)} in "
            f"{escape(estimate.region)}, on-demand USD, free trials as of {estimate.today}. Monthly projection "
            f"<b>${estimate.month.total_usd:.2f}</b>; biggest item {escape(big.name)} (${big.usd:.2f}).</p>"
            f"<div class='tdg-cols'><div>{_bill(estimate.run)}</div><div>{_bill(estimate.month)}</div></div>"
            f"{_bill(measured) if measured else ''}{foot}</section>")


def topology_block(svg: str | None, edges_note: str = "") -> str:
    """The topology picture, inlined (no namespace URL needed inside HTML)."""
    if not svg:
        return "<section id='tdg-topology-block'><h2>Topology</h2><p class='tdg-note'>No picture.</p></section>"
    note = f"<p class='tdg-note'>{escape(edges_note)}</p>" if edges_note else ""
    return f"<section id='tdg-topology-block'><h2>Topology</h2>{SVG_NS.sub('', svg, count=1)}{note}</section>"


def steps_table(steps: Sequence[StepResult]) -> str:
    """A scenario's Gherkin steps: keyword, text, status, time and evidence."""
    rows = []
    for st in steps:
        rows.append(f"<tr class='{_cls(st.status)}'><td class='tdg-kw'>{escape(st.keyword)}</td>"
                    f"<td>{escape(st.name)}</td><td><b>{escape(st.status)}</b></td>"
                    f"<td class='tdg-num'>{format_duration(st.duration_s)}</td>"
                    f"<td class='tdg-src'>{escape(st.evidence)}</td></tr>")
    return ("<table class='tdg-steps'><thead><tr><th></th><th>Step</th><th>Status</th><th>Time</th>"
            f"<th>Evidence</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def failure_block(result: ScenarioResult) -> str:
    """Where a scenario failed: the step, the assertion message (resource, expected, actual), host output."""
    step = result.failing_step
    where = f"{step.keyword} {step.name}" if step else "before its first step (setup)"
    own = step.message if step and step.message else ""
    message = (result.reason if result.outcome == "xfailed" else own or result.reason) or "no message"
    output = "".join(f"<pre class='tdg-output'>{escape(o)}</pre>" for o in (step.output if step else ()))
    label = "Expected failure at" if result.outcome == "xfailed" else "Failed at"
    return (f"<div class='tdg-failure'><p><b>{label}:</b> {escape(where)}</p>"
            f"<pre class='tdg-message'>{escape(message)}</pre>"
            f"{'<p><b>Command output:</b></p>' + output if output else ''}</div>")


def scenario_card(result: ScenarioResult) -> str:
    """One scenario: outcome, name, time; steps unless blocked; the failure when it failed."""
    head = (f"<h4><span class='tdg-badge {_cls(result.outcome)}'>{escape(result.outcome.upper())}</span> "
            f"{escape(result.name)} <span class='tdg-time'>{format_duration(result.duration_s)}</span></h4>")
    if result.outcome in ("blocked", "skipped"):
        return f"<div class='tdg-scenario {_cls(result.outcome)}'>{head}<p class='tdg-note'>" \
               f"{escape(result.reason)}</p></div>"
    body = steps_table(result.steps) if result.steps else ""
    if result.outcome in ("failed", "xfailed"):
        body += failure_block(result)
    return f"<div class='tdg-scenario {_cls(result.outcome)}'>{head}{body}</div>"


def scenarios_block(results: Sequence[ScenarioResult], phases: Sequence[str]) -> str:
    """Every scenario, grouped by phase in phase order (features' own names as headings)."""
    parts = []
    for phase in [*phases, None]:
        group = [r for r in results if (r.phase == phase if phase else r.phase not in phases)]
        if not group:
            continue
        features = list(dict.fromkeys(r.feature for r in group))
        parts.append(f"<div class='tdg-phase-group'><h3>{escape(', '.join(features) or (phase or 'other'))}</h3>"
                     + "".join(scenario_card(r) for r in group) + "</div>")
    return f"<section id='tdg-scenarios'><h2>Scenarios</h2>{''.join(parts)}</section>"


def summary_page(*, rows: Sequence[PhaseRow], results: Sequence[ScenarioResult], phases: Sequence[str], mode: str,
                 results_text: str | None, verdict: Verdict | None, verdict_note: str = "", svg: str | None,
                 svg_note: str = "", estimate: Estimate | None, measured: Bill | None = None, css: str = "",
                 teardown_s: float | None = None) -> str:
    """The whole static summary in reading order: phases, results beside the proof box, picture, verdict,
    scenarios, cost."""
    verdict_html = verdict_block(verdict) if verdict else "<section id='tdg-verdict'><h2>Capacity verdict</h2>" \
        f"<p class='tdg-note'>{escape(verdict_note or 'not reached')}</p></section>"
    if verdict and verdict_note:
        verdict_html = verdict_html.replace("</h2>", f"</h2><p class='tdg-note'>{escape(verdict_note)}</p>", 1)
    return "".join([f"<style>{css}</style>" if css else "", "<div id='tdg-report'>", phase_table(rows, teardown_s),
                    "<div class='tdg-two'>", results_block(results_text), proves_box(mode), "</div>",
                    topology_block(svg, svg_note), verdict_html, scenarios_block(results, phases),
                    cost_block(estimate, measured), "</div>"])
