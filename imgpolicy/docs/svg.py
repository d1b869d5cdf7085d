"""Hand-written, deterministic SVG: the study-flow topology and the capacity chart.

No layout engine and no fonts to measure: boxes of fixed width in one column per layer,
text truncated to what fits (the full text is in each element's <title>, shown as a
tooltip), coordinates rounded, so the same environment always gives the same bytes.
Every piece of user text goes through `xml()`.
"""

from __future__ import annotations

import math
from collections import defaultdict

from markupsafe import Markup

from .escape import xml
from .topology import Graph, Node

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

PURPOSE_STYLE = {
    # purpose: (colour, width, dash, label)
    "reading": ("#475569", 1.4, "", "to reading"),
    "archive": ("#1d4ed8", 2.8, "", "to the archive"),
    "replication": ("#0f766e", 2.2, "7 4", "replication (DR)"),
    "prefetch": ("#64748b", 1.4, "4 3", "prior prefetch"),
    "ai": ("#7c3aed", 2.2, "", "to AI"),
    "results": ("#a855f7", 1.4, "2 3", "results back"),
    "teleradiology": ("#c2410c", 2.8, "", "teleradiology"),
    "dose": ("#15803d", 1.2, "", "dose reports"),
    "forward": ("#475569", 1.4, "6 3", "forward"),
}
DISABLED = ("#9ca3af", 1.2, "2 4", "disabled route")

ROLE_STYLE = {
    # role: (stroke, fill, label)
    "archive": ("#1d4ed8", "#dbeafe", "archive of record"),
    "replica": ("#0f766e", "#ccfbf1", "archive replica"),
    "ai": ("#7c3aed", "#ede9fe", "AI"),
    "teleradiology": ("#c2410c", "#ffedd5", "teleradiology"),
    "dose": ("#15803d", "#dcfce7", "dose monitor"),
    "unknown": ("#b91c1c", "#fee2e2", "AE not declared"),
}
PLAIN_NODE = ("#334155", "#f8fafc")

NODE_W, NODE_H = 180, 44
ROW_H, GROUP_HEAD = 15, 36
COL_GAP, V_GAP, MARGIN, HEAD_H = 100, 22, 16, 30
CHAR_W = 6.4  # average advance of an 11px sans-serif character, generously


def _fit(text: str, width: float, char_w: float = CHAR_W) -> str:
    most = max(1, int(width / char_w))
    return text if len(text) <= most else text[: most - 1] + "…"


