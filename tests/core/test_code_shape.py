"""The shape of the code the house keeps, read from the source (ast), not the running portal: no function is
longer than a page, no services or selectors module holds more than a topic's worth, and views modules that need each other's helpers share a module (`views_shared.py`) instead
of importing each other."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Not the portal's own code: the tests, migrations, the environment and what node or git keep.
OUTSIDE = {"tests", "migrations", ".venv", "node_modules", ".git", "var"}
VIEWS = re.compile(r"^(\w+_)?views(_\w+)?$")
#: A page: the most lines a function of the portal's own code (product, sandbox, bench and scripts alike) may
#: have, from its `def` to its last line. A longer one is split into named steps.
PAGE = 80
#: Over a page today and being split on another branch (path, function): none other may join.
BEING_SPLIT: set[tuple[str, str]] = set()
#: The most lines a services or selectors module may have (`<app>/services.py`, or a module of `<app>/services/`):
#: past it, the module is a package by topic (ARCHITECTURE.md says "~400 lines"; this is the line no module crosses).
TOPIC = 450
#: Over TOPIC today and becoming a package on another branch: none other may join.
BECOMING_PACKAGES: set[str] = set()


def _code() -> Iterator[tuple[Path, ast.Module]]:
    """Every Python module of the portal's own code (the project, the apps, the sandbox, bench and scripts),
    parsed, by its path under the repository."""
    for path in sorted(REPO.rglob("*.py")):
        relative = path.relative_to(REPO)
        if OUTSIDE.isdisjoint(relative.parts):
            yield relative, ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))


def _imported(module: ast.Module, package: str) -> Iterator[tuple[int, str, str]]:
    """(line, module, name) of each `from module import name`, relative imports resolved against `package`."""
    for node in ast.walk(module):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                ).strip(".")
            for alias in node.names:
                yield node.lineno, base, alias.name


def test_views_modules_import_no_sibling_views_module_nor_a_private_name():
    found = []
    for path, module in _code():
        if not VIEWS.match(path.stem):
            continue
        package = ".".join(path.parent.parts)
        for line, source, name in _imported(module, package):
            sibling = f"{source}.{name}" if source == package else source
            parent, _, last = sibling.rpartition(".")
            if parent == package and VIEWS.match(last) and last != "views_shared":
                found.append(f"{path}:{line} imports {sibling}")
            if name.startswith("_") and not name.startswith("__") and not source.startswith("django"):
                found.append(f"{path}:{line} imports {source}.{name}")
    assert found == [], "views that need each other's helpers share <app>/views_shared.py:\n" + "\n".join(
        found
    )


def _long_functions(path: Path, module: ast.Module) -> Iterator[str]:
    for node in ast.walk(module):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > PAGE and (str(path), node.name) not in BEING_SPLIT:
                yield f"{path}:{node.lineno} {node.name} ({lines} lines)"


def test_no_function_is_over_a_page():
    found = [line for path, module in _code() for line in _long_functions(path, module)]
    assert found == [], f"split these into named steps (at most {PAGE} lines each):\n" + "\n".join(found)


def test_a_function_over_a_page_is_named():
    body = "\n".join(f"    x = {n}" for n in range(PAGE))
    source = f"def short():\n    pass\n\n\ndef long():\n{body}\n"
    found = list(_long_functions(Path("bench/planted.py"), ast.parse(source)))
    assert found == [f"bench/planted.py:5 long ({PAGE + 1} lines)"]


def test_no_module_imports_another_modules_private_name():
    """A name with a leading underscore is its module's own: another module that needs it asks for it to be made
    public (named without the underscore), so what a module promises is what it exports."""
    found = [
        f"{path}:{line} imports {source}.{name}"
        for path, module in _code()
        for line, source, name in _imported(module, ".".join(path.parent.parts))
        if name.startswith("_") and not name.startswith("__") and not source.startswith("django")
    ]
    assert found == [], "make these names public where they are defined:\n" + "\n".join(found)


def _long_modules(modules: Iterator[tuple[Path, str]]) -> Iterator[str]:
    for path, source in modules:
        if {path.stem, path.parent.name}.isdisjoint({"services", "selectors"}):
            continue
        lines = source.count("\n") + 1
        if lines > TOPIC and str(path) not in BECOMING_PACKAGES:
            yield f"{path} ({lines} lines)"


def test_no_services_or_selectors_module_holds_more_than_a_topic():
    modules = (
        (path.relative_to(REPO), path.read_text(encoding="utf-8"))
        for path in sorted(REPO.rglob("*.py"))
        if OUTSIDE.isdisjoint(path.relative_to(REPO).parts)
    )
    found = list(_long_modules(modules))
    assert found == [], f"make these packages by topic (at most {TOPIC} lines a module):\n" + "\n".join(found)


def test_a_long_selectors_module_is_named_in_a_package_or_not():
    long = "x = 1\n" * TOPIC
    planted = [
        (Path("planted/selectors.py"), long),
        (Path("planted/services/store.py"), long),
        (Path("planted/selectors/__init__.py"), long),
        (Path("planted/views.py"), long),
        (Path("planted/services/short.py"), "x = 1\n"),
    ]
    found = list(_long_modules(iter(planted)))
    assert found == [
        f"planted/selectors.py ({TOPIC + 1} lines)",
        f"planted/services/store.py ({TOPIC + 1} lines)",
        f"planted/selectors/__init__.py ({TOPIC + 1} lines)",
    ]
