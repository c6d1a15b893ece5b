"""The shape of aitasks/, for refactors (not a speed bench): modules, import edges between them
(function-level imports included), edges that cross packages, import cycles, files and lines
per package.

    python3 bench/structure.py
"""

import ast
import collections
import pathlib
import sys

root = pathlib.Path("aitasks")
mods = {}
for path in root.rglob("*.py"):
    if "migrations" in path.parts:
        continue
    name = ".".join(path.with_suffix("").parts)
    if name.endswith(".__init__"):
        name = name[: -len(".__init__")]
    mods[name] = path
edges = set()
for name, path in mods.items():
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            mod = (base + "." + node.module if node.module else base) if node.level else (node.module or "")
            targets = [mod] + [mod + "." + a.name for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        for t in targets:
            if t in mods and t != name:
                edges.add((name, t))


def pkg(m):
    parts = m.split(".")
    return (
        ".".join(parts[:2])
        if len(parts) > 2 or (len(parts) == 2 and mods[m].name == "__init__.py")
        else "aitasks (top)"
    )


lines = collections.Counter()
files = collections.Counter()
for m, p in mods.items():
    lines[pkg(m)] += len(p.read_text().splitlines())
    files[pkg(m)] += 1
cross = collections.Counter((pkg(a), pkg(b)) for a, b in edges if pkg(a) != pkg(b))
# cycles (SCCs > 1)
graph = collections.defaultdict(set)
for a, b in edges:
    graph[a].add(b)
index = {}
low = {}
stack = []
on = set()
sccs = []
counter = [0]
sys.setrecursionlimit(10000)


def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in graph[v]:
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(comp)


for v in list(mods):
    if v not in index:
        strong(v)
for comp in sccs:
    print("cycle:", sorted(comp))
print(
    f"modules {len(mods)}, import edges {len(edges)}, edges between packages {sum(cross.values())}, import cycles {len(sccs)}"
)
print(f"{'package':24} {'files':>5} {'lines':>6}")
for p in sorted(lines):
    print(f"{p:24} {files[p]:5} {lines[p]:6}")
top = [m for m in mods if pkg(m) == "aitasks (top)"]
print("top-level modules:", " ".join(sorted(m.split(".")[-1] for m in top)))
