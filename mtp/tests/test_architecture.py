"""The rules of docs/ARCHITECTURE.md, read off the code: which way imports go, no cycles, no
writes in views, and one sender for each webhook event.

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


# Writes live in actions ------------------------------------------------------------------------

# The views of the API and of the pages parse, call one action (``<app>/actions.py``) and
# render: they open no transaction and take no lock of their own.
VIEWS = ("mtp.api", "mtp.web")
WRITE_NAMES = ("atomic", "select_for_update")
WRITES_IN_VIEWS_EXEMPT: set[tuple[str, str]] = set()


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """(name of the innermost function, node) for every node of a module; "<module>" for
    what stands outside any function."""

    def visit(node: ast.AST, function: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from visit(child, child.name)
            else:
                yield function, child
                yield from visit(child, function)

    yield from visit(tree, "<module>")


def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def writes_in_views(modules: dict[str, Path]) -> list[str]:
    """Where a view module names ``transaction.atomic`` or ``select_for_update``."""
    found = []
    for name, path in sorted(modules.items()):
        if not any(name == package or name.startswith(package + ".") for package in VIEWS):
            continue
        for function, node in _functions(_parsed(path)):
            used = (
                node.attr
                if isinstance(node, ast.Attribute)
                else node.id
                if isinstance(node, ast.Name)
                else node.name
                if isinstance(node, ast.alias)
                else None
            )
            if used in WRITE_NAMES and (name, function) not in WRITES_IN_VIEWS_EXEMPT:
                line = getattr(node, "lineno", 0)
                found.append(f"{path}:{line}: {function} uses {used}")
    return found


def test_api_and_page_views_open_no_transaction_and_take_no_lock():
    wrong = writes_in_views(source_modules())
    assert not wrong, "move the write into an action (<app>/actions.py):\n" + "\n".join(wrong)


def test_the_write_check_finds_a_transaction_and_a_lock(tmp_path):
    view = tmp_path / "view.py"
    view.write_text(
        "from django.db import transaction\n"
        "from django.db.transaction import atomic\n\n"
        "def edit(request):\n"
        "    with transaction.atomic():\n"
        "        Thing.objects.select_for_update().get(pk=1)\n"
    )
    found = writes_in_views({"mtp.web.view": view})
    assert [line.split(": ", 1)[1] for line in found] == [
        "<module> uses atomic",
        "edit uses atomic",
        "edit uses select_for_update",
    ]


# Each webhook event is sent from one function --------------------------------------------------

EVENTS = "mtp.webhooks.events"
# An import's outcome is queued from the import job (mtp.imports.jobs) and from the import
# itself (mtp.imports.importer) until mtp/imports/actions.py finishes an import in one place;
# that change removes this.
SENDERS_EXEMPT = {"import_ended"}


def _event_constants(tree: ast.Module) -> list[str]:
    """The names of the event types (the constants listed in ``EVENT_TYPES``)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "EVENT_TYPES" for target in node.targets
        ):
            assert isinstance(node.value, ast.Tuple)
            return [item.id for item in node.value.elts if isinstance(item, ast.Name)]
    raise AssertionError(f"{EVENTS} lists no EVENT_TYPES")


def _referring_functions(modules: dict[str, Path], name: str) -> set[str]:
    """The functions (``module.function``) that name ``name``, by itself or as an attribute."""
    found = set()
    for module, path in modules.items():
        for function, node in _functions(_parsed(path)):
            if (isinstance(node, ast.Name) and node.id == name) or (
                isinstance(node, ast.Attribute) and node.attr == name
            ):
                found.add(f"{module}.{function}")
    return found


def _signal_names(tree: ast.Module) -> list[str]:
    return [
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "Signal"
        for target in node.targets
        if isinstance(target, ast.Name)
    ]


def _senders(modules: dict[str, Path], module: str, signal: str) -> set[str]:
    """The functions that call ``send`` on the signal ``module.signal``, under whatever name
    they import it."""
    found = set()
    parent, _, leaf = module.rpartition(".")
    for name, path in modules.items():
        tree = _parsed(path)
        bound = {signal} if name == module else set()
        modules_bound = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            for alias in node.names:
                if node.module == module and alias.name == signal:
                    bound.add(alias.asname or alias.name)
                elif node.module == parent and alias.name == leaf:
                    modules_bound.add(alias.asname or leaf)
        for function, node in _functions(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("send", "send_robust")
            ):
                continue
            target = node.func.value
            if (isinstance(target, ast.Name) and target.id in bound) or (
                isinstance(target, ast.Attribute)
                and target.attr == signal
                and isinstance(target.value, ast.Name)
                and target.value.id in modules_bound
            ):
                found.add(f"{name}.{function}")
    return found


def test_each_webhook_event_is_queued_by_one_function_called_from_one_place():
    """An event type is recorded in one function of mtp.webhooks.events, and that function is
    called (or listens to a signal) in one place: the action whose change the event tells."""
    modules = source_modules()
    events = _parsed(modules[EVENTS])
    wrong = []
    for constant in _event_constants(events):
        recorders = _referring_functions(modules, constant) - {f"{EVENTS}.<module>"}
        if len(recorders) != 1:
            wrong.append(f"{constant} is recorded by {sorted(recorders)}")
            continue
        recorder = recorders.pop().rpartition(".")[2]
        callers = _referring_functions(modules, recorder) - {f"{EVENTS}.{recorder}"}
        if len(callers) != 1 and recorder not in SENDERS_EXEMPT:
            wrong.append(f"{constant}: {EVENTS}.{recorder} is called by {sorted(callers)}")
    assert not wrong, "\n".join(wrong)


def test_each_signal_of_the_package_is_sent_from_one_function():
    """The content apps sit below the webhooks: their actions send a signal that the webhooks
    hear, each from the one function that makes the change the signal tells."""
    modules = source_modules()
    wrong = []
    for module, path in sorted(modules.items()):
        for signal in _signal_names(_parsed(path)):
            senders = _senders(modules, module, signal)
            if len(senders) != 1:
                wrong.append(f"{module}.{signal} is sent by {sorted(senders) or 'nothing'}")
    assert not wrong, "\n".join(wrong)


def test_the_sender_check_follows_a_signal_under_other_names(tmp_path):
    (tmp_path / "a.py").write_text(
        "from django.dispatch import Signal\n\n"
        "changed = Signal()\n\n"
        "def change():\n"
        "    changed.send(sender=None)\n"
    )
    (tmp_path / "b.py").write_text(
        "from mtp.x import a as things\n"
        "from mtp.x.a import changed as moved\n\n"
        "def other():\n"
        "    things.changed.send(sender=None)\n\n"
        "def third():\n"
        "    moved.send_robust(sender=None)\n\n"
        "def listens():\n"
        "    moved.connect(print)\n"
    )
    modules = {"mtp.x.a": tmp_path / "a.py", "mtp.x.b": tmp_path / "b.py"}
    assert _signal_names(_parsed(modules["mtp.x.a"])) == ["changed"]
    assert _senders(modules, "mtp.x.a", "changed") == {
        "mtp.x.a.change",
        "mtp.x.b.other",
        "mtp.x.b.third",
    }
