"""The import graph of models/ and ui/, read from the source (the AST of every file, imports
inside functions included): no cycles between modules, and models/ imports neither pages/, ui/
nor streamlit (models is the domain package; the page kit and the pages sit on top of it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "ui")
# What models/ must never import (the module or anything under it).
FORBIDDEN_IN_MODELS = ("pages", "ui", "streamlit")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {_module_name(p): p
            for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, imported module) for every import statement of the file, relative ones resolved;
    ``from a import b`` gives ``a.b`` when that is a module of ours, else ``a``."""
    ours = _sources()
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((node.lineno, sub if sub in ours else base))
    return found


def _graph() -> dict[str, set[str]]:
    ours = _sources()
    graph: dict[str, set[str]] = {}
    for module, path in ours.items():
        targets = set()
        for _, name in _imports(path, module):
            # an import of a.b.c also runs a and a.b: an edge to the deepest module of ours
            while name and name not in ours:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + "."):
                targets.add(name)  # (a package's own __init__ is not an edge of its modules)
        graph[module] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_graph_sees_the_modules_and_their_imports():
    graph = _graph()
    assert {"models.core.scoping", "models.pipeline.build", "models.demo.generator",
            "ui.kit"} <= set(graph)
    assert "models.core.warehouse" in graph["models.core.scoping"]
    assert "models.queries.filters" in graph["ui.kit"]
    # an import inside a function counts too (adhoc registers its hook with the build)
    assert "models.pipeline.build" in graph["models.engines.adhoc"]


def test_there_are_no_import_cycles_between_modules():
    cycles = _cycles(_graph())
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_build_does_not_import_the_engines():
    build = ROOT / "models" / "pipeline" / "build.py"
    offending = [f"models/pipeline/build.py:{line} imports {name}"
                 for line, name in _imports(build, "models.pipeline.build")
                 if name.startswith("models.engines")]
    assert offending == []


@pytest.mark.parametrize("path", sorted((ROOT / "models").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_models_never_imports_pages_ui_or_streamlit(path):
    module = _module_name(path)
    offending = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                 for line, name in _imports(path, module)
                 if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IN_MODELS)]
    assert offending == []


def test_the_forbidden_import_check_names_the_offender(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from streamlit import cache_data\n    import ui.kit\n")
    found = [(line, name) for line, name in _imports(bad, "models.bad")
             if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IN_MODELS)]
    assert found == [(2, "streamlit"), (3, "ui.kit")]
