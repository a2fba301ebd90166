"""The notebook's checks (one source for otter's tests and the grader) and plain data."""

import itertools
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import torch

from rnnlab.grading import MASTER, checks, checks_backward, checks_forward, derivations
from rnnlab.grading import plain as plain_module
from rnnlab.grading.plain import MAX_DEPTH, check, close, is_plain, plain

QUESTIONS = {question.name: question for question in checks.questions()}


FORWARD_CELL = """\
h1 = torch.relu(U @ x1 + V @ h0)
o1 = W @ h1
h2 = torch.relu(U @ x2 + V @ h1)
o2 = W @ h2
"""

AUTOGRAD_CELL = """\
h1_ = torch.clamp(U_ @ x1_ + V_ @ h0_, min=0)
h11 = h1_[0]
h11.backward()
U_grad = U_.grad
"""


def reference_solution() -> dict:
    """A correct answer to every question, written here independently of rnnlab, with
    the answer cells in ``In`` as IPython keeps them (the checks run them again)."""
    names = {
        "torch": torch,
        "U": torch.tensor([[-0.3, 0.6], [0.2, 0.1]], dtype=torch.float64),
        "V": torch.tensor([[0.4, 0.4], [0.9, -0.7]], dtype=torch.float64),
        "W": torch.tensor([[0.2, 0.1], [-0.2, 0.5]], dtype=torch.float64),
        "x1": torch.tensor([0.0, 1.0], dtype=torch.float64),
        "x2": torch.tensor([0.3, 0.4], dtype=torch.float64),
        "h0": torch.zeros(2, dtype=torch.float64),
        "U_": torch.tensor([[-0.3, 0.6], [0.2, 0.1]], requires_grad=True),
        "V_": torch.tensor([[0.4, 0.4], [0.9, -0.7]]),
        "x1_": torch.tensor([0.0, 1.0]),
        "h0_": torch.tensor([0.0, 0.0]),
    }
    exec(FORWARD_CELL, names)
    exec(AUTOGRAD_CELL, names)

    def sequence_probability(seq, T):
        probability = torch.tensor(1.0, dtype=torch.float64)
        for current, following in itertools.pairwise(seq):
            probability = probability * T[current.argmax(), following.argmax()]
        return probability

    def bigram_rnn_parameters(T):
        size = T.shape[0]
        return torch.eye(size, dtype=T.dtype), torch.zeros(size, size, dtype=T.dtype), T.T

    def dL_dU(U, V, W, xs, h0):
        U = torch.tensor(U, dtype=torch.float64, requires_grad=True)
        h, loss = torch.tensor(h0, dtype=torch.float64), 0
        for t in range(len(xs) - 1):
            h = torch.clamp(U * xs[t] + V * h, min=0)
            loss = loss + (xs[t + 1] - W * h) ** 2
        loss.backward()
        return float(U.grad)

    T = torch.tensor([[0.6, 0.4], [0.3, 0.7]], dtype=torch.float64)
    names.update(
        In=["", FORWARD_CELL, AUTOGRAD_CELL],
        sequence_probability=sequence_probability,
        bigram_rnn_parameters=bigram_rnn_parameters,
        dL_dU=dL_dU,
        # section 2.2's tiny bigram RNN, which overwrites U, V, W and h0, in float32 as the lab
        U=torch.eye(2),
        V=torch.zeros(2, 2),
        W=T.T.float(),
        h0=torch.zeros(2),
        sigma=lambda x: x,
    )
    return names


def evaluate(check: checks.Check, names: dict) -> object:
    return plain_module.evaluate(check.expression, names)


def passes(check: checks.Check, names: dict) -> bool:
    try:
        got = evaluate(check, names)
    except Exception:
        return False
    return close(got, check.expected, check.tolerance, check.atol)


def test_the_expected_values_match_the_lab_worked_by_hand():
    forward = {c.expression: c.expected for c in QUESTIONS["forward"].checks}
    # h1 = ReLU(U x1) = ReLU([0.6, 0.1]); h2 = ReLU(U x2 + V h1) = ReLU([0.15 + 0.28, 0.1 + 0.47])
    for name, value in {
        "h1": [0.6, 0.1],
        "o1": [0.13, -0.07],
        "h2": [0.43, 0.57],
        "o2": [0.143, 0.199],
    }.items():
        assert forward[name] == pytest.approx(value, abs=1e-12)
    bigram = [c.expected for c in QUESTIONS["bigram"].checks[:3]]
    assert bigram == pytest.approx(
        [0.6**6 * 0.4 * 0.7 * 0.3, 0.6 * 0.4 * 0.7 * 0.7, 0.3**2 * 0.4**2 * 0.7**5]
    )
    # N = 1: dL/dU = 2 (W h1 - x2) W x1 with h1 = U x1 = 0.05
    assert QUESTIONS["bptt"].checks[0].expected == pytest.approx(2 * (0.3 * 0.05 - 0.6) * 0.3 * 0.5)
    assert QUESTIONS["automatic_diff"].checks[1].expected == [[0.0, 1.0], [0.0, 0.0]]
    # the second inputs: dh11/dU = [x1_, 0] where h11's pre-activation is above 0
    assert QUESTIONS["automatic_diff"].checks[0].expected == [[0.5, -1.0], [0.0, 0.0]]


