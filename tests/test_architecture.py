"""The package's shape: stages as subpackages, imports only downwards, no cycle, every public name loads."""

import ast
from pathlib import Path

import pytest

import assistant

PACKAGE = Path(assistant.__file__).parent
# lowest first: a module imports from its own layer or lower ones (and, with the cycle test, no loop)
LAYERS = [
    {"errors", "settings", "records", "text", "disk", "resources"},
    {"backends", "store", "worker", "statements"},
    {"ingestion", "confidence", "judges"},
    {"answering"},
    {"cli", "server", "mcp", "evaluation", "langchain_retriever", "__main__"},
]


def _part(module: str) -> str:
    """The top-level package or module of `assistant.x.y`: x."""
    return module.split(".")[1] if "." in module else ""


def _layer(module: str) -> int:
    return next(n for n, layer in enumerate(LAYERS) if _part(module) in layer)


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assistant."):
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("assistant."))
        graph[name] = found - {name}
    return graph


def test_every_module_has_a_layer() -> None:
    for module in _imports():
        if module != "assistant":
            assert _layer(module) >= 0


def test_imports_go_down_only() -> None:
    upward = [
        f"{module} -> {target}"
        for module, targets in _imports().items()
        if module != "assistant"
        for target in targets
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def test_no_import_cycle() -> None:
    graph = _imports()
    modules = set(graph)

    def resolve(target: str) -> str:
        while target not in modules:
            target = target.rsplit(".", 1)[0]
        return target

    edges = {m: {resolve(t) for t in ts} - {m} for m, ts in graph.items()}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(module) :], module]))
        if module in done:
            return
        for target in edges[module]:
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(edges):
        visit(module, [])


@pytest.mark.parametrize("name", assistant.__all__)
def test_public_name_loads(name: str) -> None:
    assert getattr(assistant, name) is not None
