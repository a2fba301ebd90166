"""The hand-out: what `rnnlab notebook build` writes, and that a rebuild is all or nothing."""

import ast
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

from rnnlab import grading
from rnnlab.extras import EXTRAS

FOLDERS = ("student", "autograder")


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under folder, by relative path, with the SHA-256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> grading.Build:
    return grading.build(tmp_path_factory.mktemp("built"))


@pytest.fixture
def earlier_build(tmp_path) -> Path:
    """A folder holding an earlier build, each half marked so a replacement shows."""
    grading.build(tmp_path)
    for name in FOLDERS:
        (tmp_path / name / "earlier.txt").write_text(f"the earlier {name}\n")
    return tmp_path


def interrupt_renames(directory: Path, monkeypatch, at: int, error: BaseException) -> None:
    """Make the at-th rename to or from directory/student or directory/autograder raise.

    A rebuild makes four: both earlier halves out of the way, then both new ones in.
    """
    real_replace, seen = os.replace, []

    def concerns(path) -> bool:
        return Path(path).parent == directory and Path(path).name in FOLDERS

    def replace(source, target, *args, **kwargs):
        if concerns(source) or concerns(target):
            seen.append(target)
            if len(seen) == at:
                raise error
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


INTERRUPTIONS = [(at, KeyboardInterrupt()) for at in (1, 2, 3, 4)] + [(4, OSError("disk full"))]


@pytest.mark.parametrize(("at", "error"), INTERRUPTIONS)
def test_an_interrupted_rebuild_leaves_the_earlier_build_whole(
    earlier_build, monkeypatch, at, error
):
    before = {name: snapshot(earlier_build / name) for name in FOLDERS}
    interrupt_renames(earlier_build, monkeypatch, at, error)
    with pytest.raises(type(error)):
        grading.build(earlier_build)
    monkeypatch.undo()
    assert {name: snapshot(earlier_build / name) for name in FOLDERS} == before
    assert sorted(p.name for p in earlier_build.iterdir()) == sorted(FOLDERS)


def test_a_finished_rebuild_replaces_both_halves(earlier_build):
    grading.build(earlier_build)
    for name in FOLDERS:
        assert not (earlier_build / name / "earlier.txt").exists()
    assert sorted(p.name for p in earlier_build.iterdir()) == sorted(FOLDERS)


def test_ctrl_c_during_the_swap_waits_until_both_halves_are_in(earlier_build, monkeypatch):
    real_replace = os.replace

    def replace(source, target, *args, **kwargs):
        if Path(target).parent == earlier_build and Path(target).name == "student":
            signal.raise_signal(signal.SIGINT)  # as if the user pressed Ctrl-C right now
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        grading.build(earlier_build)
    monkeypatch.undo()
    for name in FOLDERS:
        assert not (earlier_build / name / "earlier.txt").exists()
    assert (earlier_build / "student" / "requirements.txt").is_file()
    assert len(list((earlier_build / "autograder").glob("rnn_lab-autograder_*.zip"))) == 1


# What the build writes --------------------------------------------------------------


def requirement_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_the_student_folder_installs_from_what_it_holds(built):
    lines = requirement_lines((built.student / "requirements.txt").read_text())
    # Torch and Jupyter unbounded above, so that a platform's own are kept.
    assert lines == ["torch>=2.13", f"./wheels/{built.wheel.name}", "notebook"]
    assert built.wheel.name == "rnnlab-0.1.0+student-py3-none-any.whl"
    assert sorted(p.name for p in (built.student / "wheels").iterdir()) == [built.wheel.name]
    assert sorted(p.name for p in built.student.iterdir()) == [
        "README.md",
        "requirements.txt",
        "rnn_lab.ipynb",
        "tests",
        "wheels",
    ]