@pytest.mark.parametrize("name", [q for q in QUESTIONS if not QUESTIONS[q].written])
def test_an_independent_solution_passes_every_check(name):
    names = reference_solution()
    for check_ in QUESTIONS[name].checks:
        got = evaluate(check_, names)
        assert close(got, check_.expected, check_.tolerance, check_.atol), (check_, got)


def test_a_wrong_solution_fails_the_hidden_checks_too():
    names = reference_solution()
    right = names["sequence_probability"]
    names["sequence_probability"] = lambda seq, T: right(seq, T) * 0.6
    assert not any(passes(c, names) for c in QUESTIONS["bigram"].checks)
    names["dL_dU"] = lambda U, V, W, xs, h0: 0.0
    assert not any(passes(c, names) for c in QUESTIONS["bptt"].checks)


def test_every_question_has_a_public_and_a_hidden_check():
    for question in QUESTIONS.values():
        if question.written or question.name in derivations.DERIVATIONS:
            assert question.checks == ()
            continue
        assert any(c.hidden for c in question.checks), question.name
        assert any(not c.hidden for c in question.checks), question.name
        assert all(is_plain(c.expected) for c in question.checks)
    # 33 points: 23 for code, 6 for the derivations of 3.1-3.3, 4 read by a person.
    assert sum(q.points for q in QUESTIONS.values() if not q.written) == 29
    assert sum(q.points for q in QUESTIONS.values() if q.written) == 4


def test_the_master_notebooks_test_cells_are_made_from_the_checks():
    master = nbformat.read(MASTER, as_version=4)
    synced = checks.sync_master(nbformat.read(MASTER, as_version=4))
    assert [(c.cell_type, c.source) for c in synced.cells] == [
        (c.cell_type, c.source) for c in master.cells
    ], "run: python -m rnnlab.grading"
    sources = "\n".join(c.source for c in master.cells)
    for question in QUESTIONS.values():
        for check_ in question.checks:
            assert f"    expression = {check_.expression!r}\n" in sources
            assert f"    expected = {check_.expected!r}\n" in sources


def test_the_repositorys_notebook_is_the_master():
    copy = Path(__file__).resolve().parents[1] / "notebooks" / "rnn_lab.ipynb"
    assert copy.read_bytes() == MASTER.read_bytes()


def run_test_cell(check_: checks.Check, names: dict) -> None:
    """A test cell as otter runs it: define the test function, call it with the names."""
    scope: dict = {}
    exec(checks.test_cell(check_, "test_it"), scope)
    scope["test_it"](names)


def test_a_test_cell_runs_as_otter_runs_it():
    names = reference_solution()
    for question in QUESTIONS.values():
        for check_ in question.checks:
            run_test_cell(check_, dict(names))  # raises where it fails
    names["o1"] = torch.tensor([0.13, 0.07])
    with pytest.raises(AssertionError) as failed:
        run_test_cell(QUESTIONS["forward"].checks[0], names)
    assert str(failed.value) == (
        "o1 should be W h1 for the lab's example: got [0.13, 0.07], expected [0.13, -0.07]"
    )


def test_an_unanswered_question_says_so():
    names = reference_solution()
    names["o1"] = Ellipsis
    names["In"] = [*names["In"], "h1 = ...\no1 = ...\nh2 = ...\no2 = ..."]
    names["sequence_probability"] = lambda seq, T: None  # a body of ... returns None
    names["bigram_rnn_parameters"] = lambda T: None
    for question, number in [
        ("forward", 0),
        ("forward", 1),
        ("bigram", 0),
        ("general_bigram_RNN", 0),
    ]:
        with pytest.raises(AssertionError, match="not answered yet"):
            run_test_cell(QUESTIONS[question].checks[number], names)


