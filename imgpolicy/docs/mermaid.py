"""The study-flow topology as a Mermaid flowchart, for GitHub and GitLab Markdown.

Same graph as the SVG (topology.py). Node ids come from names through `MermaidIds`
(ASCII letters, digits, `_`), labels through `mermaid_text` (entity codes for anything
Mermaid or HTML would read), so no user text can end the code block or inject markup.
"""

from __future__ import annotations

from collections import defaultdict

from .escape import MdSafe, MermaidIds, mermaid_text
from .svg import DISABLED, PURPOSE_STYLE, ROLE_STYLE
from .topology import Graph

MAX_EDGES = 450
"""Mermaid refuses to draw more than 500 edges by default (`maxEdges`); bundling keeps real
environments far below that, and any edge past this bound is left to the route table (a
comment in the diagram says how many)."""


def topology(graph: Graph) -> MdSafe:
    ids = MermaidIds()
    lines = ["flowchart LR"]
    for layer, label, members in graph.layers():
        lines.append(f'  subgraph {ids("layer", layer)}["{mermaid_text(label)}"]')
        lines.append("    direction TB")
        for node in members:
            node_id = ids("n", node.key)
            if node.rows:
                text = (
                    f"<b>{mermaid_text(node.title)}</b> · {mermaid_text(node.subtitle)}"
                    + "".join(f"<br/>{mermaid_text(row)}" for row in node.rows)
                )
            else:
                head = mermaid_text(node.title)
                badge = "ARCHIVE OF RECORD<br/>" if "archive" in node.roles else ""
                text = f"<b>{head}</b><br/>{badge}{mermaid_text(node.subtitle)}"
            shape = (
                ('[("', '")]')
                if "archive" in node.roles or "replica" in node.roles
                else ('["', '"]')
            )
            lines.append(f"    {node_id}{shape[0]}{text}{shape[1]}")
        lines.append("  end")
    by_style: dict[str, list[int]] = defaultdict(list)
    for drawn, edge in enumerate(graph.edges[:MAX_EDGES]):
        label = edge.purpose + (f" ×{edge.count}" if edge.count > 1 else "")
        if not edge.enabled:
            label += " (disabled)"
        arrow = (
            "-.->"
            if not edge.enabled or edge.purpose in ("prefetch", "replication", "results")
            else "-->"
        )
        lines.append(
            f'  {ids("n", edge.source)} {arrow}|"{mermaid_text(label)}"| {ids("n", edge.target)}'
        )
        by_style[edge.purpose if edge.enabled else "disabled"].append(drawn)
    if len(graph.edges) > MAX_EDGES:
        lines.append(f"  %% {len(graph.edges) - MAX_EDGES} more edges are in the route table")
    for role, (stroke, fill, _) in ROLE_STYLE.items():
        width = "3px" if role in ("archive", "teleradiology") else "2px"
        lines.append(f"  classDef {role} fill:{fill},stroke:{stroke},stroke-width:{width}")
    for role in ROLE_STYLE:
        classed = [ids("n", n.key) for n in graph.nodes.values() if _main_role(n.roles) == role]
        if classed:
            lines.append(f"  class {','.join(sorted(classed))} {role}")
    for purpose in sorted(by_style):
        colour, line_width, _dash, _ = (
            DISABLED
            if purpose == "disabled"
            else PURPOSE_STYLE.get(purpose, PURPOSE_STYLE["forward"])
        )
        indices = ",".join(str(i) for i in by_style[purpose])
        lines.append(f"  linkStyle {indices} stroke:{colour},stroke-width:{line_width}px")
    return MdSafe("\n".join(lines))


def _main_role(roles: tuple[str, ...]) -> str | None:
    return next(
        (r for r in ("unknown", "archive", "teleradiology", "ai", "dose", "replica") if r in roles),
        None,
    )
