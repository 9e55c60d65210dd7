"""Which roles each role's sessions reach through chains of any length, for all roles at once.

The compiled graph has two kinds of node: roles, and decision classes (a tuple of principals that can assume
the same roles). A role points at the classes it belongs to, a class at the roles it can assume. Tarjan's
algorithm finds the strongly connected components in an order where every component comes after the ones
it reaches, so each component's closure is the union of its own targets and its successors' closures,
computed once. A closure is a Python integer used as a bit set over the roles, so unions and counts are
machine-word operations, not Python loops.
"""

from __future__ import annotations

from .graph import AssumeGraph


class ForwardClosure:
    """``reach(role)``: the bit set of roles reachable from ``role`` in one or more hops."""

    def __init__(self, graph: AssumeGraph) -> None:
        self.roles = [role.arn for role in graph.inventory.roles()]
        self.index = {arn: i for i, arn in enumerate(self.roles)}
        self._successors: list[list[int]] = [[] for _ in self.roles]
        self._direct: list[int] = [0] * len(self.roles)  # bits a node points at (a class: its targets)
        classes: dict[int, int] = {}  # one node per decision class, however many roles belong to it
        for i, arn in enumerate(self.roles):
            for sources, reached in graph.out_targets(arn):
                node = classes.get(id(sources))  # one object per class (`graph_rows`)
                if node is None:
                    node = classes[id(sources)] = len(self._successors)
                    targets = sorted({self.index[t] for t in reached if t in self.index})
                    self._successors.append(targets)
                    self._direct.append(self._bitset(targets))
                self._successors[i].append(node)
        self._closure = self._close()

    def reach(self, role: str) -> int:
        return self._closure[self.index[role]]

    def bits(self, roles: set[str] | frozenset[str]) -> int:
        return self._bitset([self.index[r] for r in roles if r in self.index])

    def _bitset(self, positions: list[int]) -> int:
        """Set bits by bytes then convert once: summing ``1 << t`` costs a big integer per bit."""
        raw = bytearray((len(self.roles) + 8) // 8)
        for t in positions:
            raw[t >> 3] |= 1 << (t & 7)
        return int.from_bytes(raw, "little")

    def members(self, bits: int) -> list[str]:
        """The roles of a bit set, in inventory order."""
        found = []
        while bits:
            low = bits & -bits
            found.append(self.roles[low.bit_length() - 1])
            bits ^= low
        return found

    def _close(self) -> list[int]:
        """Iterative Tarjan; a component's closure is complete when it is popped (its successors were)."""
        count = len(self._successors)
        order, low = [-1] * count, [0] * count
        on_stack = [False] * count
        stack: list[int] = []
        closure = [0] * count
        counter = 0
        for root in range(count):
            if order[root] != -1:
                continue
            work = [(root, 0)]
            while work:
                node, position = work.pop()
                if position == 0:
                    order[node] = low[node] = counter
                    counter += 1
                    stack.append(node)
                    on_stack[node] = True
                successors = self._successors[node]
                if position < len(successors):
                    work.append((node, position + 1))
                    nxt = successors[position]
                    if order[nxt] == -1:
                        work.append((nxt, 0))
                    elif on_stack[nxt]:
                        low[node] = min(low[node], order[nxt])
                    continue
                if low[node] == order[node]:
                    self._pop_component(node, stack, on_stack, closure)
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
        return closure

    def _pop_component(self, head: int, stack: list[int], on_stack: list[bool], closure: list[int]) -> None:
        members = []
        while True:
            node = stack.pop()
            on_stack[node] = False
            members.append(node)
            if node == head:
                break
        inside = set(members)
        bits = 0
        for node in members:
            bits |= self._direct[node]
            for nxt in self._successors[node]:
                if nxt not in inside:
                    bits |= closure[nxt]
        for node in members:
            closure[node] = bits
