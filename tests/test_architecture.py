"""The shape of the code: layers that import one way, no import circles, a short top folder.

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
LONGEST = 500
"""Lines a module may have: a concept a reader holds in mind, not a slice under a cap."""
LAYERS = ("model", "compiled", "bigram", "graphs", "lab", "render", "grading", "cli")
BASE = {"rnnlab.errors", "rnnlab.validation"}
"""The helpers at the top that the equations may use: errors and checks of values."""


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


def layer(name: str) -> str:
    """The folder of rnnlab a module lives in, or "top" for the modules at the top."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "top"


def imports_of(prefix: str) -> dict[str, set[str]]:
    return {
        name: imported(name, path)
        for name, path in MODULES.items()
        if name == prefix or name.startswith(prefix + ".")
    }


def test_the_layer_finder_names_folders_and_the_top():
    assert layer("rnnlab.model.rnn") == "model" and layer("rnnlab.render.tables") == "render"
    assert layer("rnnlab.model") == "model" and layer("rnnlab.errors") == "top"


def test_the_equations_import_nothing_above_them():
    # model/: the lab's equations and their compiled twins, errors and value checks; no
    # HTML (Jupyter's tables are drawn in render/, see rnnlab.model.display), no files.
    for name, found in imports_of("rnnlab.model").items():
        above = {m for m in found if layer(m) not in ("model", "compiled") and m not in BASE}
        assert above == set(), name


def test_the_compiled_twins_import_only_the_activations():
    allowed = {"rnnlab.model.activations", "rnnlab.errors"}
    for name, found in imports_of("rnnlab.compiled").items():
        assert {m for m in found if layer(m) != "compiled"} <= allowed, name


STILL_COMPUTING = {"rnnlab.render.run": {"plain"}}
"""Render modules that still call a function of the layers below: to go, not to grow
(``plain`` turns the Answers tree into JSON data, in lab/sections.py)."""


def computing_names(name: str, path: Path) -> set[str]:
    """The functions and modules of model/, compiled/, bigram/ or lab/ a module imports.

    A class (a value's type) or a CONSTANT is not computing; rnnlab.model.display is the
    registry a renderer signs its drawings in.
    """
    below = ("model", "compiled", "bigram", "lab")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if layer(alias.name) in below}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rnnlab"):
            for alias in node.names:
                module = f"{node.module}.{alias.name}"
                home = module if module in MODULES else node.module
                if layer(home) not in below or home == "rnnlab.model.display":
                    continue
                if module in MODULES or not alias.name[0].isupper():
                    found.add(alias.name)
    return found


def test_the_renderers_import_types_not_computations():
    found = {name: computing_names(name, MODULES[name]) for name in imports_of("rnnlab.render")}
    assert {name: names for name, names in found.items() if names} == STILL_COMPUTING
    assert not any(layer(m) == "compiled" for f in imports_of("rnnlab.render").values() for m in f)


def test_the_computing_finder_sees_functions_and_modules(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text(
        "from rnnlab.model.bptt import Gradients, bptt, METHOD_NAMES\n"
        "from rnnlab.lab import drawings\n"
        "from rnnlab.model import display\n"
        "from rnnlab.render.tables import number\n"
        "import rnnlab.compiled.kernels\n"
    )
    assert computing_names("rnnlab.render.probe", source) == {
        "bptt",
        "drawings",
        "rnnlab.compiled.kernels",
    }


def test_at_most_ten_modules_at_the_top():
    top = [path.name for path in (SOURCE / "rnnlab").glob("*.py")]
    assert len(top) <= 10, sorted(top)
