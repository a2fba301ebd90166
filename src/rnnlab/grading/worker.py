"""The grading worker: runs inside the sandbox, one per submission (``grading/sandbox.py``).

It runs as ``python -I /grader/worker.py`` with /submission as its folder, and reads its
order from stdin: ``{"notebook": file name, "expressions": [...], "timeout": seconds,
"nonce": a secret}``.
It imports nothing of rnnlab (the sandbox hides rnnlab's grading folder). It runs the
notebook's code cells in a fresh Jupyter kernel, throwing their output away, then one
more cell that evaluates each expression on the notebook's names and turns its value
into plain data (``plain.py``, bound beside this file). It writes one JSON line to its
stdout: ``{"nonce": the secret, "problem": str, "results": [{"value": plain} or
{"error": str}, ...]}``.

The values are not trusted by the grader: the student's code shares this sandbox and
can forge any of them (json.dumps in the kernel is the student's to replace). What comes
out is plain data, compared with the expected values outside, which never come in. The
line itself is the worker's: the student's code can append lines to this stdout through
/proc/1/fd/1 (bwrap's init holds it too), but not read the nonce, which the worker made
unreadable by making itself non-dumpable before the kernel started.
"""

import json
import os
import sys
from pathlib import Path

KERNEL_NAME = "rnnlab-grader"
MARKER = "rnnlab-grader-results:"
MAX_RESULTS_TEXT = 16 * 2**20  # characters the results cell may print

EVALUATE = """\
def _rnnlab_evaluate(plain_source, expressions):
    import json, sys
    helpers = {}
    exec(plain_source, helpers)
    names = {k: v for k, v in globals().items() if not k.startswith("_rnnlab")}
    results = []
    for expression in expressions:  # each within its own time limit (plain.CHECK_SECONDS)
        try:
            results.append({"value": helpers["evaluate"](expression, names)})
        except BaseException as error:
            results.append({"error": helpers["described"](error)[:300]})
    stdout = getattr(sys.stdout, "_rnnlab_stream", sys.stdout)  # past the cap below
    stdout.write(MARKER + json.dumps(results) + "\\n")
    stdout.flush()
_rnnlab_evaluate(PLAIN_SOURCE, EXPRESSIONS)
"""

CELL_SECONDS = 20.0
"""Seconds one of the student's cells may run before the kernel is interrupted and the
notebook goes on with the next: a cell that hangs costs what depends on it, not all."""


# Run by the kernel at start-up (an IPython start-up file): what the notebook prints
# reaches the worker up to a cap, so that a notebook printing a gigabyte neither fills
# the kernel's message queue nor runs out of memory over it; the rest is dropped.
CAP_OUTPUT = """\
import sys


class _RnnlabCappedStream:
    def __init__(self, stream, limit):
        self._rnnlab_stream, self._left = stream, limit

    def write(self, text):
        kept = text[: max(self._left, 0)]
        self._left -= len(kept)
        if kept:
            self._rnnlab_stream.write(kept)
        return len(text)

    def __getattr__(self, name):
        return getattr(self._rnnlab_stream, name)


sys.stdout = _RnnlabCappedStream(sys.stdout, LIMIT)
sys.stderr = _RnnlabCappedStream(sys.stderr, LIMIT)
"""
MAX_PRINTED = 16 * 2**20  # characters of stdout, and of stderr, that reach the worker


def results_cell(expressions: list[str]) -> str:
    plain_source = (Path(__file__).parent / "plain.py").read_text()
    return (
        EVALUATE.replace("MARKER", repr(MARKER))
        .replace("PLAIN_SOURCE", repr(plain_source))
        .replace("EXPRESSIONS", repr(expressions))
    )


def write_kernel_spec(folder: Path) -> None:
    """A kernel spec that runs this very Python (the venv's), so the kernel sees rnnlab."""
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "rnnlab grader",
        "language": "python",
    }
    (folder / "kernels" / KERNEL_NAME).mkdir(parents=True)
    (folder / "kernels" / KERNEL_NAME / "kernel.json").write_text(json.dumps(spec))


def execute(notebook_path: Path, expressions: list[str], timeout: float) -> tuple[str, str]:
    """Run the notebook, then the results cell; (what went wrong or "", the cell's output)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    try:
        notebook = nbformat.read(notebook_path, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    except Exception as error:
        return f"the submission is not a readable notebook: {type(error).__name__}", ""
    notebook.cells = [*code, nbformat.v4.new_code_cell(results_cell(expressions))]

    collected: list[str] = []

    class Client(NotebookClient):
        """Keeps no output of the student's cells (1 GB of prints costs nothing), and at
        most MAX_RESULTS_TEXT characters of the results cell's."""

        def output(self, outs, msg, display_id, cell_index):
            room = sum(map(len, collected)) < MAX_RESULTS_TEXT
            if cell_index == len(code) and msg["msg_type"] == "stream" and room:
                collected.append(msg["content"].get("text", "")[:MAX_RESULTS_TEXT])
            return None

    def cell_timeout(cell) -> float:
        # The results cell runs every check, each with its own limit, within the whole.
        return timeout if cell is notebook.cells[-1] else min(CELL_SECONDS, timeout)

    client = Client(
        notebook,
        timeout=timeout,
        timeout_func=cell_timeout,
        interrupt_on_timeout=True,
        kernel_name=KERNEL_NAME,
        allow_errors=True,
        resources={"metadata": {"path": str(notebook_path.parent)}},
    )
    problem = ""
    try:
        client.execute()
    except DeadKernelError:
        problem = "the kernel died while running the notebook"
    except Exception as error:
        problem = f"the notebook could not be run: {type(error).__name__}"
    return problem, "".join(collected)


def parse_results(text: str, count: int) -> "list | None":
    """The results list the results cell printed last, if it printed one."""
    for line in reversed(text.splitlines()):
        if line.startswith(MARKER):
            try:
                results = json.loads(line[len(MARKER) :])
            except ValueError:
                return None
            return results if isinstance(results, list) and len(results) == count else None
    return None


def make_unreadable() -> None:
    """Keep processes of the same user (the kernel, the student's code) out of this one's
    /proc files (its memory, its file descriptors): PR_SET_DUMPABLE 0."""
    import ctypes

    pr_set_dumpable = 4
    if ctypes.CDLL(None, use_errno=True).prctl(pr_set_dumpable, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


def main() -> None:
    make_unreadable()
    order = json.loads(sys.stdin.read())
    # The answer goes out on a copy of stdout; the kernel inherits /dev/null instead.
    answer = os.fdopen(os.dup(1), "w")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    scratch = Path(os.environ.get("TMPDIR", "/tmp"))
    write_kernel_spec(scratch / "jupyter")
    os.environ.update(
        JUPYTER_PATH=str(scratch / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(scratch / "runtime"),
        IPYTHONDIR=str(scratch / "ipython"),
    )
    startup = scratch / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-cap-output.py").write_text(CAP_OUTPUT.replace("LIMIT", str(MAX_PRINTED)))
    expressions = order["expressions"]
    problem, text = execute(Path(order["notebook"]).resolve(), expressions, order["timeout"])
    results = parse_results(text, len(expressions))
    if results is None:
        problem = problem or "the notebook's names could not be read"
        results = [{"error": problem}] * len(expressions)
    answer.write(json.dumps({"nonce": order["nonce"], "problem": problem, "results": results}))
    answer.write("\n")
    answer.flush()


if __name__ == "__main__":
    main()