def test_a_check_that_runs_past_its_time_limit_fails_alone():
    names = reference_solution()

    def endless(U, V, W, xs, h0):
        while True:
            pass

    names["dL_dU"] = endless
    with pytest.raises(plain_module.TimeLimit, match="time limit of 0.2 s"):
        plain_module.evaluate(QUESTIONS["bptt"].checks[0].expression, names, seconds=0.2)


def _busy(seconds: float) -> None:
    """Run for ``seconds`` (an endless loop that ends, so that a missing limit fails)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


def test_a_time_limit_inside_another_leaves_the_outer_one_running():
    # A check re-running a cell that holds its own time_limit: after the inner block, the
    # check's limit must still stop an endless loop.
    started = time.monotonic()
    with (
        pytest.raises(plain_module.TimeLimit, match="time limit of 0.3 s"),
        plain_module.time_limit(0.3),
    ):
        with plain_module.time_limit(5):
            pass
        _busy(3)
    assert time.monotonic() - started < 2


def test_an_outer_time_limit_sooner_than_the_inner_one_stops_the_inner_block():
    started = time.monotonic()
    limited = plain_module.time_limit
    stopped = pytest.raises(plain_module.TimeLimit, match="time limit of 0.3 s")
    with stopped, limited(0.3), limited(5):
        _busy(3)
    assert time.monotonic() - started < 2


def test_a_time_limit_gives_the_caller_back_its_timer_and_handler():
    fired = []

    def callers(signum, frame):
        fired.append(signum)

    before = signal.signal(signal.SIGALRM, callers)
    try:
        signal.setitimer(signal.ITIMER_REAL, 10)
        with plain_module.time_limit(1):
            pass
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 9 < left <= 10
        assert signal.getsignal(signal.SIGALRM) is callers
        with pytest.raises(plain_module.TimeLimit), plain_module.time_limit(0.2):
            _busy(3)  # the limit itself still works
        assert 8 < signal.getitimer(signal.ITIMER_REAL)[0] <= 10
        assert fired == []
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


@pytest.mark.parametrize("ignored", [False, True])
def test_a_callers_timer_due_first_goes_off_and_the_limit_still_holds(ignored):
    # A timer of the caller's that goes off inside the block (a sampling profiler, say)
    # runs its handler at its time; the block is still stopped at its own limit.
    fired = []
    handler = signal.SIG_IGN if ignored else (lambda signum, frame: fired.append(signum))
    before = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        started = time.monotonic()
        stopped = pytest.raises(plain_module.TimeLimit, match="time limit of 0.5 s")
        with stopped, plain_module.time_limit(0.5):
            _busy(3)
        assert 0.4 < time.monotonic() - started < 2
        assert fired == ([] if ignored else [signal.SIGALRM])
        assert signal.getsignal(signal.SIGALRM) == handler
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # it went off: nothing left
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def test_a_callers_timer_with_no_handler_still_ends_the_process():
    # SIGALRM's default is to end the process: a time_limit inside must not cancel that.
    script = f"""
import importlib.util, signal, time
spec = importlib.util.spec_from_file_location("plain", {plain_module.__file__!r})
plain = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plain)
signal.setitimer(signal.ITIMER_REAL, 0.1)
with plain.time_limit(5):
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        pass
print("still running")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGALRM, done
    assert done.stdout == b""


@pytest.mark.parametrize("seconds", [-1, 0, math.nan, math.inf, "5", True])
def test_a_time_limit_of_no_positive_time_is_refused_before_it_sets_anything(seconds):
    before = signal.getsignal(signal.SIGALRM)
    refused = pytest.raises(ValueError, match=f"positive number of seconds, got {seconds!r}")
    with refused, plain_module.time_limit(seconds):
        pass
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_time_limit_leaves_alone_a_handler_python_cannot_put_back(monkeypatch):
    # getsignal gives None for a handler set outside Python (a program embedding it):
    # signal.signal could not restore it, so the block runs without a limit, and no
    # alarm is set (the handler in place records one, should it come).
    fired, set_handlers = [], []
    before = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        with monkeypatch.context() as patched:
            patched.setattr(signal, "getsignal", lambda signum: None)
            patched.setattr(signal, "signal", lambda *arguments: set_handlers.append(arguments))
            with plain_module.time_limit(0.1):
                _busy(0.3)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)
    assert set_handlers == []
    assert fired == []


