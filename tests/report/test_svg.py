"""The topology SVG: well-formed XML, the run's ids and addresses, arrows for the allowed traffic."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from provisioning import profiles
from provisioning.aws.state import RuleState
from provisioning.report.svg import edge_sentences, render_topology
from provisioning.report.svg_parts import DANGER, fit
from provisioning.report.view import Observed, Resource, lab_view
from provisioning.topology import Topology
from tests.report.conftest import network

NS = {"s": "http://www.w3.org/2000/svg"}


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iterfind(".//s:text", NS)]


def test_planned_picture_is_valid_svg_with_every_host(approved: Topology) -> None:
    svg = render_topology(lab_view(approved, run_id="r1", mode="offline"))
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox", "").startswith("0 0 1600 ")
    words = texts(svg)
    assert "VPC 10.10.0.0/16" in words
    assert "ENI 10.10.0.100" in words
    for node in approved.nodes:
        assert node.name in words and node.private_ip in words
    assert "address as planned (not read back)" in words
    assert any("security groups as planned" in w for w in words)


def test_picture_shows_the_runs_ids_and_observed_addresses(approved: Topology, resources: list[Resource]) -> None:
    view = lab_view(approved, run_id="r1", mode="offline", resources=resources, network=network(),
                    observed={"eni-0b4": Observed("10.10.0.100", "203.0.113.7")})
    words = texts(render_topology(view))
    for rid in ("vpc-0a1 \u00b7 2a05:d018:1:2300::/56", "igw-0c3", "eni-0b4", "i-0bastion", "i-0gateway"):
        assert any(rid in w for w in words), rid
    assert "public IPv4 203.0.113.7" in words
    assert "address as planned (not read back)" not in words
    assert any("as read from the API" in w for w in words)


def test_allowed_traffic_is_drawn_and_listed(approved: Topology) -> None:
    view = lab_view(approved, run_id="r1", mode="offline")
    svg = render_topology(view)
    root = ET.fromstring(svg)
    arrows = [p for p in root.iterfind(".//s:path", NS) if p.get("marker-end", "").startswith("url(#tdg-allow")]
    assert len(arrows) == 3  # home -> bastion, bastion <-> nodes, between nodes
    assert edge_sentences(view) == ["home \u2192 bastion: tcp/22 SSH", "bastion \u2192 nodes: all traffic",
                                    "nodes \u2192 bastion: all traffic", "nodes \u2192 nodes: all traffic"]
    assert "\u2192 bastion: tcp/22 SSH" in texts(svg)


def test_a_world_open_rule_is_drawn_in_red(approved: Topology, resources: list[Resource]) -> None:
    state = network(bastion_rules=(RuleState("tcp", 22, 22, ("0.0.0.0/0",), (), ()),))
    svg = render_topology(lab_view(approved, run_id="r1", mode="live", resources=resources, network=state))
    root = ET.fromstring(svg)
    red = [p for p in root.iterfind(".//s:path", NS) if p.get("stroke") == DANGER]
    assert red, "an SSH rule open to 0.0.0.0/0 must be drawn in red"
    assert "from internet: tcp/22 SSH" in texts(svg)
    assert "\u2192 internet \u2192 bastion: tcp/22 SSH (beyond the lab!)" in texts(svg)


def test_nat_profile_draws_the_nat_gateway_and_both_subnets() -> None:
    topo = profiles.load("homelab-replica")
    words = texts(render_topology(lab_view(topo, run_id="r1", mode="offline")))
    assert "NAT gateway" in words
    assert any(w.startswith("subnet public") for w in words) and any(w.startswith("subnet private") for w in words)
    assert "ENI 10.20.13.140" in words
    assert any(w.startswith("\u2022 netboot") for w in words)


def test_text_is_escaped(approved: Topology) -> None:
    view = lab_view(approved, run_id="r<1>&", mode="offline")
    svg = render_topology(view)
    ET.fromstring(svg)
    assert "r<1>&" in texts(svg)[0]


def test_fit_cuts_long_text_with_an_ellipsis() -> None:
    assert fit("short", 400, 20) == "short"
    cut = fit("x" * 100, 200, 20)
    assert cut.endswith("\u2026") and len(cut) < 100
