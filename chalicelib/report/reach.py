"""Who can assume a role (`trustwatch who-can-assume`) as text, Markdown or a mermaid graph of the paths.

Every ARN, path element and condition comes from the audited accounts: each goes through the escaper of its
output (`chalicelib.report.escape`), so a role named with an escape sequence or a fake line prints inert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..iam.graph import Reach
from .escape import escape_markdown, escape_mermaid, escape_terminal

OUTSIDE = "outside the trusted accounts"


def text(role_arn: str, reaches: Sequence[Reach], outside: Callable[[Reach], bool]) -> str:
    if not reaches:
        return f"no principal in the loaded snapshots can assume {escape_terminal(role_arn)}"
    lines = []
    for reach in reaches:
        line = " -> ".join(escape_terminal(step) for step in reach.path)
        if reach.conditions:
            line += "  [" + "; ".join(escape_terminal(c) for c in reach.conditions) + "]"
        lines.append(line + (f"  ({OUTSIDE})" if outside(reach) else ""))
    return "\n".join(lines)


def markdown(role_arn: str, reaches: Sequence[Reach], outside: Callable[[Reach], bool]) -> str:
    title = f"# Who can assume {escape_markdown(role_arn)}"
    if not reaches:
        return f"{title}\n\nNo principal in the loaded snapshots can assume it."
    rows = [
        "| Principal | Path | Requires | Outside |",
        "|---|---|---|---|",
        *(
            "| "
            + " | ".join(
                [
                    escape_markdown(r.principal),
                    " → ".join(escape_markdown(step) for step in r.path),
                    "; ".join(escape_markdown(c) for c in r.conditions) or "-",
                    "yes" if outside(r) else "no",
                ]
            )
            + " |"
            for r in reaches
        ),
    ]
    count = f"{len(reaches)} principal{'' if len(reaches) == 1 else 's'}"
    return "\n\n".join([title, f"{count}, {sum(map(outside, reaches))} {OUTSIDE}.", "\n".join(rows)])


def mermaid(role_arn: str, reaches: Sequence[Reach], outside: Callable[[Reach], bool]) -> str:
    """A ``flowchart LR`` of every hop of every path (each edge once); principals outside are marked."""
    ids: dict[str, str] = {}

    def node(arn: str) -> str:
        if arn not in ids:
            ids[arn] = f"n{len(ids)}"
        return ids[arn]

    lines = ["flowchart LR", f'    {node(role_arn)}["{escape_mermaid(role_arn)}"]']
    edges: list[str] = []
    for reach in reaches:
        for source, target in zip(reach.path, reach.path[1:], strict=False):
            edge = f"    {node(source)} --> {node(target)}"
            if edge not in edges:
                edges.append(edge)
    lines += [f'    {ident}["{escape_mermaid(arn)}"]' for arn, ident in ids.items() if arn != role_arn]
    lines += edges
    marked = sorted({ids[r.principal] for r in reaches if outside(r) and r.principal in ids})
    if marked:
        lines += ["    classDef outside stroke:#d00,stroke-width:3px", f"    class {','.join(marked)} outside"]
    return "\n".join(lines)


RENDERERS = {"text": text, "markdown": markdown, "mermaid": mermaid}
