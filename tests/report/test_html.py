"""HTML fragments: phase table, proof box, TEST RESULTS, verdict, cost, scenarios and failures."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest

from provisioning import cost
from provisioning.capacity import assess
from provisioning.report import html
from provisioning.report.phases import ScenarioResult, StepResult, summarize
from provisioning.topology import Topology


class Collector(HTMLParser):
    """Well-formedness check: every opened tag (but void ones) is closed in order; text collected."""

    VOID = {"br", "img", "meta", "input", "hr", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(fragment: str) -> str:
    c = Collector()
    c.feed(fragment)
    c.close()
    assert c.stack == [], f"unclosed: {c.stack}"
    return " ".join(" ".join(c.text).split())


MOTO = "AWS API (moto server on loopback)"
STEPS = (StepResult("Given", "the network of the lab is provisioned", "passed", 0.5, MOTO),
         StepResult("Then", "each subnet's IPv4 default route goes where the profile says", "failed", 0.1,
                    MOTO, "IPv4 default routes:\n  - route table rt-public: expected 0.0.0.0/0 -> the internet "
                    "gateway, found no route", ("$ ip route\ndefault via 10.10.0.1",)),
         StepResult("And", "a NAT gateway exists only if the profile plans one", "not run"))


def test_phase_table_has_a_coloured_row_per_phase_and_a_total() -> None:
    rows = summarize([ScenarioResult("network", "01 Network", "vpc", "passed", 1.0),
                      ScenarioResult("talos", "03", "boots", "failed", 2.0),
                      ScenarioResult("cozystack", "04", "install", "blocked", 0.0, reason="blocked: phase talos "
                                                                                           "failed: boots")])
    fragment = html.phase_table(rows, teardown_s=3.5)
    text = parse(fragment)
    assert re.findall(r"<tr class='tdg-([a-z-]+)", fragment) == ["passed", "no-scenarios", "failed", "blocked",
                                                                  "failed"]
    assert "network 1 0 0 0 0 1.0s passed" in text
    assert "cozystack 0 0 1 0 0 0.0s blocked phase talos failed: boots" in text
    assert "total 1 1 1 0 0 3.0s failed" in text
    assert "Teardown after the last scenario: 3.5s" in text


def test_proves_box_is_there_offline_and_absent_live() -> None:
    text = parse(html.proves_box("offline"))
    for claim in ("Instances boot", "Eventual consistency", "Security-group enforcement", "Real Talos and CozyStack"):
        assert claim in text
    assert "an AWS-compatible endpoint" in parse(html.proves_box("endpoint"))
    assert html.proves_box("live") == ""


def test_results_block_escapes_and_draws_the_emoji_as_glyphs() -> None:
    fragment = html.results_block("TEST RESULTS - x\n\u2705 Infra: <ok>\n\u274c Boot: fail\n\u26a0\ufe0f Arch\n"
                                  "\U0001f4b0 Cost: $1\n")
    assert "&lt;ok&gt;" in fragment
    assert "\u2705" not in fragment and "\U0001f4b0" not in fragment and "\u26a0\ufe0f" not in fragment
    assert "<span class='tdg-i-ok'>\u2714</span> Infra" in fragment
    assert "TEST RESULTS - x" in parse(fragment)
    assert "No TEST RESULTS" in parse(html.results_block(None))


def test_verdict_block_lists_rules_and_highlights_the_recommendation(approved: Topology) -> None:
    verdict = assess(approved)
    fragment = html.verdict_block(verdict)
    text = parse(fragment)
    assert "does not meet" in text
    assert "ram_per_node NOT met 4 GiB" in text
    assert re.search(r"<li class='tdg-recommended'>RECOMMENDED: ", fragment)


def test_cost_block_itemises_the_run_and_the_month(approved: Topology) -> None:
    est = cost.estimate(approved, hours=5, today=date(2026, 11, 22))
    text = parse(html.cost_block(est))
    assert f"Monthly projection ${est.month.total_usd:.2f}" in text
    for item in est.run.items:
        assert item.name in text
    assert f"total {est.run.total_usd:.2f}" in text
    assert "No estimate" in parse(html.cost_block(None))


def test_failed_scenario_shows_the_step_the_message_and_the_output_not_a_traceback() -> None:
    result = ScenarioResult("network", "01 Network", "Default routes", "failed", 0.6, STEPS, reason="long\ntext")
    fragment = html.scenario_card(result)
    text = parse(fragment)
    assert "FAILED Default routes" in text
    assert "Failed at: Then each subnet's IPv4 default route goes where the profile says" in text
    assert "expected 0.0.0.0/0 -&gt; the internet gateway, found no route" in fragment
    assert "$ ip route default via 10.10.0.1" in text
    assert "Traceback" not in text and "site-packages" not in text
    assert re.findall(r"<tr class='tdg-([a-z-]+)'>", fragment) == ["passed", "failed", "not-run"]


def test_expected_failure_shows_the_verdicts_words() -> None:
    steps = (StepResult("Then", "all HelmReleases are Ready", "xfailed", 1.0, "", "insufficient RAM"),)
    result = ScenarioResult("cozystack", "04", "Install", "xfailed", 1.0, steps,
                            reason="insufficient RAM\nHelmReleases:\n  - cilium: not Ready")
    text = parse(html.scenario_card(result))
    assert "Expected failure at: Then all HelmReleases are Ready" in text
    assert "cilium: not Ready" in text


def test_blocked_scenario_shows_only_why() -> None:
    result = ScenarioResult("talos", "03", "Boots", "blocked", 0.0, STEPS, reason="blocked: phase network failed: x")
    text = parse(html.scenario_card(result))
    assert text == "BLOCKED Boots 0.0s blocked: phase network failed: x"


def test_scenarios_are_grouped_by_phase_in_phase_order() -> None:
    results = [ScenarioResult("talos", "03 Talos", "b", "passed", 0, STEPS[:1]),
               ScenarioResult("network", "01 Network", "a", "passed", 0, STEPS[:1])]
    text = parse(html.scenarios_block(results, ("network", "bastion", "talos", "cozystack")))
    assert text.index("01 Network") < text.index("03 Talos")


def test_topology_block_inlines_the_svg_without_its_namespace_url() -> None:
    fragment = html.topology_block('<svg xmlns="http://www.w3.org/2000/svg" id="tdg-topology"><text>x</text></svg>',
                                   "ids from this run")
    assert "http://" not in fragment
    assert "<svg id=\"tdg-topology\">" in fragment


@pytest.mark.parametrize("mode", ["offline", "live"])
def test_summary_page_puts_the_blocks_in_reading_order(mode: str, approved: Topology) -> None:
    rows = summarize([ScenarioResult("network", "01 Network", "a", "passed", 1.0, STEPS[:1])])
    page = html.summary_page(rows=rows, results=[ScenarioResult("network", "01 Network", "a", "passed", 1.0,
                                                                STEPS[:1])],
                             phases=("network",), mode=mode, results_text="TEST RESULTS - t", verdict=assess(approved),
                             verdict_note="instance facts: data file", svg="<svg id='tdg-topology'></svg>",
                             estimate=None, css="body{}")
    parse(page)
    ids = re.findall(r"<section id='(tdg-[a-z-]+)'", page)
    expected = ["tdg-phases", "tdg-results", "tdg-proves", "tdg-topology-block", "tdg-verdict", "tdg-scenarios",
                "tdg-cost"]
    assert ids == (expected if mode == "offline" else [i for i in expected if i != "tdg-proves"])
    assert "instance facts: data file" in page


def test_report_title_names_profile_mode_region_and_run() -> None:
    assert html.report_title(profile="approved", mode="offline", region="eu-west-1", run_id="abcd1234") == \
        "cozystack-aws-tdg acceptance \u00b7 profile approved \u00b7 offline \u00b7 eu-west-1 \u00b7 run abcd1234"