def float32_dL_dU(U, V, W, xs, h0):
    """dL/dU of the lab's scalar RNN in float32 tensors: each path's product, summed."""
    U, V, W = (torch.tensor(w, dtype=torch.float32) for w in (U, V, W))
    xs = torch.tensor(xs, dtype=torch.float32)
    h, z = [torch.tensor(h0, dtype=torch.float32)], []
    for t in range(len(xs) - 1):
        z.append(U * xs[t] + V * h[-1])
        h.append(torch.relu(z[-1]))
    slope = [(zt > 0).float() for zt in z]
    total = torch.tensor(0.0)
    for t in range(len(xs) - 1):
        upstream = 2 * (W * h[t + 1] - xs[t + 1]) * W
        for k in range(t, -1, -1):
            total = total + upstream * slope[k] * xs[k]
            upstream = upstream * slope[k] * V
    return float(total)


def test_a_correct_float32_dL_dU_gets_every_point():
    # It got 0.75 of 6: the tolerance was 1e-9 against float32's rounding.
    names = reference_solution()
    names["dL_dU"] = float32_dL_dU
    got = [evaluate(c, names) for c in QUESTIONS["bptt"].checks]
    assert got[0] != QUESTIONS["bptt"].checks[0].expected  # it does carry float32 rounding
    assert all(passes(c, names) for c in QUESTIONS["bptt"].checks)


def numbers(value: object) -> list[float]:
    if isinstance(value, list):
        return [number for item in value for number in numbers(item)]
    return [value]


def test_no_check_expects_what_a_constant_gives():
    # sequence_probability returning 1, dL_dU returning 0 and U_grad all zeros each
    # matched an expected value.
    for question in QUESTIONS.values():
        for check_ in question.checks:
            values = {abs(number) for number in numbers(check_.expected)}
            assert values not in ({0.0}, {1.0}), check_


def test_the_second_inputs_tell_what_the_lab_cannot():
    U, V, x1, x2, h0 = (checks_forward.SECOND_FORWARD[n] for n in ("U", "V", "x1", "x2", "h0"))
    z1 = U @ x1 + V @ h0
    z2 = U @ x2 + V @ torch.clamp(z1, min=0)
    assert (z1 < 0).any() and (z2 < 0).any() and (h0 != 0).all()  # ReLU cuts; V counts
    inputs = checks_backward.SECOND_AUTOGRAD
    z = inputs["U_"] @ inputs["x1_"] + inputs["V_"] @ inputs["h0_"]
    assert (z > 0).all() and (inputs["x1_"] != 0).all()  # [0], [1] and sum() all differ
    # aabbb has a -> b once and b -> a never: T[i, j] and T[j, i] give other products
    assert QUESTIONS["bigram"].checks[1].expected == pytest.approx(0.6 * 0.4 * 0.7 * 0.7)


def test_plain_turns_values_into_json_data():
    assert plain(torch.tensor([[1, 2]], dtype=torch.int64)) == [[1.0, 2.0]]
    assert plain((torch.tensor(0.5), 3, True, None, "a")) == [0.5, 3.0, True, None, "a"]
    assert plain([math.nan, math.inf, -math.inf]) == ["nan", "inf", "-inf"]
    assert plain(torch.tensor([1.0], requires_grad=True) * 2) == [2.0]
    for bad, error in [
        (len, TypeError),
        ({"a": 1}, TypeError),
        (torch.tensor([1j]), TypeError),
        (torch.zeros(200_000), ValueError),
        ([1.0, ...], plain_module.NotAnsweredError),
    ]:
        with pytest.raises(error):
            plain(bad)
    deep: list = []
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(ValueError, match="levels"):
        plain(deep)


def test_close_compares_structure_and_numbers_within_the_tolerances():
    assert close([1.0, [2.0]], [1.0, [2.0 + 1e-7]], 1e-6)
    assert close(1000.0, 1000.0005, 1e-6)  # relative
    assert not close(1.0, 1.00001, 1e-6)
    assert close(1e-7, 0.0, 1e-4, 1e-6) and not close(2e-6, 0.0, 1e-4, 1e-6)  # absolute
    assert close([0.25], 0.25, 1e-6) and close([[0.25]], 0.25, 1e-6)  # one number in a tensor
    assert not close([0.25, 0.25], 0.25, 1e-6)
    assert not close([1.0], [1.0, 2.0], 1e-6)
    assert not close([[1.0, 2.0]], [1.0, 2.0], 1e-6)
    assert not close(True, 1.0, 1e-6) and not close(1.0, True, 1e-6)
    assert not close("nan", 1.0, 1e-6) and not close(None, 0.0, 1e-6)
    assert not is_plain(math.nan) and not is_plain({"a": 1}) and is_plain([1, "x", None])
    with pytest.raises(AssertionError, match="^message: got 2, expected 1$"):
        check({"x": 2}, "x", 1.0, 1e-6, 0.0, "message")
