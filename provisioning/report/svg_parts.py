"""The drawing parts of the lab's SVG: sizes and colours, a canvas of boxes, text and arrows, host boxes.

Pure. provisioning/report/svg.py lays the lab out with these and writes the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from provisioning.report.view import HostView

W = 1600
SANS = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
MONO = "DejaVu Sans Mono, Liberation Mono, monospace"
INK, MUTED = "#1a1a1a", "#4d4d4d"
ALLOW, ROUTE, DANGER = "#1b7a2f", "#6b6b6b", "#c62828"
FILL = {"vpc": "#eaf2fb", "subnet": "#ffffff", "bastion": "#fff3dc", "gateway": "#dff0e0", "compute": "#eef7ee",
        "igw": "#e8e8f8", "home": "#f3e8f8", "internet": "#f2f2f2"}
STROKE = {"vpc": "#1f4e79", "subnet": "#5b8fc7", "bastion": "#b36b00", "gateway": "#1b5e20", "compute": "#2e7d32",
          "igw": "#3f3f9f", "home": "#7b3fa0", "internet": "#777777"}
IGW_CX, NAT_CX, VPC_X, VPC_TOP, SUB_X, SUB_W = 1000, 840, 300, 182, 320, 1240
BASTION_X, BASTION_W, NODE_W, NODE_H, NODE_GAP = 340, 380, 226, 172, 12


@dataclass
class Canvas:
    """SVG elements in drawing order, with the house style of boxes, text and arrows."""

    parts: list[str] = field(default_factory=list)

    def rect(self, x: float, y: float, w: float, h: float, kind: str, *, dash: bool = False, rx: int = 12) -> None:
        extra = ' stroke-dasharray="10 6"' if dash else ""
        self.parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="{rx}" '
                          f'fill="{FILL[kind]}" stroke="{STROKE[kind]}" stroke-width="3"{extra}/>')

    def text(self, x: float, y: float, s: str, *, size: int = 20, bold: bool = False, mono: bool = False,
             fill: str = INK, anchor: str = "start", width: float | None = None) -> None:
        s = fit(s, width, size, mono) if width else s
        weight = ' font-weight="bold"' if bold else ""
        self.parts.append(f'<text x="{x:.0f}" y="{y:.0f}" font-family={quoteattr(MONO if mono else SANS)} '
                          f'font-size="{size}"{weight} fill="{fill}" text-anchor="{anchor}">{escape(s)}</text>')

    def path(self, points: list[tuple[float, float]], color: str, *, start: bool = False, end: bool = True,
             dash: bool = False, width: int = 4) -> None:
        d = " ".join(f"{'M' if i == 0 else 'L'}{x:.0f},{y:.0f}" for i, (x, y) in enumerate(points))
        name = {ALLOW: "allow", ROUTE: "route", DANGER: "danger"}[color]
        markers = (f' marker-start="url(#tdg-{name}-start)"' if start else "") + \
                  (f' marker-end="url(#tdg-{name}-end)"' if end else "")
        dashes = ' stroke-dasharray="12 8"' if dash else ""
        self.parts.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="{width}"{dashes}{markers}/>')


def fit(s: str, width: float | None, size: int, mono: bool = False) -> str:
    """Cut s with an ellipsis so that it fits width units at size (approximate glyph widths)."""
    if width is None:
        return s
    per = size * (0.62 if mono else 0.56)
    room = max(1, int(width / per))
    return s if len(s) <= room else s[: room - 1] + "\u2026"


def markers() -> str:
    """The arrow-head markers every path refers to, one pair per colour."""
    out = []
    for name, color in (("allow", ALLOW), ("route", ROUTE), ("danger", DANGER)):
        out.append(f'<marker id="tdg-{name}-end" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" '
                   f'markerHeight="5" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>')
        out.append(f'<marker id="tdg-{name}-start" viewBox="0 0 10 10" refX="1" refY="5" markerWidth="5" '
                   f'markerHeight="5" orient="auto"><path d="M10,0 L0,5 L10,10 z" fill="{color}"/></marker>')
    return "<defs>" + "".join(out) + "</defs>"


def bastion_lines(b: HostView) -> list[tuple[str, int, bool, bool, str]]:
    """(text, size, bold, mono, colour) per line of the bastion box."""
    lines = [(f"Bastion \u00b7 {b.instance_type}", 24, True, False, INK),
             (f"ENI {b.private_ip}", 24, True, True, INK)]
    if not b.ip_observed:
        lines.append(("address as planned (not read back)", 15, False, False, MUTED))
    lines += [(b.eni_id or "ENI not created", 16, False, True, MUTED),
              (b.instance_id or "instance not launched", 16, False, True, MUTED)]
    if b.public_ip:
        lines.append((f"public IPv4 {b.public_ip}", 16, False, True, MUTED))
    if b.ipv6:
        lines.append((f"IPv6 {b.ipv6[0]}", 16, False, True, MUTED))
    if not (b.public_ip or b.ipv6) and b.public_ipv4:
        lines.append(("public IPv4 + IPv6 (planned)", 16, False, True, MUTED))
    lines += [("services:", 18, True, False, INK)]
    lines += [(f"\u2022 {s}", 18, False, False, INK) for s in b.services]
    return lines


def bastion_height(b: HostView) -> int:
    """The bastion box's height for its lines."""
    return 24 + sum(line[1] + 10 for line in bastion_lines(b))


def draw_bastion(c: Canvas, b: HostView, x: float, y: float) -> float:
    """Draw the bastion box at (x, y); return its height."""
    h = bastion_height(b)
    c.rect(x, y, BASTION_W, h, "bastion")
    cy = y + 10
    for text, size, bold, mono, colour in bastion_lines(b):
        cy += size + 10
        c.text(x + 18, cy - 4, text, size=size, bold=bold, mono=mono, fill=colour, width=BASTION_W - 30)
    return h


def draw_node(c: Canvas, n: HostView, x: float, y: float) -> None:
    """Draw one node box at (x, y)."""
    kind = "gateway" if n.role == "gateway" else "compute"
    c.rect(x, y, NODE_W, NODE_H, kind)
    w = NODE_W - 24
    c.text(x + 12, y + 32, n.name, size=20, bold=True, width=w)
    c.text(x + 12, y + 60, f"{n.role} \u00b7 {n.instance_type}", size=17, fill=MUTED, width=w)
    c.text(x + 12, y + 96, n.private_ip, size=24, bold=True, mono=True, width=w)
    if not n.ip_observed:
        c.text(x + 12, y + 118, "address as planned", size=15, fill=MUTED, width=w)
    c.text(x + 12, y + 144, n.instance_id or "not launched", size=15, mono=True, fill=MUTED, width=w)
    if n.state:
        c.text(x + 12, y + 164, n.state, size=15, fill=MUTED, width=w)
