"""The house rules, checked on every run: imports flow one way, the package root stays tidy,
views stay thin and functions stay short.

The import graph is read with ``ast`` from every ``import`` in ``storefront/`` and ``jobs/`` —
function-local imports included, since hiding an import inside a function does not remove the loop.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("storefront", "jobs")
ROOT_MODULES = {"__init__.py", "config.py", "extensions.py", "models.py"}
MAX_FUNCTION_LINES = 60
LONG_FUNCTIONS_ALLOWED = ("storefront/migrations/", "storefront/demo/", "storefront/ecs/sandbox/demo_catalog.py")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> dict[str, Path]:
    files = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations/versions" not in path.as_posix():
                files[module_name(path)] = path
    return files


def imported_modules(path: Path, name: str, known: set[str]) -> set[str]:
    """Every project module ``path`` imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return {module for module in found if module in known and module != name}


def import_graph() -> dict[str, set[str]]:
    files = source_files()
    known = set(files)
    return {name: imported_modules(path, name, known) for name, path in files.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative: the import cycles (components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return components


def domain_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def test_the_storefront_never_imports_jobs():
    offenders = {name: sorted(m for m in deps if m == "jobs" or m.startswith("jobs."))
                 for name, deps in import_graph().items() if name.startswith("storefront")}
    assert {name: deps for name, deps in offenders.items() if deps} == {}


def test_no_import_cycle_spans_two_packages():
    spanning = []
    for component in strongly_connected(import_graph()):
        domains = {domain_of(module) for module in component}
        if len(domains) > 1:
            spanning.append(sorted(component))
    assert spanning == []


def test_the_cycle_finder_finds_a_cycle_across_packages():
    graph = {"storefront.a.x": {"storefront.b.y"}, "storefront.b.y": {"storefront.a.x"}, "jobs.z": set()}
    assert strongly_connected(graph) == [{"storefront.a.x", "storefront.b.y"}]


def test_package_root_holds_only_the_factory_config_extensions_and_models():
    assert {path.name for path in (ROOT / "storefront").glob("*.py")} == ROOT_MODULES


def test_catalog_views_stay_thin():
    lines = (ROOT / "storefront" / "catalog" / "views.py").read_text(encoding="utf-8").count("\n")
    assert lines <= 120


def test_no_function_is_longer_than_sixty_lines():
    long_ones = []
    for path in source_files().values():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(LONG_FUNCTIONS_ALLOWED):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_ones.append(f"{relative}:{node.lineno} {node.name} ({length} lines)")
    assert long_ones == []


def test_imports_are_resolved_relative_and_absolute():
    graph = import_graph()
    assert "storefront.tasks.queue" in graph["storefront.tasks"]
    assert "storefront.sync.services" in graph["jobs.sync"]
    by_domain: dict[str, int] = defaultdict(int)
    for module in graph:
        by_domain[domain_of(module)] += 1
    assert by_domain["storefront.catalog"] > 3
