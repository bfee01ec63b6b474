"""The layout keeps to its layers: imports point down (models <- resolvers <- subscriptions
<- gql), the realtime runtime in subscriptions/ knows nothing of GraphQL, and no modules
import each other in a loop (function-level and type-checking imports count too)."""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("models", "resolvers", "subscriptions", "gql", "migrations")
MAY_IMPORT = {
    "models": {"models"},
    "resolvers": {"models", "resolvers"},
    "subscriptions": {"models", "resolvers", "subscriptions"},
    "migrations": {"models", "subscriptions", "migrations"},
    "gql": {"models", "resolvers", "subscriptions", "gql", "migrations"},
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(path: Path, name: str, known: dict[str, Path]) -> Iterator[str]:
    """Our modules that the module imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imports(path, name, known)) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def test_no_modules_import_each_other_in_a_loop() -> None:
    assert cycles(graph()) == []


def test_imports_point_down_the_layers() -> None:
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in graph().items()
        for target in targets
        if target.split(".")[0] not in MAY_IMPORT[name.split(".")[0]]
    )
    assert wrong == []


def test_the_check_sees_a_loop_and_a_wrong_import() -> None:
    edges = {"gql.a": {"gql.b"}, "gql.b": {"gql.a"}, "subscriptions.c": {"gql.a"}}
    assert cycles(edges) == [["gql.a", "gql.b"]]
    assert "gql" not in MAY_IMPORT["subscriptions"]
