"""The rules of docs/ARCHITECTURE.md, read off the code: which way imports go, and no cycles.

Every ``import`` counts, at the top of a module or inside a function. Tests and migrations are
left out: a test may drive any layer, and migrations name what they need by string.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "mtp"

# Lower layers never import higher ones. Apps in one layer may import each other, without
# cycles between modules.
LAYERS = {
    "mtp.lib": 0,
    "mtp.mapillary": 0,
    "mtp.accounts": 1,
    "mtp.developers": 1,
    "mtp.sequences": 1,
    "mtp.challenges": 1,
    "mtp.tours": 1,
    "mtp.guidebooks": 1,
    "mtp.imports": 2,
    "mtp.uploads": 2,
    "mtp.webhooks": 2,
    "mtp.tiles": 2,
    "mtp.api": 3,
    "mtp.web": 3,
    "mtp.ops": 3,
    "mtp.urls": 4,
    "mtp.cli": 4,
    "mtp.wsgi": 4,
    "mtp.settings": 4,
}
# Only these import the API package.
API_USERS = ("mtp.api", "mtp.urls")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_checked(path: Path) -> bool:
    parts = path.relative_to(PACKAGE).parts
    return "tests" not in parts and "migrations" not in parts


def source_modules() -> dict[str, Path]:
    """Every module of the ``mtp`` package but tests and migrations, by dotted name."""
    return {_module_name(path): path for path in PACKAGE.rglob("*.py") if _is_checked(path)}


def _imported_names(path: Path) -> Iterator[tuple[str, int]]:
    """(dotted name, line) of every absolute import in a module, wherever it stands."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield f"{node.module}.{alias.name}", node.lineno
            yield node.module, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(
                f"{path}:{node.lineno}: relative import; the code uses absolute ones"
            )


def import_graph(modules: dict[str, Path]) -> dict[str, dict[str, int]]:
    """Module -> {module of the package it imports: line}. ``from a import b`` imports ``a.b``
    when that is a module; a package whose ``__init__`` holds nothing but its docstring is left
    out (importing it runs nothing)."""
    empty = {
        name for name, path in modules.items() if path.name == "__init__.py" and _is_empty(path)
    }
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges: dict[str, int] = {}
        for target, line in _imported_names(path):
            if target in modules and target != name and target not in empty:
                edges.setdefault(target, line)
        graph[name] = edges
    return graph


def _is_empty(path: Path) -> bool:
    return all(isinstance(node, ast.Expr) for node in ast.parse(path.read_text()).body)


def layer_of(module: str) -> tuple[str, int] | None:
    for prefix, layer in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return prefix, layer
    return None


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_app_of_the_package_has_a_layer():
    apps = {name for name in source_modules() if name.count(".") == 1 or name == "mtp"}
    unplaced = sorted(name for name in apps if name != "mtp" and layer_of(name) is None)
    assert unplaced == [], f"give these a layer in LAYERS and docs/ARCHITECTURE.md: {unplaced}"


def test_no_module_imports_a_higher_layer():
    modules = source_modules()
    wrong = []
    for name, edges in import_graph(modules).items():
        source = layer_of(name)
        for target, line in edges.items():
            destination = layer_of(target)
            if source and destination and destination[1] > source[1]:
                wrong.append(f"{modules[name]}:{line}: {source[0]} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_nothing_but_the_api_and_the_urlconf_imports_the_api():
    modules = source_modules()
    wrong = [
        f"{modules[name]}:{line}: {name} imports {target}"
        for name, edges in import_graph(modules).items()
        if not name.startswith(API_USERS)
        for target, line in edges.items()
        if target == "mtp.api" or target.startswith("mtp.api.")
    ]
    assert not wrong, "\n".join(wrong)


def test_the_server_never_imports_the_test_package():
    modules = source_modules()
    wrong = sorted(
        {
            f"{path}:{line}: imports the test package"
            for path in modules.values()
            for target, line in _imported_names(path)
            if target.split(".")[0] in ("testing", "conftest")
        }
    )
    assert not wrong, "\n".join(wrong)


def test_modules_import_each_other_without_cycles():
    found = cycles(import_graph(source_modules()))
    assert not found, "\n".join(" <-> ".join(component) for component in found)


def test_the_cycle_check_finds_a_cycle():
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_test_module_imports_another():
    """What tests share lives in ``testing/`` (builders, pages, workers) or in a conftest's
    fixtures, never in a test module that others import."""
    wrong = sorted(
        {
            f"{path}:{line}: imports {target}"
            for path in PACKAGE.rglob("*.py")
            if "tests" in path.relative_to(PACKAGE).parts
            for target, line in _imported_names(path)
            if ".tests." in f".{target}." or target.split(".")[0] == "conftest"
        }
    )
    assert not wrong, "\n".join(wrong)
