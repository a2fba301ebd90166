"""The worker that grades one submission; ``rnnlab.grading.grade`` starts one per submission.

It runs as a script, ``python -P worker.py``, in the submission's scratch folder,
with its order (JSON: scratch folder, autograder zip, time limit) on stdin. Run so, it
imports nothing of rnnlab and starts the student's kernel at once; torch, dill and otter,
which only the tests need, are imported in a thread meanwhile.

Phase 1 runs the notebook in the kernel, with no tests anywhere in reach, and saves the
kernel's variables. Phase 2, once the kernel and everything it started are gone, reads
the tests from the zip into memory and runs them on the variables. The result goes to
``result.json`` in the scratch folder: ``{"points": {question: points}, "reason": str}``.
"""

import builtins
import contextlib
import json
import os
import pickle
import signal
import sys
import threading
import zipfile
from pathlib import Path

KERNEL_NAME = "rnnlab-grader"
NOTEBOOK_NAME = "rnn_lab.ipynb"  # otter's init cell opens the notebook by the master's name

# Run in the student's kernel after the last cell. Every value is pickled on its own, so
# one that cannot be pickled loses only itself; recurse=True stores with each function
# the globals it uses, so it runs in the worker without the notebook's namespace.
# Tensors are detached: autograd graphs cannot leave a process.
SAVE_VARIABLES = """\
def _rnnlab_save_variables(path):
    import pickle, sys, types
    import dill
    torch = sys.modules.get("torch")
    saved = {{}}
    for name, value in list(globals().items()):
        if name.startswith("_") or name in ("In", "Out", "exit", "quit", "get_ipython"):
            continue
        if isinstance(value, types.ModuleType) or type(value).__module__.startswith("otter"):
            continue
        if torch is not None and isinstance(value, torch.Tensor):
            value = value.detach()
        try:
            saved[name] = dill.dumps(value, recurse=True)
        except Exception:
            pass
    with open(path, "wb") as stream:
        pickle.dump(saved, stream)
_rnnlab_save_variables({path!r})
"""


def read_tests(autograder: Path) -> list:
    """The otter test files in an autograder zip, parsed in memory, sorted by question name.

    Raises ValueError when the zip holds no tests or a test that is not in OK format.
    """
    from otter.test_files import OKTestFile

    tests = []
    with zipfile.ZipFile(autograder) as archive:
        for member in archive.namelist():
            if not (member.startswith("tests/") and member.endswith(".py")):
                continue
            spec: dict = {}
            exec(archive.read(member).decode(), spec)
            if not spec.get("OK_FORMAT"):
                raise ValueError(f"{autograder}: {member} is not an OK-format test file")
            tests.append(OKTestFile.from_spec(spec["test"], path=member))
    if not tests:
        raise ValueError(f"{autograder} holds no tests/*.py")
    return sorted(tests, key=lambda test: test.name)


def kill(processes: list) -> None:
    """Kill psutil processes and their process groups, never the caller's own group.

    The kernel runs in a session (and process group) of its own, and so may what it starts.
    """
    import psutil

    groups = set()
    for process in processes:
        with contextlib.suppress(OSError):
            groups.add(os.getpgid(process.pid))
    groups.discard(os.getpgrp())
    for group in groups:
        with contextlib.suppress(OSError):
            os.killpg(group, signal.SIGKILL)
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()


def execute(notebook_path: Path, variables_path: Path, timeout: float) -> str:
    """Phase 1: run the notebook in a fresh kernel, save its variables; say what failed, or ""."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    try:
        notebook = nbformat.read(notebook_path, as_version=4)
    except Exception as error:
        return f"the submission is not a readable notebook: {error}"
    notebook.cells.append(
        nbformat.v4.new_code_cell(SAVE_VARIABLES.format(path=str(variables_path)))
    )
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        allow_errors=True,
        resources={"metadata": {"path": str(notebook_path.parent)}},
    )
    try:
        client.execute()
    except DeadKernelError:
        return "the kernel died while running the notebook"
    except Exception as error:
        return f"the notebook could not be run: {type(error).__name__}: {error}"
    if not variables_path.is_file():
        return "the notebook's variables could not be saved"
    return ""


def load_variables(path: Path) -> tuple[dict, list[str]]:
    """Phase 2: the saved variables, and the names of those that would not load."""
    if not path.is_file():
        return {}, []
    with open(path, "rb") as stream:
        saved = pickle.load(stream)
    import dill

    variables, broken = {}, []
    for name, data in saved.items():
        try:
            variables[name] = dill.loads(data)
        except Exception:
            broken.append(name)
    return variables, broken


def adopt_orphans() -> None:
    """Make this process the reaper of its orphaned descendants (Linux), so that what the
    notebook started in the background stays under it, where ``kill`` finds it."""
    if sys.platform == "linux":
        import ctypes

        set_child_subreaper = 36  # PR_SET_CHILD_SUBREAPER, from <linux/prctl.h>
        ctypes.CDLL(None).prctl(set_child_subreaper, 1, 0, 0, 0)


def _import_what_the_tests_need() -> None:
    import dill  # noqa: F401
    import otter.test_files  # noqa: F401
    import torch  # noqa: F401


def main(order: dict) -> None:
    import psutil

    scratch = Path(order["scratch"])
    adopt_orphans()
    imports = threading.Thread(target=_import_what_the_tests_need, daemon=True)
    imports.start()
    problem = execute(scratch / "work" / NOTEBOOK_NAME, scratch / "variables.pkl", order["timeout"])
    # Nothing the notebook started may outlive it and meddle with what follows.
    kill(psutil.Process().children(recursive=True))
    # A result the notebook forged must not survive if the tests below never finish.
    (scratch / "result.json").unlink(missing_ok=True)
    imports.join()
    # The tests come into memory only now that the student's kernel is gone.
    tests = read_tests(Path(order["autograder"]))
    variables, broken = load_variables(scratch / "variables.pkl")
    reasons = [problem] if problem else []
    if broken:
        reasons.append("could not reload " + ", ".join(broken))
    points = {}
    for test in tests:
        try:
            test.run({"__builtins__": builtins, **variables})
            points[test.name] = float(test.score)
        except BaseException as error:  # a test calls the student's code: anything goes
            points[test.name] = 0.0
            reasons.append(f"{test.name}: {type(error).__name__}")
    # The grader reads this only after the worker has exited: no need to write it atomically.
    (scratch / "result.json").write_text(
        json.dumps({"points": points, "reason": "; ".join(reasons)})
    )


if __name__ == "__main__":
    main(json.loads(sys.stdin.read()))
