"""What the wheel holds: the server's packages, never the test package (``testing``: builders,
the Mapillary stand-in), which the server must not import either."""

import ast
import tomllib
from pathlib import Path

from setuptools import find_namespace_packages

ROOT = Path(__file__).resolve().parents[2]


def packaged() -> list[str]:
    """The packages setuptools puts in the wheel, found as pyproject.toml tells it to."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    find = config["tool"]["setuptools"]["packages"]["find"]
    return find_namespace_packages(
        where=str(ROOT), include=find.get("include", ["*"]), exclude=find.get("exclude", ())
    )


def test_the_wheel_carries_the_server_and_not_the_test_package():
    packages = packaged()
    assert {"mtp", "mtp.developers", "mtp.imports", "mtp.mapillary"} <= set(packages)
    assert not [name for name in packages if name == "testing" or name.startswith("testing.")]


def test_no_module_of_the_server_imports_the_test_package():
    importers = []
    for path in (ROOT / "mtp").rglob("*.py"):
        if "tests" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            if any(name == "testing" or name.startswith("testing.") for name in names):
                importers.append(str(path.relative_to(ROOT)))
    assert importers == []