# Modules that compute the lab's answers or hold its solutions, none in the student wheel.
SOLVERS = (
    "rnnlab/model/rnn.py",
    "rnnlab/model/bptt.py",
    "rnnlab/bigram/__init__.py",
    "rnnlab/model/bigram_rnn.py",
    "rnnlab/lab/__init__.py",
    "rnnlab/lab/sections.py",
    "rnnlab/lab/forward.py",
    "rnnlab/lab/bigram.py",
    "rnnlab/lab/backward.py",
    "rnnlab/lab/beyond.py",
    "rnnlab/model/formulas.py",
    "rnnlab/model/paths.py",
    "rnnlab/compiled/kernels.py",
    "rnnlab/render/run.py",
    "rnnlab/grading/checks.py",
    "rnnlab/notebooks/rnn_lab.ipynb",
)


def wheel_names(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as wheel:
        return set(wheel.namelist())


def wheel_metadata(path: Path) -> str:
    with zipfile.ZipFile(path) as wheel:
        (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        return wheel.read(name).decode()


def test_the_student_wheel_holds_only_what_the_notebook_imports(built):
    names = wheel_names(built.wheel)
    info = "rnnlab-0.1.0+student.dist-info"
    modules = {name for name in names if not name.startswith(info)}
    assert modules == set(grading.wheel.student_modules())
    assert "rnnlab/graphs/autograd.py" in modules and "rnnlab/grading/plain.py" in modules
    assert not modules & set(SOLVERS)
    assert {f"{info}/METADATA", f"{info}/WHEEL", f"{info}/RECORD"} <= names
    # No `rnnlab` command: its commands print the answers.
    assert f"{info}/entry_points.txt" not in names
    requires = [
        line.removeprefix("Requires-Dist: ")
        for line in wheel_metadata(built.wheel).splitlines()
        if line.startswith("Requires-Dist: ")
    ]
    assert requires == ["torch>=2.13", "graphviz>=0.20", "lark>=1.1"]  # lark: the formula check


def test_no_module_of_the_student_wheel_imports_one_outside_it():
    from test_architecture import MODULES, imported

    held = {
        name
        for name, path in MODULES.items()
        if path.relative_to(MODULES["rnnlab"].parents[1]).as_posix()
        in grading.wheel.student_modules()
    }
    assert "rnnlab.graphs.autograd" in held
    for name in held:
        assert imported(name, MODULES[name]) <= held, name


def test_the_student_wheel_takes_the_formula_check_where_it_exists(tmp_path):
    package = tmp_path / "rnnlab"
    for name in grading.wheel.STUDENT_MODULES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(grading.wheel.PACKAGE.parent / name, tmp_path / name)
    assert grading.wheel.FORMULA_CHECK not in grading.wheel.student_modules(package)
    for name in grading.wheel.FORMULA_MODULES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("import lark\n")
    wheel = grading.wheel.student_wheel(tmp_path / "out", package)
    assert set(grading.wheel.FORMULA_MODULES) <= wheel_names(wheel)
    assert "Requires-Dist: lark>=1.1" in wheel_metadata(wheel)


def test_each_student_requirement_has_the_lower_bound_of_the_project(built):
    import tomllib

    project = tomllib.loads((grading.wheel.CHECKOUT / "pyproject.toml").read_text())["project"]
    named = project["dependencies"]
    bounds = dict(requirement.split(">=") for requirement in named)
    student = [*grading.wheel.STUDENT_REQUIRES, *grading.wheel.FORMULA_CHECK_REQUIRES]
    for requirement in student:
        name, bound = requirement.split(">=")
        assert bounds[name] == bound, requirement
    # Lower bounds only, everywhere.
    for requirement in [*named, *student]:
        assert "<" not in requirement and "==" not in requirement, requirement


def test_the_whole_library_wheel_holds_rnnlab_but_not_the_solutions_or_the_hidden_checks(
    built, tmp_path
):
    names = wheel_names(built.autograder_wheel)
    metadata = wheel_metadata(built.autograder_wheel)
    assert {"rnnlab/__init__.py", "rnnlab/model/rnn.py", "rnnlab/grading/plain.py"} <= names
    # The master notebook holds the solutions and hidden tests; checks.py the hidden inputs.
    assert not names & {"rnnlab/notebooks/rnn_lab.ipynb", "rnnlab/grading/checks.py"}
    assert "Requires-Dist: torch>=2.13\n" in metadata
    assert not any(name.startswith(("tests/", "src/")) for name in names)
    # What the notebook's test cells import still works from the student wheel alone.
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target"]
    subprocess.run([*pip, str(target), str(built.wheel)], check=True)
    probe = (
        "from rnnlab.grading.plain import check; import rnnlab.grading as g;"
        "check({'o1': [0.13, -0.07]}, 'o1', [0.13, -0.07], 1e-4, 1e-6, 'o1');"
        "import importlib.util as u; print(u.find_spec('rnnlab.grading.checks'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "None"), done.stderr


def test_the_student_readme_says_how_to_install_open_check_and_hand_in(built):
    readme = (built.student / "README.md").read_text()
    for step in ("## 1. Install", "## 2. Open", "## 3. Check", "## 4. Hand in"):
        assert step in readme
    assert "pip install -r requirements.txt" in readme
    assert built.wheel.name in readme and "{wheel}" not in readme
    for place in ("your own computer", "Google Colab", "Deepnote", "your course's JupyterHub"):
        section = readme.split(f"### On {place}")[1].split("\n### ")[0]
        assert "pip install" in section and "requirements.txt" in section, place
    # What a graph says without dot, quoted as it is.
    from rnnlab.graphs.render import NO_DOT

    assert "### Without Graphviz's `dot`" in readme
    assert NO_DOT.split(";")[0] in " ".join(readme.split())


def zip_environment(archive: Path) -> dict:
    with zipfile.ZipFile(archive) as zipped:
        return yaml.safe_load(zipped.read("environment.yml"))


def pip_requirements(environment: dict) -> list[str]:
    (pip,) = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    return pip


def test_the_zip_installs_rnnlab_from_a_wheel_inside_it(built):
    environment = zip_environment(built.zip)
    pip = pip_requirements(environment)
    wheel_path = f"files/wheels/{built.autograder_wheel.name}"
    assert pip[1:] == ["torch==2.13.0", f"./{wheel_path}"]
    assert pip[0].startswith("otter-grader[grading,plugins]==")
    # Gradescope's conda needs Python to match the local torch wheel, and Graphviz's dot.
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    assert {"python=3.11", "graphviz"} <= set(conda)
    with zipfile.ZipFile(built.zip) as zipped:
        assert zipped.read(wheel_path) == built.autograder_wheel.read_bytes()


def test_students_get_a_lower_bound_on_torch_and_the_autograder_the_torch_tested(built):
    student = requirement_lines((built.student / "requirements.txt").read_text())
    autograder = requirement_lines((built.autograder / "requirements.txt").read_text())
    autograder += pip_requirements(zip_environment(built.zip))
    assert [line for line in student if line.startswith("torch")] == ["torch>=2.13"]
    assert [line for line in autograder if line.startswith("torch")] == ["torch==2.13.0"] * 2


def test_the_notebook_at_the_root_is_the_master_itself():
    # notebooks/rnn_lab.ipynb is a link, so that the master is found where a reader of the
    # repository looks for notebooks, yet only the packaged copy can ever be edited.
    link = Path(__file__).resolve().parents[1] / "notebooks" / "rnn_lab.ipynb"
    assert link.is_symlink() and link.resolve() == grading.MASTER


def test_a_build_leaves_no_scratch_behind(built):
    assert sorted(p.name for p in built.student.parent.iterdir()) == sorted(FOLDERS)


# Fresh environments (slow: each installs torch and everything else into a new venv) ---------


def fresh_venv(folder: Path) -> tuple[Path, dict[str, str]]:
    """A new virtual environment in folder: its python, and an environment that uses it."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{folder / 'bin'}{os.pathsep}{env['PATH']}"
    return folder / "bin" / "python", env


def pip_install(python: Path, env: dict[str, str], cwd: Path, *arguments: str) -> None:
    command = [str(python), "-m", "pip", "install", "--quiet", *arguments]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]


def possible_points(archive: Path) -> dict[str, float]:
    """Each question's points, read from the zip's test files as data (never run)."""
    points = {}
    with zipfile.ZipFile(archive) as zipped:
        for name in zipped.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                module = ast.parse(zipped.read(name))
                values = {
                    node.targets[0].id: ast.literal_eval(node.value)
                    for node in module.body
                    if isinstance(node, ast.Assign) and node.targets[0].id in ("name", "points")
                }
                points[values["name"]] = float(values["points"])
    return points


LOCAL_TORCH = "torch==2.13.0"
"""The torch the tests run, preinstalled as Colab, Deepnote or a JupyterHub has its own."""


def torch_files(python: Path, env: dict[str, str]) -> dict[str, str]:
    """The installed torch: its version, and the SHA-256 of its RECORD (every file's hash)."""
    probe = (
        "import hashlib, importlib.metadata as m; d = m.distribution('torch');"
        "print(d.version, hashlib.sha256(d.read_text('RECORD').encode()).hexdigest())"
    )
    done = subprocess.run([str(python), "-I", "-c", probe], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    version, record = done.stdout.split()
    return {"version": version, "RECORD": record}


@pytest.fixture(scope="module")
def student_venv(built, tmp_path_factory):
    """A venv with the local torch, into which the student requirements were installed:
    its python and environment, the student folder, torch before and after, pip's report."""
    folder = tmp_path_factory.mktemp("student-venv")
    student = Path(shutil.copytree(built.student, folder / "student"))
    python, env = fresh_venv(folder / "venv")
    pip_install(python, env, folder, LOCAL_TORCH)
    before = torch_files(python, env)
    report = folder / "report.json"
    pip_install(
        python, env, student, "--dry-run", "--report", str(report), "-r", "requirements.txt"
    )
    pip_install(python, env, student, "-r", "requirements.txt")
    after = torch_files(python, env)
    return python, env, student, before, after, json.loads(report.read_text())


@pytest.mark.slow
def test_the_student_requirements_keep_the_torch_already_installed(student_venv):
    _, _, _, before, after, report = student_venv
    planned = [item["metadata"]["name"].lower() for item in report["install"]]
    assert "torch" not in planned and "rnnlab" in planned
    assert before == after and after["version"].startswith("2.13.0")


@pytest.mark.slow
def test_the_student_wheel_imports_no_solver_where_the_project_is_out_of_sight(
    student_venv, tmp_path
):
    python, env, _, _, _, _ = student_venv
    # -I: no PYTHONPATH, no user site, not even the current folder; the venv sees no
    # system site-packages either, so rnnlab can only be the student wheel.
    probe = (
        "import importlib.util, json, sys\n"
        "import torch\n"
        "from rnnlab.graphs import make_dot\n"
        "from rnnlab.grading.plain import check\n"
        "from rnnlab.student import start\n"
        "import rnnlab, rnnlab.grading\n"
        "def found(m):\n"  # a module whose package is not there either raises: not found
        "    try:\n"
        "        return importlib.util.find_spec(m) is not None\n"
        "    except ModuleNotFoundError:\n"
        "        return False\n"
        "solvers = [m for m in sys.argv[1:] if found(m)]\n"
        "solvers += [m for m in ('otter', 'pandas') if importlib.util.find_spec(m)]\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'rnnlab')\n"
        "print(json.dumps([rnnlab.__file__, loaded, solvers]))\n"
    )
    solvers = [
        name.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for name in SOLVERS
    ]
    solvers = [name for name in solvers if not name.endswith(".ipynb")]
    done = subprocess.run(
        [str(python), "-I", "-c", probe, *solvers],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    where, loaded, found = json.loads(done.stdout)
    assert where.startswith(str(python.parents[1]))
    held = {
        name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for name in grading.wheel.student_modules()
    }
    assert set(loaded) <= held and "rnnlab.graphs.autograd" in loaded
    assert found == []  # nor otter-grader and its pandas: the grader runs the checks itself
    assert not (python.parent / "rnnlab").exists()  # no command that prints the answers


def public_tests_beyond_the_student_wheel(student: Path) -> set[str]:
    """The questions whose public tests name rnnlab beyond the student wheel's modules
    (rnnlab.X for an X the wheel does not hold, such as rnnlab.bptt)."""
    held = {
        name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for name in grading.wheel.student_modules()
    }
    questions = set()
    for path in (student / "tests").glob("*.py"):
        named = set(re.findall(r"\brnnlab(?:\.\w+)+", path.read_text()))
        if named - held:
            questions.add(path.stem)
    return questions


def test_the_public_tests_call_nothing_beyond_the_student_wheel(built):
    assert public_tests_beyond_the_student_wheel(built.student) == set()


@pytest.mark.slow
def test_the_solution_passes_every_public_check_beside_the_student_wheel(student_venv, built):
    python, env, student, _, _, _ = student_venv
    assert (python.parent / "jupyter-lab").is_file()  # what the student README opens it with
    # The solution, in the student's place; a last cell says where rnnlab came from.
    solution = nbformat.read(built.autograder / "rnn_lab.ipynb", as_version=4)
    where = "import sys, rnnlab, torch\nprint(sys.prefix, rnnlab.__file__, torch.__version__)"
    solution.cells.append(nbformat.v4.new_code_cell(where))
    nbformat.write(solution, student / "solution.ipynb")
    execute = ["nbconvert", "--to", "notebook", "--execute", "solution.ipynb", "--output", "ran"]
    done = subprocess.run(
        [str(python.parent / "jupyter"), *execute],
        cwd=student,
        env={**env, "JPY_SESSION_NAME": "lab/solution.ipynb"},  # as Jupyter Server names it
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ran = nbformat.read(student / "ran.ipynb", as_version=4)
    checks = {
        cell.source: "".join(out.get("data", {}).get("text/plain", "") for out in cell.outputs)
        for cell in ran.cells
        if cell.cell_type == "code" and cell.source.startswith("grader.check(")
    }
    assert set(checks) == {f'grader.check("{name}")' for name in possible_points(built.zip)}
    # Those whose public tests call what the student wheel does not hold cannot pass (see
    # the xfail above); every other check passes.
    beyond = public_tests_beyond_the_student_wheel(student)
    for source, output in checks.items():
        passed = "All test cases passed" in output
        assert passed != (source.split('"')[1] in beyond), (source, output)
    printed = ran.cells[-1].outputs[0]["text"].split()
    assert printed[0] == str(python.parents[1])
    assert printed[1].startswith(str(python.parents[1])) and printed[2].startswith("2.13.0")


@pytest.mark.slow
def test_pip_install_rnnlab_without_extras_runs_the_lab(tmp_path):
    wheel = grading.wheel.build_wheel(tmp_path / "wheel")
    python, env = fresh_venv(tmp_path / "venv")
    pip_install(python, env, tmp_path, LOCAL_TORCH)
    pip_install(python, env, tmp_path, str(wheel))
    extras = [module for modules in EXTRAS.values() for module in modules]
    probe = f"import importlib.util as u; print([m for m in {extras!r} if u.find_spec(m)])"
    done = subprocess.run([str(python), "-I", "-c", probe], env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr  # no extra came along
    rnnlab = str(python.parent / "rnnlab")
    done = subprocess.run(
        [rnnlab, "run", "--out", "out"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "0.0039191" in done.stdout and (tmp_path / "out" / "report.html").is_file()
    done = subprocess.run(
        [rnnlab, "notebook", "build", "dist"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "rnnlab: error: rnnlab notebook build needs rnnlab's [grading] extra, and otter is not "
        "installed: pip install 'rnnlab[grading]'"
    ]


def otter_environment(archive: Path, folder: Path) -> tuple[Path, dict[str, str]]:
    """A venv made only from what the zip lists, the way otter's setup.sh makes its own.

    setup.sh unpacks the zip into /autograder/source and runs ``mamba env create -f
    environment.yml``; mamba runs pip on the pip list from the folder of environment.yml.
    Here: a venv of this Python, pip from the unpacked folder, and the conda packages
    found on this machine (Graphviz's dot) or, when pip has them, installed with pip.
    """
    source = folder / "source"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(source)
    environment = yaml.safe_load((source / "environment.yml").read_text())
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    version = "python={}.{}".format(*sys.version_info[:2])
    assert version in conda, f"the zip asks for {conda}, this test runs {version}"
    assert shutil.which("dot"), "Graphviz's dot (conda's graphviz) is not installed here"
    from_pip = [d for d in conda if d.split("=")[0] not in ("python", "pip", "graphviz")]
    (source / "mambaf-requirements.txt").write_text("\n".join(pip_requirements(environment)))
    python, env = fresh_venv(folder / "venv")
    pip_install(python, env, source, *from_pip, "-r", "mambaf-requirements.txt")
    return python, env


def otter_run(python: Path, env: dict[str, str], archive: Path, notebook: Path) -> dict:
    out = notebook.with_suffix("")
    out.mkdir()
    otter = python.parent / "otter"
    done = subprocess.run(
        [str(otter), "run", "-a", str(archive), "-o", str(out), str(notebook)],
        cwd=notebook.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    return {t["name"]: t for t in results["tests"] if t.get("max_score") is not None}


@pytest.mark.slow
def test_stock_otter_run_in_the_zips_own_environment_grades_solution_full_blank_zero(
    built, tmp_path
):
    python, env = otter_environment(built.zip, tmp_path)
    possible = possible_points(built.zip)
    assert possible and all(possible[name] > 0 for name in possible if name != "bptt_general")
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    solution = Path(shutil.copy(built.autograder / "rnn_lab.ipynb", submissions / "solution.ipynb"))
    blank = Path(shutil.copy(built.student / "rnn_lab.ipynb", submissions / "blank.ipynb"))
    full = otter_run(python, env, built.zip, solution)
    assert {name: t["max_score"] for name, t in full.items()} == possible
    assert {name: t["score"] for name, t in full.items()} == possible
    zero = otter_run(python, env, built.zip, blank)
    assert {name: t["score"] for name, t in zero.items()} == dict.fromkeys(possible, 0)


def test_an_installed_wheel_is_packed_again_file_for_file(built, tmp_path):
    # rnnlab installed from its wheel, not from a checkout: build_wheel packs it again.
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target"]
    subprocess.run([*pip, str(target), str(built.autograder_wheel)], check=True)
    pack = (
        "import sys; from pathlib import Path; from rnnlab.grading import wheel;"
        "assert not wheel.is_checkout(wheel.CHECKOUT), wheel.CHECKOUT;"
        "print(wheel.build_wheel(Path(sys.argv[1])))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", pack, str(tmp_path / "out")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    packed = Path(done.stdout.strip())
    assert packed.name == built.autograder_wheel.name
    original, again = wheel_files(built.autograder_wheel), wheel_files(packed)
    record = "rnnlab-0.1.0.dist-info/RECORD"
    assert {k: v for k, v in again.items() if k != record} == {
        k: v for k, v in original.items() if k != record
    }
    # RECORD: every file with its own urlsafe-base64 SHA-256 and size, then itself.
    rows = [line.split(",") for line in again[record].decode().splitlines()]
    assert sorted(row[0] for row in rows) == sorted(again)
    for name, digest, size in rows:
        if name != record:
            data = again[name]
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert (digest, int(size)) == (f"sha256={expected.decode()}", len(data))


def wheel_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as wheel:
        return {name: wheel.read(name) for name in wheel.namelist()}


def test_the_otter_grade_base_image_puts_the_wheel_where_the_zip_names_it(built):
    dockerfile = (built.autograder / "otter-grade-base.Dockerfile").read_text()
    (copy,) = [line.split() for line in dockerfile.splitlines() if line.startswith("COPY")]
    wheel_in_zip = pip_requirements(zip_environment(built.zip))[-1]
    wheel = built.autograder_wheel
    assert copy[1] == f"wheels/{wheel.name}"
    assert (built.autograder / copy[1]).read_bytes() == wheel.read_bytes()
    assert copy[2] + wheel.name == "/autograder/source/" + wheel_in_zip.removeprefix("./")


def test_the_build_command_names_what_it_wrote(rnnlab, tmp_path):
    result = rnnlab("notebook", "build", str(tmp_path))
    assert result.returncode == 0, result.stderr
    wheel = next((tmp_path / "student" / "wheels").glob("*.whl"))
    assert str(wheel) in result.stdout.replace("\n", "")
    assert str(grading.autograder_zip(tmp_path)) in result.stdout.replace("\n", "")


# Where students work: a folder uploaded in part, no Graphviz, the whole library -------------


def test_the_first_cell_says_what_to_do_when_the_tests_folder_is_missing(
    tmp_path, capsys, monkeypatch
):
    from rnnlab import student

    monkeypatch.chdir(tmp_path)
    sentence = student.NO_TESTS.format(tests="tests")
    grader = student.start("rnn_lab.ipynb", tmp_path)
    assert capsys.readouterr().out.strip() == sentence
    # Each check says it too, instead of otter's "Test forward not found".
    grader.check("forward")
    grader.check_all()
    assert capsys.readouterr().out.splitlines() == [f"forward: not checked. {sentence}", sentence]
    (tmp_path / "tests").mkdir()
    assert isinstance(student.start("rnn_lab.ipynb", tmp_path), student.Grader)
    assert capsys.readouterr().out == ""


def test_the_students_grader_runs_the_public_checks_as_otter_does(built):
    import torch
    from otter.test_files import ExceptionTestFile

    from rnnlab import student

    grader = student.start("rnn_lab.ipynb", built.student)
    tests = built.student / "tests"
    right, wrong = torch.tensor([0.13, -0.07]), torch.tensor([0.0, 0.0])
    # The question's first public case alone: o1 for the lab's example.
    for names, passed in (({"o1": right}, True), ({"o1": wrong}, False), ({}, False)):
        result = grader.check("forward", names)
        otter = ExceptionTestFile.from_file(str(tests / "forward.py"))
        otter.run(dict(names))
        first = not any("o1 should be W h1 for the lab's example" in f for f in result.failures)
        assert first == passed == otter.test_case_results[0].passed, names
    failure = grader.check("forward", {"o1": wrong}).failures[0]
    assert failure.startswith("AssertionError: o1 should be W h1 for the lab's example: got")
    everything = grader.check_all({"o1": right})
    assert [r.question for r in everything.results] == sorted(p.stem for p in tests.glob("*.py"))
    with pytest.raises(ValueError, match="no check named 'fourth'"):
        grader.check("fourth", {})


def test_under_otters_grading_the_notebooks_checks_leave_the_checking_to_otter(
    tmp_path, capsys, monkeypatch
):
    import otter
    from otter.execute import Checker

    from rnnlab import student

    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests").mkdir()
    monkeypatch.setattr(otter.Notebook, "_grading_mode", True)  # as otter run sets it
    grader = student.start("rnn_lab.ipynb", tmp_path)
    # No result is kept, so otter's last cell checks every question on the final names.
    assert grader.check("forward") is None and grader.check_all() is None
    assert Checker.get_results() == [] and capsys.readouterr().out == ""


def first_code_cell(notebook: Path) -> str:
    cells = nbformat.read(notebook, as_version=4).cells
    return next(cell.source for cell in cells if cell.cell_type == "code")


def test_the_notebooks_first_cell_makes_the_grader_and_says_what_to_do_without_rnnlab(
    built, tmp_path
):
    source = first_code_cell(built.student / "rnn_lab.ipynb")
    assert "grader = start(" in source and source == first_code_cell(grading.MASTER)
    # rnnlab missing: one sentence, exit status 1, no traceback.
    without = "import sys\nsys.modules['rnnlab'] = None\n" + source
    done = subprocess.run(
        [sys.executable, "-c", without], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "rnnlab is not installed here: in the lab's folder run "
        "`pip install -r requirements.txt` (see README.md), then restart the kernel."
    ]


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """Graphviz's dot is nowhere on the PATH."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))


def lab_graph():
    import torch

    from rnnlab.graphs import make_dot

    U = torch.tensor([[0.5]], requires_grad=True)
    o1 = U @ torch.tensor([1.0])
    return make_dot(o1, {"U": U, "o1": o1})


def test_a_graph_without_dot_shows_one_sentence_saying_how_to_get_it(no_dot):
    from rnnlab.graphs.render import NO_DOT

    assert lab_graph()._repr_mimebundle_() == {"text/plain": NO_DOT}
    assert "apt-get install graphviz" in NO_DOT and "\n" not in NO_DOT


def test_render_without_dot_prints_the_sentence_in_jupyter_and_raises_elsewhere(
    no_dot, tmp_path, monkeypatch, capsys
):
    from rnnlab.graphs import GraphvizNotFoundError, render

    with pytest.raises(GraphvizNotFoundError, match="Graphviz's `dot` is not installed"):
        lab_graph().render(tmp_path / "graph")
    monkeypatch.setattr(render, "_in_jupyter", lambda: True)
    assert lab_graph().render(tmp_path / "graph") is None
    assert capsys.readouterr().err.strip() == render.NO_DOT
    assert (tmp_path / "graph").is_file()  # the DOT source, for later


def test_a_graph_with_dot_shows_as_svg():
    if not shutil.which("dot"):
        pytest.skip("Graphviz's dot is not installed")
    assert lab_graph()._repr_mimebundle_()["image/svg+xml"].lstrip().startswith("<?xml")


def test_a_full_hand_out_ships_the_whole_library_and_says_it_holds_the_answers(rnnlab, tmp_path):
    result = rnnlab("notebook", "build", "--handout", "full", str(tmp_path))
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("rnnlab: --handout full:") and "answers" in line
    (wheel,) = (tmp_path / "student" / "wheels").iterdir()
    assert wheel.name == "rnnlab-0.1.0-py3-none-any.whl" and "rnnlab/model/rnn.py" in wheel_names(
        wheel
    )
    lines = requirement_lines((tmp_path / "student" / "requirements.txt").read_text())
    assert lines[1] == f"./wheels/{wheel.name}[notebook]"
    # The student build says nothing of the kind.
    result = rnnlab("notebook", "build", str(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")


def test_a_bad_hand_out_is_named(rnnlab, tmp_path):
    result = rnnlab("notebook", "build", "--handout", "answers", str(tmp_path))
    assert result.returncode == 2 and "answers" in result.stderr
    with pytest.raises(grading.build.__globals__["InvalidValueError"], match="'answers'"):
        grading.build(tmp_path, handout="answers")


@pytest.mark.parametrize("command", [["build", "out"], ["grade", "a.ipynb"]])
def test_a_command_whose_extra_is_missing_names_the_extra(rnnlab, monkeypatch, command):
    monkeypatch.setitem(sys.modules, "otter", None)  # as where rnnlab[grading] is not installed
    result = rnnlab("notebook", *command)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"rnnlab: error: rnnlab notebook {command[0]} needs rnnlab's [grading] extra, and otter "
        "is not installed: pip install 'rnnlab[grading]'"
    ]