def _n(value: float) -> str:
    """A coordinate, rounded so output is byte-stable."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _badge(node: Node) -> str:
    if "unknown" in node.roles:
        return "NOT DECLARED"
    if "archive" in node.roles:
        return "ARCHIVE OF RECORD"
    if "replica" in node.roles:
        return "REPLICA"
    return ""


def _height(node: Node) -> float:
    if node.rows:
        return GROUP_HEAD + ROW_H * len(node.rows) + 6
    return NODE_H + (14 if _badge(node) else 0)


# --- topology -------------------------------------------------------------------------


def topology(graph: Graph, *, title: str = "Study-flow topology") -> Markup:
    layers = graph.layers()
    if not layers:
        return Markup("")
    column = {}
    for i, (_, _, members) in enumerate(layers):
        for node in members:
            column[node.key] = i
    neighbours: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        neighbours[edge.source].append(edge.target)
        neighbours[edge.target].append(edge.source)

    # order each column by the mean position of its neighbours in earlier columns
    centre: dict[str, float] = {}
    ordered: list[list[Node]] = []
    for i, (_, _, members) in enumerate(layers):
        if i:

            def weight(node: Node) -> tuple:
                ys = [centre[n] for n in neighbours[node.key] if n in centre]
                return (0, sum(ys) / len(ys), node.order) if ys else (1, 0.0, node.order)

            members = sorted(members, key=weight)
        y = 0.0
        for node in members:
            centre[node.key] = y + _height(node) / 2
            y += _height(node) + V_GAP
        ordered.append(members)
    col_height = [sum(_height(n) for n in m) + V_GAP * (len(m) - 1) for m in ordered]
    tallest = max(col_height)
    top = MARGIN + HEAD_H
    box: dict[str, tuple[float, float, float, float]] = {}
    for i, members in enumerate(ordered):
        x = MARGIN + i * (NODE_W + COL_GAP)
        y = top + (tallest - col_height[i]) / 2
        for node in members:
            box[node.key] = (x, y, NODE_W, _height(node))
            y += _height(node) + V_GAP

    # ports: where each edge leaves and enters, spread along the side it uses
    ends: dict[tuple[str, str], list[tuple[float, int, int]]] = defaultdict(list)
    sides = []
    for k, edge in enumerate(graph.edges):
        cs, ct = column[edge.source], column[edge.target]
        if cs < ct:
            s_side, t_side = "r", "l"
        elif cs > ct:
            s_side, t_side = "l", "r"
        else:
            s_side, t_side = "r", "r"
        sides.append((s_side, t_side))
        sy = box[edge.source][1] + box[edge.source][3] / 2
        ty = box[edge.target][1] + box[edge.target][3] / 2
        ends[(edge.source, s_side)].append((ty, k, 0))
        ends[(edge.target, t_side)].append((sy, k, 1))
    port: dict[tuple[int, int], tuple[float, float]] = {}
    for (key, side), items in ends.items():
        bx0, by0, w, h = box[key]
        items.sort()
        for j, (_, k, which) in enumerate(items):
            port[(k, which)] = (
                bx0 + w if side == "r" else bx0,
                by0 + h * (j + 1) / (len(items) + 1),
            )

    width = MARGIN * 2 + len(layers) * NODE_W + (len(layers) - 1) * COL_GAP
    legend_items = _topology_legend(graph)
    per_row = max(1, int((width - 2 * MARGIN) // 190))
    legend_rows = (len(legend_items) + per_row - 1) // per_row
    legend_top = top + tallest + 24
    height = legend_top + legend_rows * 20 + MARGIN

    out = [
        f'<svg class="diagram topology" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" role="img" '
        f'aria-label="{xml(title)}" font-family="{xml(FONT)}" font-size="11">',
        f"<title>{xml(title)}</title>",
        "<defs>",
    ]
    used = sorted({(e.purpose if e.enabled else "disabled") for e in graph.edges})
    for purpose in used:
        colour = (PURPOSE_STYLE.get(purpose, DISABLED) if purpose != "disabled" else DISABLED)[0]
        out.append(
            f'<marker id="arrow-{xml(purpose)}" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
    out.append("</defs>")
    out.append(f'<rect x="0" y="0" width="{_n(width)}" height="{_n(height)}" fill="#ffffff"/>')
    for i, (_, label, _) in enumerate(layers):
        x = MARGIN + i * (NODE_W + COL_GAP)
        out.append(
            f'<text x="{_n(x + NODE_W / 2)}" y="{_n(MARGIN + 12)}" text-anchor="middle" '
            f'font-size="12" font-weight="700" fill="#0f172a">{xml(label)}</text>'
        )
        out.append(
            f'<line x1="{_n(x)}" y1="{_n(MARGIN + 19)}" x2="{_n(x + NODE_W)}" '
            f'y2="{_n(MARGIN + 19)}" stroke="#cbd5e1"/>'
        )

    # edges that skip columns pass through the gaps between boxes, not behind them
    bottom = top + tallest
    gaps: list[list[tuple[float, float]]] = []
    for members in ordered:
        spans, y = [], top - HEAD_H / 2
        for node in members:
            _nx, ny, _nw, nh = box[node.key]
            spans.append((y, ny))
            y = ny + nh
        spans.append((y, bottom + 40))
        gaps.append([(a, b) for a, b in spans if b - a >= 8])
    passing: dict[tuple[int, int], list[tuple[float, int]]] = defaultdict(list)
    for k, edge in enumerate(graph.edges):
        cs, ct = column[edge.source], column[edge.target]
        if abs(cs - ct) < 2:
            continue
        (x1, y1), (x2, y2) = port[(k, 0)], port[(k, 1)]
        step = 1 if ct > cs else -1
        for c in range(cs + step, ct, step):
            want = y1 + (y2 - y1) * (c - cs) / (ct - cs)
            best = min(
                range(len(gaps[c])),
                key=lambda g: (
                    0
                    if gaps[c][g][0] <= want <= gaps[c][g][1]
                    else min(abs(want - gaps[c][g][0]), abs(want - gaps[c][g][1])),
                    g,
                ),
            )
            passing[(c, best)].append((want, k))
    waypoints: dict[int, dict[int, float]] = defaultdict(dict)
    for (c, g), users in passing.items():
        low, high = gaps[c][g]
        users.sort()
        n = len(users)
        room = max(0.0, high - low - 8)
        for j, (want, k) in enumerate(users):
            if n == 1:
                y = min(max(want, low + 4 + min(room, 10)), high - 4 - min(room, 10))
                y = (low + high) / 2 if room < 20 else y
            else:
                y = low + 4 + room * (j + 0.5) / n
            waypoints[k][c] = y

    labels = []
    out.append('<g class="edges" fill="none">')
    for k, edge in enumerate(graph.edges):
        if edge.source == edge.target:
            continue  # a route from an AE to itself: listed in the route table, not drawn
        (x1, y1), (x2, y2) = port[(k, 0)], port[(k, 1)]
        s_side, t_side = sides[k]
        if s_side != t_side:
            points = [(x1, y1)]
            forward = s_side == "r"
            for c in sorted(waypoints.get(k, {}), reverse=not forward):
                left = MARGIN + c * (NODE_W + COL_GAP)
                gy = waypoints[k][c]
                points += (
                    [(left, gy), (left + NODE_W, gy)]
                    if forward
                    else [(left + NODE_W, gy), (left, gy)]
                )
            points.append((x2, y2))
            d = [f"M{_n(x1)},{_n(y1)}"]
            first = None
            for i in range(1, len(points)):
                (ax, ay), (bx, by) = points[i - 1], points[i]
                if i % 2 == 0:  # across a column, at the gap's height
                    d.append(f"L{_n(bx)},{_n(by)}")
                    continue
                dx = (bx - ax) / 2
                c1, c2 = (ax + dx, ay), (bx - dx, by)
                d.append(f"C{_n(c1[0])},{_n(c1[1])} {_n(c2[0])},{_n(c2[1])} {_n(bx)},{_n(by)}")
                if first is None:
                    first = ((ax, ay), c1, c2, (bx, by))
            path = " ".join(d)
        else:
            bulge = min(COL_GAP - 12, 28 + abs(y2 - y1) * 0.12)
            c1, c2 = (x1 + bulge, y1), (x2 + bulge, y2)
            first = ((x1, y1), c1, c2, (x2, y2))
            path = (
                f"M{_n(x1)},{_n(y1)} C{_n(c1[0])},{_n(c1[1])} {_n(c2[0])},{_n(c2[1])} "
                f"{_n(x2)},{_n(y2)}"
            )
        purpose = edge.purpose if edge.enabled else "disabled"
        colour, stroke, dash, _ = (
            PURPOSE_STYLE.get(edge.purpose, PURPOSE_STYLE["forward"]) if edge.enabled else DISABLED
        )
        names = ", ".join(edge.routes[:12]) + (
            f" … (+{len(edge.routes) - 12})" if len(edge.routes) > 12 else ""
        )
        tip = (
            f"{edge.purpose}: {graph.nodes[edge.source].title} → "
            f"{graph.nodes[edge.target].title} ({edge.count} route"
            f"{'s' if edge.count != 1 else ''}: {names})"
        )
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path d="{path}" stroke="{colour}" '
            f'stroke-width="{_n(stroke)}"{dash_attr} marker-end="url(#arrow-{purpose})" '
            f'opacity="0.9"><title>{xml(tip)}</title></path>'
        )
        if edge.count > 1 and first is not None:
            (ax, ay), c1, c2, (bx, by) = first
            mx = (ax + 3 * c1[0] + 3 * c2[0] + bx) / 8
            my = (ay + 3 * c1[1] + 3 * c2[1] + by) / 8
            labels.append(
                f'<text x="{_n(mx)}" y="{_n(my + 3.5)}" text-anchor="middle" '
                f'font-size="10" fill="{colour}" stroke="#ffffff" stroke-width="3" '
                f'paint-order="stroke">×{edge.count}</text>'
            )
    out.append("</g>")

    out.append('<g class="nodes">')
    for members in ordered:
        for node in members:
            out.append(_node(node, box[node.key]))
    out.append("</g>")
    out.append('<g class="edge-labels">' + "".join(labels) + "</g>")

    out.append(f'<g class="legend" transform="translate({_n(MARGIN)},{_n(legend_top)})">')
    for i, (kind, key, text) in enumerate(legend_items):
        lx, ly = (i % per_row) * 190, (i // per_row) * 20
        if kind == "note":
            out.append(
                f'<text x="{lx + 17}" y="{ly + 10}" text-anchor="middle" '
                f'font-size="10" fill="#334155">×N</text>'
            )
        elif kind == "edge":
            colour, stroke, dash, _ = (
                PURPOSE_STYLE.get(key, DISABLED) if key != "disabled" else DISABLED
            )
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line x1="{lx}" y1="{ly + 6}" x2="{lx + 34}" y2="{ly + 6}" '
                f'stroke="{colour}" stroke-width="{_n(stroke)}"{dash_attr}/>'
            )
        else:
            node_stroke, node_fill, _ = ROLE_STYLE[key]
            out.append(
                f'<rect x="{lx + 4}" y="{ly}" width="26" height="12" rx="3" '
                f'fill="{node_fill}" stroke="{node_stroke}" stroke-width="2"/>'
            )
        out.append(f'<text x="{lx + 42}" y="{ly + 10}" fill="#0f172a">{xml(text)}</text>')
    out.append("</g></svg>")
    return Markup("\n".join(out))


def _topology_legend(graph: Graph) -> list[tuple[str, str, str]]:
    items = []
    purposes = {e.purpose for e in graph.edges if e.enabled}
    for purpose, style in PURPOSE_STYLE.items():
        if purpose in purposes:
            items.append(("edge", purpose, style[3]))
    for purpose in sorted(purposes - set(PURPOSE_STYLE)):
        items.append(("edge", purpose, purpose))
    if any(not e.enabled for e in graph.edges):
        items.append(("edge", "disabled", DISABLED[3]))
    roles = {r for n in graph.nodes.values() for r in n.roles}
    for role, (_, _, role_label) in ROLE_STYLE.items():
        if role in roles:
            items.append(("node", role, role_label))
    if any(e.count > 1 for e in graph.edges):
        items.append(("note", "", "N routes drawn as one"))
    return items


def _node(node: Node, where: tuple[float, float, float, float]) -> str:
    x, y, w, h = where
    role = next(
        (
            r
            for r in ("unknown", "archive", "teleradiology", "ai", "dose", "replica")
            if r in node.roles
        ),
        None,
    )
    stroke, fill = (ROLE_STYLE[role][0], ROLE_STYLE[role][1]) if role else PLAIN_NODE
    width = 2.6 if role in ("archive", "teleradiology") else 1.4
    dash = ' stroke-dasharray="4 3"' if role == "unknown" else ""
    parts = [
        f'<g class="node"><title>{xml(node.tooltip or node.title)}</title>',
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="6" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{_n(width)}"{dash}/>',
    ]
    if node.rows:
        parts.append(
            f'<text x="{_n(x + 8)}" y="{_n(y + 15)}" font-weight="700" '
            f'font-size="12" fill="#0f172a">{xml(_fit(node.title, w - 16, 7.2))}</text>'
        )
        parts.append(
            f'<text x="{_n(x + 8)}" y="{_n(y + 28)}" fill="#475569">'
            f"{xml(_fit(node.subtitle, w - 16))}</text>"
        )
        parts.append(
            f'<line x1="{_n(x + 6)}" y1="{_n(y + GROUP_HEAD - 4)}" x2="{_n(x + w - 6)}" '
            f'y2="{_n(y + GROUP_HEAD - 4)}" stroke="#cbd5e1"/>'
        )
        for i, row in enumerate(node.rows):
            parts.append(
                f'<text x="{_n(x + 8)}" y="{_n(y + GROUP_HEAD + 9 + i * ROW_H)}" '
                f'fill="#1e293b" xml:space="preserve">{xml(_fit(row, w - 16))}</text>'
            )
    else:
        parts.append(
            f'<text x="{_n(x + 8)}" y="{_n(y + 18)}" font-weight="700" '
            f'font-size="12" fill="#0f172a">{xml(_fit(node.title, w - 16, 7.4))}</text>'
        )
        parts.append(
            f'<text x="{_n(x + 8)}" y="{_n(y + 33)}" fill="#475569">'
            f"{xml(_fit(node.subtitle, w - 16))}</text>"
        )
        badge = _badge(node)
        if badge:
            parts.append(
                f'<text x="{_n(x + 8)}" y="{_n(y + 48)}" font-size="10" '
                f'font-weight="700" fill="{stroke}">{xml(badge)}</text>'
            )
    parts.append("</g>")
    return "".join(parts)


# --- capacity chart ---------------------------------------------------------------------

PALETTE = (
    "#1d4ed8",
    "#c2410c",
    "#15803d",
    "#7c3aed",
    "#b91c1c",
    "#0f766e",
    "#a16207",
    "#be185d",
    "#334155",
    "#0369a1",
)
DASHES = ("", "6 3", "2 3", "8 3 2 3")


def capacity_chart(
    rows: list[dict],
    year_labels: list[str],
    *,
    title: str = "Capacity projection (% of each tier's capacity)",
) -> Markup:
    """One line per tier: % of its capacity today and at the end of each projected year,
    with the point where it crosses 100% marked and dated.

    `rows`: dicts with `name`, `percents` (today first), `full_at` (years, or None) and
    `fill_label`."""
    if not rows:
        return Markup("")
    years = len(year_labels) - 1
    plot_w, plot_h = 560, 280
    left, top = 56, 34
    legend_w = 300
    peak = max([p for r in rows for p in r["percents"]] + [100.0])
    y_max = min(400.0, max(120.0, ((peak // 20) + 1) * 20))
    height = top + plot_h + 48
    legend_h = top + 18 * len(rows) + 10
    height = max(height, legend_h)
    width = left + plot_w + 24 + legend_w

    def px(t: float) -> float:
        return left + plot_w * t / years

    def py(percent: float) -> float:
        return top + plot_h * (1 - min(percent, y_max) / y_max)

    out = [
        f'<svg class="diagram capacity" viewBox="0 0 {width} {_n(height)}" width="{width}" '
        f'height="{_n(height)}" role="img" aria-label="{xml(title)}" '
        f'font-family="{xml(FONT)}" font-size="11">',
        f"<title>{xml(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{_n(height)}" fill="#ffffff"/>',
        f'<text x="{left}" y="18" font-size="12" font-weight="700" fill="#0f172a">'
        f"{xml(title)}</text>",
    ]
    step = 20 if y_max <= 200 else 50
    for value in range(0, int(y_max) + 1, step):
        y = py(value)
        out.append(
            f'<line x1="{left}" y1="{_n(y)}" x2="{left + plot_w}" y2="{_n(y)}" stroke="#e2e8f0"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{_n(y + 4)}" text-anchor="end" fill="#475569">{value}%</text>'
        )
    for k, label in enumerate(year_labels):
        x = px(k)
        out.append(
            f'<line x1="{_n(x)}" y1="{top}" x2="{_n(x)}" y2="{top + plot_h}" stroke="#f1f5f9"/>'
        )
        out.append(
            f'<text x="{_n(x)}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'fill="#475569">{xml(label)}</text>'
        )
    out.append(
        f'<text x="{left + plot_w / 2}" y="{top + plot_h + 36}" text-anchor="middle" '
        f'fill="#475569">end of projected year</text>'
    )
    full = py(100)
    out.append(
        f'<line x1="{left}" y1="{_n(full)}" x2="{left + plot_w}" y2="{_n(full)}" '
        f'stroke="#b91c1c" stroke-width="1.5" stroke-dasharray="6 3"/>'
    )
    out.append(
        f'<text x="{left + plot_w - 4}" y="{_n(full - 5)}" text-anchor="end" '
        f'fill="#b91c1c">capacity (100%)</text>'
    )
    out.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        f'stroke="#94a3b8"/>'
    )
    for i, row in enumerate(rows):
        colour, dash = PALETTE[i % len(PALETTE)], DASHES[(i // len(PALETTE)) % len(DASHES)]
        points = [(float(k), p) for k, p in enumerate(row["percents"])]
        full_at = row.get("full_at")
        if full_at is not None and 0 < full_at < years:
            points.append((full_at, 100.0))
            points.sort()
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        coords = " ".join(f"{_n(px(t))},{_n(py(p))}" for t, p in points)
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" '
            f'stroke-width="2.2"{dash_attr}><title>{xml(row["name"])}: '
            f"{xml(row['fill_label'])}</title></polyline>"
        )
        if full_at is not None and full_at <= years:
            cx, cy = px(max(0.0, full_at)), py(100)
            out.append(
                f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="5" fill="#ffffff" '
                f'stroke="{colour}" stroke-width="2.5"><title>{xml(row["name"])} fills: '
                f"{xml(row['fill_label'])}</title></circle>"
            )
            out.append(
                f'<text x="{_n(cx)}" y="{_n(cy - 9 - 11 * (i % 2))}" '
                f'text-anchor="middle" font-size="10" fill="{colour}" stroke="#ffffff" '
                f'stroke-width="3" paint-order="stroke">'
                f"{xml(_fit(row['name'], 140))} full</text>"
            )
        ly = top + 6 + 18 * i
        lx = left + plot_w + 24
        out.append(
            f'<line x1="{lx}" y1="{ly}" x2="{lx + 26}" y2="{ly}" stroke="{colour}" '
            f'stroke-width="2.5"{dash_attr}/>'
        )
        end = row["percents"][-1]
        when = f", full {row['fill_date']}" if row.get("fill_date") else ""
        out.append(
            f'<text x="{lx + 32}" y="{ly + 4}" fill="#0f172a">'
            f"{xml(_fit(row['name'], 150))} {end:.0f}%{xml(when)}</text>"
        )
    out.append("</svg>")
    return Markup("\n".join(out))


# --- dose distribution chart ------------------------------------------------------------

DOSE_LEFT, DOSE_PLOT_W, DOSE_TOP, DOSE_PLOT_H = 60, 480, 72, 90
DOSE_BINS = 40
DOSE_COLOURS = {"bars": "#94a3b8", "median": "#1d4ed8", "p75": "#7c3aed", "drl": "#b91c1c"}


def dose_axis(top: float) -> tuple[float, float]:
    """The dose axis for values up to `top`: (its end, its tick step), a round step
    (1, 2, 2.5 or 5 times a power of ten) with a little room past `top`, so a DRL or the
    largest dose never sits on the frame."""
    if top <= 0:
        return 1.0, 0.25
    target = top * 1.05
    raw = target / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return step * math.ceil(target / step - 1e-9), step


def dose_chart(series, metric: str | None = None) -> Markup:
    """The facility's doses for one exam and metric (an `audit.evidence.DoseSeries`;
    `metric`: its name for people, default the series' own): a histogram of the studies'
    values, the median and the 75th percentile as dashed marks, and the diagnostic
    reference level as a red line, labelled; empty when no study was measured."""
    metric = metric or series.metric
    values = [max(0.0, v) for v in series.values_sorted]
    if not values:
        return Markup("")
    marks = [v for v in (series.median, series.p75, series.drl) if v is not None]
    x_max, step = dose_axis(max([*values, *marks]))
    left, plot_w, top, plot_h = DOSE_LEFT, DOSE_PLOT_W, DOSE_TOP, DOSE_PLOT_H
    width, height = left + plot_w + 40, top + plot_h + 62
    unit = f" {series.unit}" if series.unit else ""

    def px(value: float) -> float:
        return left + plot_w * value / x_max

    def num(value: float | None) -> str:
        return "" if value is None else f"{value:g}"

    title = (
        f"{series.exam}: {metric} of {series.n} studies, median {num(series.median)}"
        f"{unit}, 75th percentile {num(series.p75)}{unit}, "
        + (f"DRL {num(series.drl)}{unit}" if series.drl is not None else "no DRL declared")
        + f" (measured {series.measured.isoformat()})"
    )
    out = [
        f'<svg class="diagram dose" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{xml(title)}" '
        f'font-family="{xml(FONT)}" font-size="11">',
        f"<title>{xml(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="18" font-size="12" font-weight="700" fill="#0f172a">'
        f"{xml(_fit(f'{series.exam}: {metric}', plot_w + 30, 7.0))}</text>",
    ]
    counts = [0] * DOSE_BINS
    for value in values:
        counts[min(DOSE_BINS - 1, int(value / x_max * DOSE_BINS))] += 1
    peak = max(counts)
    bin_w = plot_w / DOSE_BINS
    for b, count in enumerate(counts):
        if not count:
            continue
        bar_h = plot_h * count / peak
        low, high = x_max * b / DOSE_BINS, x_max * (b + 1) / DOSE_BINS
        out.append(
            f'<rect x="{_n(left + b * bin_w)}" y="{_n(top + plot_h - bar_h)}" '
            f'width="{_n(bin_w - 1)}" height="{_n(bar_h)}" fill="{DOSE_COLOURS["bars"]}">'
            f"<title>{xml(f'{num(low)} to {num(high)}{unit}: {count} studies')}</title></rect>"
        )
    base = top + plot_h
    out.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#475569"/>')
    for k in range(round(x_max / step) + 1):
        x = px(k * step)
        out.append(
            f'<line x1="{_n(x)}" y1="{base}" x2="{_n(x)}" y2="{base + 4}" stroke="#475569"/>'
        )
        out.append(
            f'<text x="{_n(x)}" y="{base + 16}" text-anchor="middle" fill="#475569">'
            f"{num(k * step)}</text>"
        )
    out.append(
        f'<text x="{left + plot_w / 2:g}" y="{base + 32}" text-anchor="middle" '
        f'fill="#475569">{xml(metric + (f" ({series.unit})" if series.unit else ""))}'
        "</text>"
    )
    lines = [
        ("median", series.median, "5 3", 1.8, f"median {num(series.median)}"),
        ("p75", series.p75, "2 3", 1.8, f"75th percentile {num(series.p75)}"),
        ("drl", series.drl, "", 2.4, f"DRL {num(series.drl)}{unit}"),
    ]
    for k, (name, value, dash, stroke, label) in enumerate(lines):
        if value is None:
            continue
        x, colour = px(value), DOSE_COLOURS[name]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line class="{name}" x1="{_n(x)}" y1="{top - 6}" x2="{_n(x)}" y2="{base}" '
            f'stroke="{colour}" stroke-width="{stroke}"{dash_attr}>'
            f"<title>{xml(label)}{xml(unit) if name != 'drl' else ''}</title></line>"
        )
        anchor = "end" if x > left + plot_w * 0.8 else "start"
        shift = -4 if anchor == "end" else 4
        out.append(
            f'<text x="{_n(x + shift)}" y="{top - 10 - 12 * (2 - k)}" text-anchor="{anchor}" '
            f'fill="{colour}" font-weight="{700 if name == "drl" else 400}">{xml(label)}</text>'
        )
    legend_y = base + 50
    out.append(
        f'<text x="{left}" y="{legend_y}" fill="#475569">'
        f"{xml(f'{series.n} studies, measured {series.measured.isoformat()}')}"
        + (
            "; no DRL declared for this exam"
            if series.drl is None
            else "; the red line is the diagnostic reference level"
        )
        + "</text>"
    )
    out.append("</svg>")
    return Markup("\n".join(out))
