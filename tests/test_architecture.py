"""The house's shape, checked from the source: apps depend one way, and every test runs.

Imports are read with `ast` (no module is imported), so a forbidden import fails
here even where a test run would never reach it: a function body, a TYPE_CHECKING
block, a test module.
"""

from __future__ import annotations

import ast
import fnmatch
import tomllib
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# What each package may import of the project's own packages (STYLE.md, "The house at a
# glance"): reservas -> salas -> accounts -> core; the data tier (replication) below every
# domain app; the failover app on top of the data tier, imported by nobody; core imports
# no app. cluster is the standard-library runner and imports no app. Packages not named
# here (the project package salas_project, bench, tests) may import anything.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "cluster": set(),
    "replication": {"core"},
    "failover": {"replication", "core"},
    "accounts": {"replication", "core"},
    "salas": {"accounts", "replication", "core"},
    "reservas": {"salas", "accounts", "replication", "core"},
}
# Modules allowed more than their package. cluster/gunicorn.conf.py is each node's gunicorn
# config: gunicorn loads it inside the app's virtualenv (not the standard-library runner), and
# it masks feed tokens in the access log with core's filter.
EXTRA_ALLOWED: dict[str, set[str]] = {"cluster/gunicorn.conf.py": {"core"}}
# Shared test support (the root conftest.py, tests/credentials.py, the cluster harness).
IGNORED = {"tests", "conftest"}
# Where the house's own folders stop: tooling, caches and runtime state.
SKIPPED_DIRS = {"node_modules", "staticfiles", "__pycache__"}


def _first_party() -> set[str]:
    """Top-level packages and modules of the repository (folders with Python, *.py files)."""
    names = {path.stem for path in REPO.glob("*.py")}
    names |= {path.name for path in REPO.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
    return names


def _apps() -> set[str]:
    return {path.parent.name for path in REPO.glob("*/apps.py")}


def _python_files(package: str) -> Iterator[Path]:
    for path in sorted((REPO / package).rglob("*.py")):
        if not SKIPPED_DIRS & set(path.relative_to(REPO).parts):
            yield path


def _imported_packages(path: Path, first_party: set[str]) -> set[str]:
    """Top-level first-party packages a module imports (absolute imports; relative ones stay inside)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.partition(".")[0] for name in names} & first_party
    return found


def _graph() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> the modules that import it."""
    first_party = _first_party()
    graph: dict[str, dict[str, list[str]]] = {}
    for package in sorted(first_party - IGNORED):
        if not (REPO / package).is_dir():
            continue
        edges: dict[str, list[str]] = {}
        for path in _python_files(package):
            module = str(path.relative_to(REPO))
            extra = EXTRA_ALLOWED.get(module, set())
            for imported in _imported_packages(path, first_party) - {package} - IGNORED - extra:
                edges.setdefault(imported, []).append(module)
        graph[package] = edges
    return graph


def _cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    cycles: list[list[str]] = []

    def walk(node: str, trail: list[str]) -> None:
        for target in sorted(graph.get(node, {})):
            if target in trail:
                cycle = [*trail[trail.index(target) :], target]
                # Each cycle once, from its smallest name.
                if min(cycle[:-1]) == cycle[0] and cycle not in cycles:
                    cycles.append(cycle)
            else:
                walk(target, [*trail, target])

    for start in sorted(graph):
        walk(start, [start])
    return cycles


def test_every_app_has_a_place_in_the_layers() -> None:
    assert _apps() <= set(ALLOWED), f"apps with no rule in ALLOWED: {sorted(_apps() - set(ALLOWED))}"


def test_imports_between_apps_point_one_way() -> None:
    wrong = [
        f"{package} -> {imported} ({', '.join(modules)})"
        for package, edges in _graph().items()
        if package in ALLOWED
        for imported, modules in sorted(edges.items())
        if imported not in ALLOWED[package]
    ]
    assert not wrong, "imports against the allowed direction:\n" + "\n".join(wrong)


def test_no_two_packages_import_each_other() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_the_cycle_finder_finds_a_cycle() -> None:
    # The check above passes on an empty answer; make sure the finder can fail.
    graph = {"a": {"b": ["a/x.py"]}, "b": {"c": ["b/y.py"]}, "c": {"a": ["c/z.py"]}, "d": {"a": []}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]


def test_domain_apps_use_only_the_data_tiers_public_interface() -> None:
    import replication

    public = set(replication.__all__)
    wrong: list[str] = []
    for package in ("accounts", "salas", "reservas"):
        for path in _python_files(package):
            if "tests" in path.relative_to(REPO).parts:
                continue  # tests may set up the data tier's states through its internals
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import) and any(
                    alias.name.startswith("replication.") for alias in node.names
                ):
                    wrong.append(f"{path.relative_to(REPO)}: import of a replication module")
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    if node.module.startswith("replication."):
                        wrong.append(f"{path.relative_to(REPO)}: from {node.module}")
                    elif node.module == "replication":
                        names = {alias.name for alias in node.names} - public
                        wrong += [f"{path.relative_to(REPO)}: {name}" for name in sorted(names)]
    assert not wrong, "outside replication/interface.py (replication.__all__):\n" + "\n".join(wrong)


def _pytest_options() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]


def _test_files() -> list[Path]:
    patterns = _pytest_options()["python_files"]
    found = []
    for path in REPO.rglob("*.py"):
        parts = path.relative_to(REPO).parts
        if any(part.startswith(".") for part in parts) or SKIPPED_DIRS & set(parts):
            continue  # .venv, .git, .state: not the house's own
        if any(fnmatch.fnmatchcase(path.name, pattern) for pattern in patterns):
            found.append(path)
    return found


def test_every_package_with_tests_is_collected_by_make_test() -> None:
    testpaths = [REPO / entry for entry in _pytest_options()["testpaths"]]
    left_out = sorted(
        {
            str(path.relative_to(REPO).parent)
            for path in _test_files()
            if not any(path.is_relative_to(root) for root in testpaths)
        }
    )
    assert _test_files(), "no test files found: the search is broken"
    assert not left_out, f"test folders that pytest's testpaths (pyproject.toml) leave out: {left_out}"
