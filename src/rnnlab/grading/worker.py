"""The grading worker: the Jupyter client of one submission's kernel (``grading/sandbox.py``).

It runs as ``python -I /grader/worker.py`` in a sandbox of its own, as another user than
the kernel, and reads its order from stdin: ``{"notebook": path, "expressions": [...],
"timeout": seconds, "connection": the kernel's sockets and key, "written": how many
written answers, "nonce": a secret}``. It imports nothing of rnnlab. It sends the
notebook's code cells to the kernel (which the grader started in the student's
sandbox), throwing their output away, then one more cell that evaluates each expression
on the notebook's names and turns its value into plain data (``plain.py``, beside this
file). It writes two JSON lines to its stdout: first ``{"nonce": the secret, "written":
[str, ...]}`` (the written answers, read before any code runs), last ``{"nonce": the
secret, "problem": str, "results": [{"value": plain} or {"error": str}, ...]}``.

The values are not trusted by the grader: they come from the student's kernel, whose
json.dumps is the student's to replace. What comes out is plain data, compared with the
expected values outside, which never come in. The line itself is the worker's alone:
the student's processes, in another PID namespace and of another uid, can neither see
this process nor open its descriptors.
"""

import json
import os
import sys
from pathlib import Path

MARKER = "rnnlab-grader-results:"
UNREADABLE = "the submission is not a readable notebook"
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

# Run by the kernel at start-up too: once a cell has been interrupted (at its time limit;
# the worker sends the only interrupts), the kernel kills every other process of its
# sandbox. A child of the hung cell that outlives the interrupt (one that ignores SIGINT,
# or was forked after it) would otherwise share the sandbox's core with the rest of the
# notebook until the grader's clock ran out. kill(-1) reaches only what the kernel may
# signal: in its PID namespace (or, with no namespace, of its user, the submission's
# own), not the namespace's init, not itself; group-wide, no fork slips past it. The
# copies of the kernel run the hook too, and must not kill the kernel: hence the pid.
END_STRAYS = """\
def _rnnlab_end_strays_after_interrupts():
    import os, signal

    kernel = os.getpid()

    def end_strays(result):
        if os.getpid() == kernel and isinstance(result.error_in_exec, KeyboardInterrupt):
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:  # there was nothing else
                pass

    get_ipython().events.register("post_run_cell", end_strays)


_rnnlab_end_strays_after_interrupts()
del _rnnlab_end_strays_after_interrupts
"""


def results_cell(expressions: list[str]) -> str:
    plain_source = (Path(__file__).parent / "plain.py").read_text()
    return (
        EVALUATE.replace("MARKER", repr(MARKER))
        .replace("PLAIN_SOURCE", repr(plain_source))
        .replace("EXPRESSIONS", repr(expressions))
    )


class SandboxedKernel:
    """The kernel as nbclient's kernel manager sees it: started by the grader in a sandbox
    of its own, interrupted by a message (the worker cannot signal it), ended by the
    grader (not here)."""

    has_kernel = True

    def __init__(self, client):
        self.client = client

    async def interrupt_kernel(self) -> None:
        message = self.client.session.msg("interrupt_request", content={})
        self.client.control_channel.send(message)

    async def is_alive(self) -> bool:
        return self.client.hb_channel.is_beating()

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        return None

    async def cleanup_resources(self, restart: bool = False) -> None:
        return None


def execute(
    notebook_path: Path, expressions: list[str], timeout: float, connection: dict
) -> tuple[str, str]:
    """Run the notebook, then the results cell, in the kernel at ``connection``; (what
    went wrong or "", the results cell's output)."""
    import asyncio

    import nbformat
    from jupyter_client.asynchronous import AsyncKernelClient
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    try:
        notebook = nbformat.read(notebook_path, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    except Exception as error:
        return f"{UNREADABLE}: {type(error).__name__}", ""
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

    async def run() -> str:
        kernel = AsyncKernelClient()
        kernel.load_connection_info(connection)
        kernel.start_channels()
        try:
            await kernel.wait_for_ready(timeout=timeout)
        except (RuntimeError, TimeoutError):
            return "the kernel did not start"
        client = Client(
            notebook,
            km=SandboxedKernel(kernel),
            timeout=timeout,
            timeout_func=cell_timeout,
            interrupt_on_timeout=True,
            allow_errors=True,
        )
        client.kc = kernel
        try:
            await client.async_execute()
        except DeadKernelError:
            return "the kernel died while running the notebook"
        except Exception as error:
            return f"the notebook could not be run: {type(error).__name__}"
        finally:
            kernel.stop_channels()
        return ""

    problem = asyncio.run(run())
    return problem, "".join(collected)


BEGIN, END = "<!-- BEGIN QUESTION -->", "<!-- END QUESTION -->"
PLACEHOLDER = "_Type your answer here, replacing this text._"  # otter's, in an answer cell
MAX_ANSWER = 20_000
"""Characters of one written answer sent back."""


def written_answers(notebook_path: Path, count: int) -> list[str]:
    """The notebook's answers to its ``count`` written questions, in order ("" if missing).

    An answer is what lies between otter's ``<!-- BEGIN QUESTION -->`` cell (the prompt)
    and its ``<!-- END QUESTION -->``, code cells left out (otter puts a question's
    ``grader.check`` cell there). Read here, in the sandbox, so that the grader never
    parses a student's notebook.
    """
    try:
        cells = json.loads(notebook_path.read_bytes())["cells"]
        sources = [
            "".join(c["source"]) if isinstance(c["source"], list) else str(c["source"])
            for c in cells
            if c.get("cell_type") != "code"
        ]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):  # a student's file
        return [""] * count
    answers, current = [], None
    for source in sources:
        if END in source and current is not None:
            answers.append("\n\n".join(current).strip()[:MAX_ANSWER])
            current = None
        if BEGIN in source:
            current = []
        elif current is not None and source.strip() != PLACEHOLDER:
            current.append(source)
    return (answers + [""] * count)[:count]


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
    # The answer goes out on a copy of stdout; the kernel's client writes no logs there.
    answer = os.fdopen(os.dup(1), "w")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    notebook, expressions = Path(order["notebook"]), order["expressions"]
    # The written answers first, so that they reach the grader even if the code hangs.
    written = written_answers(notebook, order.get("written", 0))
    answer.write(json.dumps({"nonce": order["nonce"], "written": written}) + "\n")
    answer.flush()
    problem, text = execute(notebook, expressions, order["timeout"], order["connection"])
    results = parse_results(text, len(expressions))
    if results is None:
        problem = problem or "the notebook's names could not be read"
        results = [{"error": problem}] * len(expressions)
    reply = {"nonce": order["nonce"], "problem": problem, "results": results}
    answer.write(json.dumps(reply) + "\n")
    answer.flush()


if __name__ == "__main__":
    main()
