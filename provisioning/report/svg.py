"""Draw the lab as an SVG: VPC, subnets, gateways, bastion, nodes and the traffic the rules allow.

Pure: LabView in, SVG text out. Sized for a projector: a 1600-unit-wide viewBox with text of
at least 15 units, so it stays readable scaled to a screen's width. Green arrows are traffic the
security groups allow, grey lines are default routes, red marks anything open beyond the lab.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from provisioning.report.svg_parts import (
    ALLOW,
    BASTION_W,
    BASTION_X,
    DANGER,
    IGW_CX,
    MUTED,
    NAT_CX,
    NODE_GAP,
    NODE_H,
    NODE_W,
    ROUTE,
    SUB_W,
    SUB_X,
    VPC_TOP,
    VPC_X,
    Canvas,
    W,
    bastion_height,
    draw_bastion,
    draw_node,
    markers,
)
from provisioning.report.view import Edge, LabView, SubnetView


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass
class Placed:
    """Where things ended up, for the arrows drawn after the boxes."""

    bastion: Box | None = None
    nodes: Box | None = None
    nat: Box | None = None
    subnets: dict[str, Box] = field(default_factory=dict)


def _node_layout(view: LabView, with_bastion: bool) -> tuple[float, int, int]:
    x0 = BASTION_X + BASTION_W + 120 if with_bastion else BASTION_X
    per_row = max(1, int((SUB_X + SUB_W - 14 - x0 + NODE_GAP) // (NODE_W + NODE_GAP)))
    return x0, per_row, math.ceil(len(view.nodes) / per_row)


def _subnet(c: Canvas, hosts: Canvas, view: LabView, s: SubnetView, y: float, placed: Placed) -> float:
    """Draw one subnet frame into c and its hosts into hosts; return its height."""
    has_b, has_n = s.name == view.bastion_subnet, s.name == view.node_subnet and bool(view.nodes)
    x0, per_row, rows = _node_layout(view, has_b)
    nodes_h = rows * NODE_H + (rows - 1) * 16 + 70 if has_n else 0
    content = max(bastion_height(view.bastion) if has_b else 0, nodes_h)
    nat_here = view.nat_subnet == s.name
    h = 96 + max(content, 90 if nat_here else 0) + 30
    c.rect(SUB_X, y, SUB_W, h, "subnet", dash=True)
    c.text(SUB_X + 20, y + 36, f"subnet {s.name} \u00b7 {s.cidr} \u00b7 {s.az}", size=22, bold=True, width=760)
    routes = " \u00b7 ".join(f"{d} \u2192 {t}" for d, t in s.routes) or "no default route"
    detail = " \u00b7 ".join(x for x in (s.id or "not created", s.ipv6_cidr, f"routes: {routes}") if x)
    c.text(SUB_X + 20, y + 66, detail, size=16, mono=True, fill=MUTED, width=SUB_W - 40)
    placed.subnets[s.name] = Box(SUB_X, y, SUB_W, h)
    top = y + 96
    if nat_here:
        nat = Box(NAT_CX - 150, top, 300, 76) if not (has_b or has_n) else Box(SUB_X + SUB_W - 320, y + 8, 300, 76)
        hosts.rect(nat.x, nat.y, nat.w, nat.h, "igw")
        hosts.text(nat.cx, nat.y + 32, "NAT gateway", size=20, bold=True, anchor="middle")
        hosts.text(nat.cx, nat.y + 60, view.nat_id or "not created", size=15, mono=True, fill=MUTED, anchor="middle",
               width=nat.w - 20)
        placed.nat = nat
    if has_b:
        bh = draw_bastion(hosts, view.bastion, BASTION_X, top)
        placed.bastion = Box(BASTION_X, top, BASTION_W, bh)
    if has_n:
        for i, n in enumerate(view.nodes):
            row, col = divmod(i, per_row)
            draw_node(hosts, n, x0 + col * (NODE_W + NODE_GAP), top + row * (NODE_H + 16))
        width = min(len(view.nodes), per_row) * (NODE_W + NODE_GAP) - NODE_GAP
        placed.nodes = Box(x0, top, width, rows * NODE_H + (rows - 1) * 16)
    return h


def _routes(c: Canvas, view: LabView, placed: Placed, igw_bottom: float) -> None:
    lane = 0
    for s in view.subnets:
        box = placed.subnets[s.name]
        to_igw = [d for d, t in s.routes if t == "IGW" or (view.igw_id and t == view.igw_id)]
        to_nat = [d for d, t in s.routes if t == "NAT" or (view.nat_id and t == view.nat_id)]
        if to_igw and view.internet_gateway:
            x = IGW_CX + 40 + 70 * lane
            lane += 1
            c.path([(x, box.y), (x, igw_bottom)], ROUTE)
            c.text(x + 10, box.y - 12, " \u00b7 ".join(to_igw), size=16, fill=MUTED)
        if to_nat and placed.nat is not None and placed.subnets.get(view.nat_subnet or "") is not box:
            c.path([(placed.nat.cx, box.y), (placed.nat.cx, placed.nat.bottom)], ROUTE)
            c.text(placed.nat.cx - 10, box.y - 12, " \u00b7 ".join(to_nat), size=16, fill=MUTED, anchor="end")


def _edges(c: Canvas, view: LabView, placed: Placed, home: Box, internet: Box) -> list[Edge]:
    """Draw the edges that have a place in the picture; return the ones that do not."""
    left: list[Edge] = []
    b, n = placed.bastion, placed.nodes
    pairs = {(e.source, e.target): e for e in view.edges}
    both = ("bastion", "nodes") in pairs and ("nodes", "bastion") in pairs
    below = max((x.bottom for x in (b, n) if x), default=VPC_TOP) + 40
    for e in view.edges:
        colour = DANGER if e.danger else ALLOW
        target = b if e.target == "bastion" else n
        if target is None:
            left.append(e)
        elif e.source == "home" and e.target == "bastion":
            y = target.y + 70
            c.path([(home.x + home.w, y), (target.x, y)], colour)
            c.text(home.x, home.bottom + 28, f"\u2192 bastion: {e.label}", size=18, bold=True, fill=colour,
                   width=VPC_X - 30)
        elif e.source == "home":
            c.path([(home.cx, home.bottom + 40), (home.cx, below), (target.cx, below), (target.cx, target.bottom)],
                   colour)
            c.text(target.cx + 12, below - 10, f"from home: {e.label}", size=18, bold=True, fill=colour)
        elif {e.source, e.target} == {"bastion", "nodes"} and b and n:
            if both and e.source == "nodes":
                continue
            y = b.y + 140
            c.path([(b.x + b.w, y), (n.x, y)], colour, start=both)
            mid = (b.x + b.w + n.x) / 2
            back = pairs.get(("nodes", "bastion"))
            words = e.label if not both or back is None or back.label == e.label else f"{e.label} / {back.label}"
            for i, word in enumerate(_wrap(words, 10)):
                c.text(mid, y - 14 - 22 * i, word, size=18, bold=True, fill=colour, anchor="middle")
        elif e.source == e.target == "nodes":
            y = target.bottom + 26
            c.path([(target.x + NODE_W / 2, y), (target.x + target.w - NODE_W / 2, y)], colour, start=True)
            c.text(target.cx, y + 30, f"between nodes: {e.label}", size=18, bold=True, fill=colour, anchor="middle")
        elif e.source not in ("bastion", "nodes"):
            x = target.cx + 30
            c.path([(internet.x, internet.y + internet.h / 2), (x, internet.y + internet.h / 2), (x, target.y)],
                   DANGER)
            c.text(x + 10, target.y - 14, f"from {e.source}: {e.label}", size=18, bold=True, fill=DANGER)
        else:
            left.append(e)
    return left


def _wrap(text: str, width: int) -> list[str]:
    words, lines = text.split(), [""]
    for w in words:
        if lines[-1] and len(lines[-1]) + 1 + len(w) > width:
            lines.append(w)
        else:
            lines[-1] = f"{lines[-1]} {w}".strip()
    return list(reversed(lines))


def edge_sentences(view: LabView) -> list[str]:
    """The allowed traffic in words, one line per edge (shown under the picture)."""
    return [f"{e.source} \u2192 {e.target}: {e.label}" + (" (beyond the lab!)" if e.danger else "")
            for e in view.edges]


def render_topology(view: LabView) -> str:
    """Return the SVG document (a string starting with '<svg') for view."""
    c = Canvas()
    y: float = VPC_TOP + 108
    placed = Placed()
    frames, hosts = Canvas(), Canvas()
    for s in view.subnets:
        y += _subnet(frames, hosts, view, s, y, placed) + 40
    vpc_bottom = y - 20
    legend_y = vpc_bottom + 50
    sentences = edge_sentences(view)
    height = legend_y + 36 * (len(sentences) + 2)
    c.text(20, 40, f"Lab topology \u00b7 profile {view.profile} \u00b7 {view.region} \u00b7 run {view.run_id} "
                   f"\u00b7 {view.mode}", size=26, bold=True, width=W - 40)
    internet = Box(IGW_CX - 130, 62, 260, 56)
    c.rect(internet.x, internet.y, internet.w, internet.h, "internet", rx=28)
    c.text(internet.cx, internet.y + 37, "Internet", size=22, bold=True, anchor="middle")
    c.rect(VPC_X, VPC_TOP, W - VPC_X - 20, vpc_bottom - VPC_TOP, "vpc")
    c.text(VPC_X + 20, VPC_TOP + 62, f"VPC {view.vpc_cidr}", size=24, bold=True, width=520)
    vpc_detail = " \u00b7 ".join(x for x in (view.vpc_id or "VPC not created in this run", view.vpc_ipv6) if x)
    c.text(VPC_X + 20, VPC_TOP + 90, vpc_detail, size=16, mono=True, fill=MUTED, width=IGW_CX - 150 - VPC_X - 30)
    igw_bottom: float = VPC_TOP
    if view.internet_gateway:
        igw = Box(IGW_CX - 150, VPC_TOP - 30, 300, 66)
        c.path([(igw.cx, internet.bottom), (igw.cx, igw.y)], ROUTE, start=True)
        c.rect(igw.x, igw.y, igw.w, igw.h, "igw")
        c.text(igw.cx, igw.y + 28, "Internet gateway", size=20, bold=True, anchor="middle")
        c.text(igw.cx, igw.y + 54, view.igw_id or "not created", size=15, mono=True, fill=MUTED, anchor="middle")
        igw_bottom = igw.bottom
    route_layer = Canvas()
    _routes(route_layer, view, placed, igw_bottom)
    c.parts += frames.parts + route_layer.parts + hosts.parts
    anchor_y = placed.bastion.y + 70 if placed.bastion else VPC_TOP + 200
    home = Box(20, anchor_y - 60, VPC_X - 50, 120)
    c.rect(home.x, home.y, home.w, home.h, "home")
    c.text(home.x + 14, home.y + 34, "Operator (home)", size=22, bold=True, width=home.w - 20)
    c.text(home.x + 14, home.y + 64, "IPv6 /128 only" if view.home else "no home address", size=17, fill=MUTED)
    c.text(home.x + 14, home.y + 96, view.home or "-", size=15, mono=True, width=home.w - 20)
    edges = Canvas()
    _edges(edges, view, placed, home, internet)
    c.parts += edges.parts
    source = "security groups as read from the API" if view.rules_observed else "security groups as planned"
    c.text(20, legend_y, f"Allowed traffic ({source}); grey: default routes", size=20, bold=True)
    for i, line in enumerate(sentences):
        colour = DANGER if view.edges[i].danger else ALLOW
        c.text(40, legend_y + 36 * (i + 1), f"\u2192 {line}", size=19, fill=colour, width=W - 60)
    label = quoteattr(f"Topology of the lab of profile {view.profile}, run {view.run_id}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" id="tdg-topology" role="img" aria-label={label} '
            f'viewBox="0 0 {W} {height:.0f}" width="{W}" height="{height:.0f}">'
            f"<title>{escape(label[1:-1])}</title>{markers()}"
            f'<rect x="0" y="0" width="{W}" height="{height:.0f}" fill="#ffffff"/>' + "".join(c.parts) + "</svg>")
