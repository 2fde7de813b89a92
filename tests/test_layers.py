"""The layers of app/ import downward only: no import cycle, and no import hidden inside a function.

The graph is built with `ast` from the source, as Python resolves it: `import a.b.c` and `from a.b import c`
depend on the module `a.b.c` and run the `__init__` of each enclosing package (`a`, `a.b`) first, except
those the importing module lies in itself (Python has started them already). `from a.b import name`, where
`name` is no module, depends on `a.b`.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# Imports placed inside a function on purpose, each with its reason at the place (module -> imported).
DEFERRED_ON_PURPOSE = {
    # The verifier's worker processes start with `python -m`, which imports the package first: SQLAlchemy
    # and the reference check (~0.4 s) are loaded only by the entry point that needs them.
    ("app.audit.verification.chain", "app.audit.verification.reference"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        parts = path.relative_to(APP.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _targets(node: ast.Import | ast.ImportFrom, package: str, modules: dict[str, Path]) -> set[str]:
    names: set[str] = set()
    if isinstance(node, ast.Import):
        names = {alias.name for alias in node.names}
    else:
        base = node.module or ""
        if node.level:
            parent = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*parent, base] if base else parent)
        for alias in node.names:
            names.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {n for n in names if n in modules}


def _graph() -> tuple[dict[str, set[str]], list[tuple[str, str, int]]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    inner: list[tuple[str, str, int]] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = _package_of(module, path)
        top = set(tree.body)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _targets(node, package, modules):
                if node not in top and not _in_type_checking(tree, node):
                    inner.append((module, target, node.lineno))
                # the enclosing packages' __init__ run first, except the importer's own
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    dep = ".".join(parts[:i])
                    own = module == dep or module.startswith(dep + ".")
                    if dep in modules and dep != module and not own:
                        graph[module].add(dep)
    return graph, inner


def _in_type_checking(tree: ast.Module, node: ast.AST) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test) and node in ast.walk(stmt):
            return True
    return False


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_app_has_no_import_cycle() -> None:
    graph, _ = _graph()
    assert _cycles(graph) == []


def test_no_import_hides_inside_a_function() -> None:
    _, inner = _graph()
    assert [(m, t) for m, t, _ in inner if (m, t) not in DEFERRED_ON_PURPOSE] == []


def test_no_type_checking_imports_of_app() -> None:
    # An app module imported under TYPE_CHECKING is a cycle the checker sees and the interpreter does not.
    modules = _modules()
    hidden = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and _in_type_checking(tree, node):
                hidden += [(module, t) for t in _targets(node, _package_of(module, path), modules)]
    assert hidden == []


# The layers, lowest first; a module may import its own layer's modules and those of the layers below.
LAYERS: list[tuple[str, ...]] = [
    ("app.vocabulary", "app.config"),
    ("app.kit", "app.events.types", "app.events.ssrf", "app.events.sending"),
    ("app.auth",),
    ("app.workflows",),
    ("app.audit.models", "app.audit.hash_chain", "app.audit.masking", "app.audit.record", "app.audit.schemas",
     "app.audit.verification", "app.audit.chainer", "app.audit.checkpoints", "app.audit.anchoring",
     "app.audit.ledger", "app.audit.audit_thread", "app.audit.staging_writer"),
    ("app.organisations.models", "app.organisations.lookup", "app.organisations.schemas",
     "app.convenants.models", "app.convenants.grants", "app.convenants.views", "app.convenants.schemas",
     "app.subjects", "app.cases.models", "app.meetings.models", "app.signals.models", "app.events.models",
     "app.events.outbox",
     "app.events.publish", "app.events.schemas"),
    ("app.access",),
    ("app.audit.reading", "app.access.catalogue", "app.workflows.catalogue", "app.organisations", "app.convenants",
     "app.cases", "app.signals", "app.events", "app.work", "app.meetings", "app.subjects.rights",
     "app.subjects.export", "app.retention", "app.reports"),
    ("app.unit_of_work", "app.demo", "app.worker"),
    ("app.api",),
    ("app.main", "app.cli"),
]


def _inert(module: str) -> bool:
    """A package `__init__` that imports nothing of app/ (a docstring): importing it runs nothing."""
    path = _modules()[module]
    return path.name == "__init__.py" and not any(
        isinstance(n, ast.Import | ast.ImportFrom) and (
            (isinstance(n, ast.ImportFrom) and (n.module or "").startswith("app"))
            or (isinstance(n, ast.Import) and any(a.name.startswith("app") for a in n.names)))
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))


def _layer(module: str) -> int:
    best = (-1, -1)
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                best = max(best, (len(prefix), i))
    return best[1]


def test_layers_import_downward_only() -> None:
    graph, _ = _graph()
    unplaced = sorted(m for m in graph if not _inert(m) and _layer(m) < 0)
    assert unplaced == []
    upward = sorted((m, t) for m, deps in graph.items() for t in deps
                    if not _inert(t) and _layer(t) > _layer(m))
    assert upward == []


def test_only_the_auth_package_imports_jose() -> None:
    users = sorted(m for m, path in _modules().items() if "jose" in {
        (n.module or "").split(".")[0] if isinstance(n, ast.ImportFrom) else a.name.split(".")[0]
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Import | ast.ImportFrom)
        for a in (n.names if isinstance(n, ast.Import) else [n])
    })
    assert users == ["app.auth.tokens"]
