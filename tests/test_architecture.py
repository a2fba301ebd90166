"""The shape of the code: no import circles in src/, and modules a reader can hold in mind.

Imports are read from the source with ast, at any depth (an import inside a function is
still a dependency), and ``from package import module`` counts as a dependency on that
module alone, not on the package's ``__init__``.
"""

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src"
MODULES = {
    ".".join(path.relative_to(SOURCE).with_suffix("").parts).removesuffix(".__init__"): path
    for path in SOURCE.rglob("*.py")
}
LONGEST = 375
"""Lines a module may have: STYLE.md's ~350, with a little room."""


def imported(name: str, path: Path) -> set[str]:
    """The rnnlab modules that module ``name`` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            modules = [f"{base}.{alias.name}" for alias in node.names]
            candidates = [module for module in modules if module in MODULES]
            if len(candidates) < len(modules):
                candidates.append(base)
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in MODULES:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                found.add(candidate)
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_in_src():
    graph = {name: imported(name, path) for name, path in MODULES.items()}
    assert "rnnlab.model.rnn" in graph["rnnlab.model.bptt"]  # the reader sees real imports
    assert circles(graph) == []


def test_only_the_entry_point_imports_the_cli():
    for name, path in MODULES.items():
        if not name.startswith("rnnlab.cli") and name != "rnnlab.__main__":
            assert not any(m.startswith("rnnlab.cli") for m in imported(name, path)), name


def test_no_module_is_overlong():
    lengths = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert {name: n for name, n in lengths.items() if n > LONGEST} == {}
