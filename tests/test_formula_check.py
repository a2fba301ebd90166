"""formulas.check_answer: students' formulas for dL/dU, their verdicts derived by hand here.

Each answer below is written as a student would type it; the paths it misses and the
terms it has too many are worked out by hand from the lab's paths (k, t), 1 ≤ k ≤ t ≤ N,
whose term is ∂L/∂o_t · ∂o_t/∂h_t · ∂h_t/∂h_(t-1) ⋯ ∂h_(k+1)/∂h_k · ∂h_k/∂U.
"""

import subprocess
import sys

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab import formulas
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.model.formula_check import WHY
from rnnlab.model.formula_polynomial import path_sum
from rnnlab.model.formulas import Verdict, check_answer

# Section 3.1-3.3's answers, written out by hand in three notations.
N1_LATEX = (
    r"\frac{\partial L}{\partial o_1}\frac{\partial o_1}{\partial h_1}"
    r"\frac{\partial h_1}{\partial \mathbf{U}}"
)
N2_LATEX = (
    r"\frac{\partial L}{\partial o_1} \frac{\partial o_1}{\partial h_1} "
    r"\frac{\partial h_1}{\partial U} + \frac{\partial L}{\partial o_2} "
    r"\frac{\partial o_2}{\partial h_2} \frac{\partial h_2}{\partial U} + "
    r"\frac{\partial L}{\partial o_2} \frac{\partial o_2}{\partial h_2} "
    r"\frac{\partial h_2}{\partial h_1} \frac{\partial h_1}{\partial U}"
)
N2_ASCII = "dL/do1 do1/dh1 dh1/dU + dL/do2 do2/dh2 dh2/dU + dL/do2 do2/dh2 dh2/dh1 dh1/dU"
N3_UNICODE = (
    "∂L/∂o₁ ∂o₁/∂h₁ ∂h₁/∂U + ∂L/∂o₂ ∂o₂/∂h₂ ∂h₂/∂U + ∂L/∂o₂ ∂o₂/∂h₂ ∂h₂/∂h₁ ∂h₁/∂U"
    " + ∂L/∂o₃ ∂o₃/∂h₃ ∂h₃/∂U + ∂L/∂o₃ ∂o₃/∂h₃ ∂h₃/∂h₂ ∂h₂/∂U"
    " + ∂L/∂o₃ ∂o₃/∂h₃ ∂h₃/∂h₂ ∂h₂/∂h₁ ∂h₁/∂U"
)
GENERAL = (
    r"\sum_{t=1}^{N}\sum_{k=1}^{t} \frac{\partial L}{\partial o_t}\frac{\partial o_t}"
    r"{\partial h_t}\prod_{j=k+1}^{t}\frac{\partial h_j}{\partial h_{j-1}}"
    r"\frac{\partial h_k}{\partial U}"
)

# The terms of paths written as the verdict writes them, in the chain rule's order.
TERM_11 = "∂L/∂o_1 · ∂o_1/∂h_1 · ∂h_1/∂U"
TERM_12 = "∂L/∂o_2 · ∂o_2/∂h_2 · ∂h_2/∂h_1 · ∂h_1/∂U"
TERM_22 = "∂L/∂o_2 · ∂o_2/∂h_2 · ∂h_2/∂U"

CORRECT = [
    # N = 1 in every notation.
    (N1_LATEX, 1),
    (rf"${N1_LATEX}$", 1),
    (
        r"$$\frac{\partial L}{\partial \mathbf{U}} = \frac{\partial h_{1}}{\partial \mathbf{U}}"
        r" \times \frac{\partial o_{1}}{\partial h_{1}} \times \frac{\partial L}{\partial o_{1}}$$",
        1,
    ),
    (
        r"\partial L / \partial o_1 \cdot \partial o_1/\partial h_1 \cdot "
        r"\partial h_1 / \partial U",
        1,
    ),
    ("∂L/∂o₁ · ∂o₁/∂h₁ · ∂h₁/∂U", 1),
    ("dL/do1 * do1/dh1 * dh1/dU", 1),
    ("dL/dU = dL/do_1 do_1/dh_1 dh_1/dU.", 1),
    (r"\dfrac{dL}{do_1}\dfrac{do_1}{dh_1}\dfrac{dh_1}{d\mathbf{U}}", 1),
    (
        r"\frac{\partial{\mathcal{L}}}{\partial{o_{1}}}\frac{\partial{o_1}}{\partial{h_1}}"
        r"\frac{\partial{h_1}}{\partial{\boldsymbol{U}}}",
        1,
    ),
    (
        r"\frac{\partial L(o_1, x_2)}{\partial o_1} \frac{\partial o_1(h_1, \mathbf{W})}"
        r"{\partial h_1} \frac{\partial h_1(\mathbf{U}, \mathbf{V}, h_0, x_1)}"
        r"{\partial \mathbf{U}}",
        1,
    ),
    # N = 2: written out, factored, reordered, over several lines.
    (N2_LATEX, 2),
    (N2_ASCII, 2),
    ("∂L/∂o_1 ∂o_1/∂h_1 ∂h_1/∂U + ∂L/∂o_2 ∂o_2/∂h_2 (∂h_2/∂U + ∂h_2/∂h_1 ∂h_1/∂U)", 2),
    (
        r"\frac{\partial h_1}{\partial U}\left(\frac{\partial L}{\partial o_1}\frac{\partial o_1}"
        r"{\partial h_1} + \frac{\partial L}{\partial o_2}\frac{\partial o_2}{\partial h_2}"
        r"\frac{\partial h_2}{\partial h_1}\right) + \frac{\partial L}{\partial o_2}"
        r"\frac{\partial o_2}{\partial h_2}\frac{\partial h_2}{\partial U}",
        2,
    ),
    ("dh2/dU do2/dh2 dL/do2 + dh1/dU dh2/dh1 do2/dh2 dL/do2 + do1/dh1 dh1/dU dL/do1", 2),
    (
        "$$\\begin{aligned}\n\\frac{\\partial L}{\\partial U} &= \\frac{\\partial L}{\\partial "
        "o_1}\\frac{\\partial o_1}{\\partial h_1}\\frac{\\partial h_1}{\\partial U} \\\\\n"
        "&\\quad + \\frac{\\partial L}{\\partial o_2}\\frac{\\partial o_2}{\\partial h_2}\\left["
        "\\frac{\\partial h_2}{\\partial U} + \\frac{\\partial h_2}{\\partial h_1}\\frac{\\partial "
        "h_1}{\\partial U}\\right]\n\\end{aligned}$$",
        2,
    ),
    (r"\sum_{t=1}^{2}\sum_{k=1}^{t} " + GENERAL.split("^{t} ", 1)[1], 2),
    # N = 3: written out in Unicode, nested factoring, the general formula at N = 3.
    (N3_UNICODE, 3),
    (
        "∂L/∂o₃ ∂o₃/∂h₃ (∂h₃/∂U + ∂h₃/∂h₂ (∂h₂/∂U + ∂h₂/∂h₁ ∂h₁/∂U))"
        " + ∂L/∂o₂ ∂o₂/∂h₂ (∂h₂/∂U + ∂h₂/∂h₁ ∂h₁/∂U) + ∂L/∂o₁ ∂o₁/∂h₁ ∂h₁/∂U",
        3,
    ),
    (GENERAL, 3),
    # Any N.
    (GENERAL, None),
    (rf"$$\frac{{\partial L}}{{\partial \mathbf{{U}}}} = {GENERAL}$$", None),
    (  # the sums the other way round
        r"\sum_{k=1}^{N}\sum_{t=k}^{N} \frac{\partial L}{\partial o_t}\frac{\partial o_t}"
        r"{\partial h_t}\left(\prod_{j=k+1}^{t}\frac{\partial h_j}{\partial h_{j-1}}\right)"
        r"\frac{\partial h_k}{\partial U}",
        None,
    ),
    (  # other index names, the product written upwards, limits in the other order
        r"\sum^{N}_{i=1}\sum_{m=1}^{i}\frac{\partial L}{\partial o_{i}}\frac{\partial o_{i}}"
        r"{\partial h_{i}}\frac{\partial h_{m}}{\partial U}\prod_{s=m}^{i-1}"
        r"\frac{\partial h_{s+1}}{\partial h_{s}}",
        None,
    ),
    ("∑_{t=1}^{N} ∑_{k=1}^{t} ∂L/∂o_t ∂o_t/∂h_t ∏_{j=k+1}^{t} ∂h_j/∂h_{j-1} ∂h_k/∂U", None),
    (
        "sum_{t=1}^{n} sum_{k=1}^{t} dL/do_t * do_t/dh_t * prod_{j=k+1}^{t} dh_j/dh_{j-1}"
        " * dh_k/dU",
        None,
    ),
    (  # the inner sum factored out of ∂L/∂o_t ∂o_t/∂h_t
        r"\sum_{t=1}^{N} \frac{\partial L}{\partial o_t}\frac{\partial o_t}{\partial h_t}"
        r"\sum_{k=1}^{t}\prod_{j=k+1}^{t}\frac{\partial h_j}{\partial h_{j-1}}"
        r"\frac{\partial h_k}{\partial U}",
        None,
    ),
]


@pytest.mark.parametrize(("answer", "N"), CORRECT)
def test_a_correct_formula_in_any_notation_is_correct(answer, N):
    verdict = check_answer(answer, N)
    assert verdict == Verdict(True, True, (), (), verdict.message, verdict.N)
    assert verdict.message.startswith("Correct")


def test_dl_dv_is_checked_with_the_partials_of_v():
    answer = "dL/dV = dL/do1 do1/dh1 dh1/dV + dL/do2 do2/dh2 (dh2/dV + dh2/dh1 dh1/dV)"
    assert check_answer(answer, 2, wrt="V").correct
    wrong = check_answer(N2_ASCII, 2, wrt="V")
    assert wrong.missing == ((1, 1), (1, 2), (2, 2)) and "wrong_parameter" in wrong.mistakes


# Wrong answers: (answer, N, missing, extra, a misconception the message must name).
WRONG = [
    # A term through ∂o_1/∂U, which is 0.
    (
        "∂L/∂o_1 ∂o_1/∂h_1 ∂h_1/∂U + ∂L/∂o_1 ∂o_1/∂U",
        1,
        (),
        ("∂L/∂o_1 · ∂o_1/∂U",),
        "output_partial",
    ),
    # ∂h_t/∂U taken for the total derivative: only the paths (t, t).
    (
        r"\sum_{t=1}^{3} \frac{\partial L}{\partial o_t}\frac{\partial o_t}{\partial h_t}"
        r"\frac{\partial h_t}{\partial U}",
        3,
        ((1, 2), (1, 3), (2, 3)),
        (),
        "total_derivative",
    ),
    ("dL/do1 do1/dh1 dh1/dU + dL/do2 do2/dh2 dh2/dU", 2, ((1, 2),), (), "total_derivative"),
    # The product starts at j = k: ∂h_1/∂h_0 where U enters h_1.
    (
        "dL/do1 do1/dh1 dh1/dU + dL/do2 do2/dh2 dh2/dU + dL/do2 do2/dh2 dh2/dh1 dh1/dh0 dh1/dU",
        2,
        ((1, 2),),
        ("∂L/∂o_2 · ∂o_2/∂h_2 · ∂h_2/∂h_1 · ∂h_1/∂h_0 · ∂h_1/∂U",),
        "product_start",
    ),
    # ... and a product that leaves a step out: path (1, 3) without ∂h_2/∂h_1.
    (
        N2_ASCII + " + dL/do3 do3/dh3 (dh3/dU + dh3/dh2 dh2/dU + dh3/dh2 dh1/dU)",
        3,
        ((1, 3),),
        ("∂L/∂o_3 · ∂o_3/∂h_3 · ∂h_3/∂h_2 · ∂h_1/∂U",),
        "product_start",
    ),
    # The sum over k runs past t: U entering at h_2 cannot reach o_1.
    (N2_ASCII + " + dL/do1 do1/dh1 dh2/dU", 2, (), ("∂L/∂o_1 · ∂o_1/∂h_1 · ∂h_2/∂U",), "k_past_t"),
    # Path (1, 2) counted twice, once written again and once times 2.
    (N2_ASCII + " + dL/do2 do2/dh2 dh2/dh1 dh1/dU", 2, (), (TERM_12,), "counted_twice"),
    (
        "dL/do1 do1/dh1 dh1/dU + dL/do2 do2/dh2 dh2/dU + 3 dL/do2 do2/dh2 dh2/dh1 dh1/dU",
        2,
        (),
        ("2 · " + TERM_12,),
        "counted_twice",
    ),
    # V for U.
    (
        "∂L/∂o_1 ∂o_1/∂h_1 ∂h_1/∂V",
        1,
        ((1, 1),),
        ("∂L/∂o_1 · ∂o_1/∂h_1 · ∂h_1/∂V",),
        "wrong_parameter",
    ),
    ("dL/dV = " + N2_ASCII, 2, (), (), "wrong_parameter"),
    # dL/dW's term: W meets the chain at o_1.
    ("∂L/∂o₁ ∂o₁/∂W", 1, ((1, 1),), ("∂L/∂o_1 · ∂o_1/∂W",), "wrong_parameter"),
    # The answer for another N.
    (N2_LATEX, 3, ((1, 3), (2, 3), (3, 3)), (), "other_N"),
    (
        N3_UNICODE,
        2,
        (),
        (
            "∂L/∂o_3 · ∂o_3/∂h_3 · ∂h_3/∂h_2 · ∂h_2/∂h_1 · ∂h_1/∂U",
            "∂L/∂o_3 · ∂o_3/∂h_3 · ∂h_3/∂h_2 · ∂h_2/∂U",
            "∂L/∂o_3 · ∂o_3/∂h_3 · ∂h_3/∂U",
        ),
        "other_N",
    ),
    # A term subtracted.
    (
        "dL/do1 do1/dh1 dh1/dU + dL/do2 do2/dh2 dh2/dU − dL/do2 do2/dh2 dh2/dh1 dh1/dU",
        2,
        ((1, 2),),
        ("−" + TERM_12,),
        "minus_sign",
    ),
    # A factor left out: ∂o_1/∂h_1.
    ("dL/do1 dh1/dU", 1, ((1, 1),), ("∂L/∂o_1 · ∂h_1/∂U",), "not_a_path"),
    # A number alone as a term.
    ("dL/do1 do1/dh1 dh1/dU + 1", 1, (), ("1",), "not_a_path"),
    # One path forgotten among six.
    (N3_UNICODE.replace(" + ∂L/∂o₃ ∂o₃/∂h₃ ∂h₃/∂h₂ ∂h₂/∂U", ""), 3, ((2, 3),), (), None),
]


@pytest.mark.parametrize(("answer", "N", "missing", "extra", "mistake"), WRONG)
def test_a_wrong_formula_gets_its_missing_paths_and_extra_terms(answer, N, missing, extra, mistake):
    verdict = check_answer(answer, N)
    assert (verdict.readable, verdict.correct, verdict.N) == (True, False, N)
    assert verdict.missing == missing
    assert sorted(verdict.extra) == sorted(extra)
    for k, t in missing:
        assert f"({k}, {t})" in verdict.message
    if mistake is not None:
        assert mistake in verdict.mistakes
        why = WHY.get(mistake)
        assert why is None or why.format(P="U", Q="V") in verdict.message


def test_the_messages_say_why_in_the_students_terms():
    assert "∂o_t/∂U is 0" in check_answer(WRONG[0][0], 1).message
    assert "not the total derivative" in check_answer(WRONG[2][0], 2).message
    assert "∂h_1/∂h_0, although U enters at h_1 itself" in check_answer(WRONG[3][0], 2).message
    assert "U enters at h_2, after o_1" in check_answer(WRONG[5][0], 2).message
    assert f"{TERM_12} appears 2 times" in check_answer(WRONG[6][0], 2).message
    assert (
        "left-hand side is dL/dV. The question asks for dL/dU"
        in check_answer(WRONG[9][0], 2).message
    )
    assert "This is dL/dU for N = 2, not for N = 3" in check_answer(N2_LATEX, 3).message
    assert "lacks ∂o_1/∂h_1" in check_answer("dL/do1 dh1/dU", 1).message
    # A wrong term written for path (1, 2) is no sign of ∂h_2/∂U taken as the total derivative.
    assert check_answer(WRONG[3][0], 2).mistakes == ("product_start",)


# General formulas: the smallest N where they are not the sum over paths.
GENERAL_WRONG = [
    # ∂h_t/∂U as the total derivative: right for N = 1, path (1, 2) missing at N = 2.
    ("dL/dU = Σ_(t=1…N) ∂L/∂o_t · ∂o_t/∂h_t · ∂h_t/∂U", 2, ((1, 2),), (), "total_derivative"),
    # The product from j = k: wrong already at N = 1.
    (
        GENERAL.replace("j=k+1", "j=k"),
        1,
        ((1, 1),),
        ("∂L/∂o_1 · ∂o_1/∂h_1 · ∂h_1/∂h_0 · ∂h_1/∂U",),
        "product_start",
    ),
    # k up to N instead of t: wrong from N = 2, where U entering h_2 would reach o_1.
    (
        GENERAL.replace("k=1}^{t}", "k=1}^{N}"),
        2,
        (),
        ("∂L/∂o_1 · ∂o_1/∂h_1 · ∂h_2/∂U",),
        "k_past_t",
    ),
    # The paths (t, t) added again.
    (
        GENERAL + r" + \sum_{t=1}^{N} \frac{\partial L}{\partial o_t}\frac{\partial o_t}"
        r"{\partial h_t}\frac{\partial h_t}{\partial U}",
        1,
        (),
        (TERM_11,),
        "counted_twice",
    ),
    # The formula for N = 2 given as the general one: at N = 1 it has the terms of o_2.
    (N2_ASCII, 1, (), (TERM_12, TERM_22), "other_N"),
    # ∂h_t/∂h_k for the chain from h_k to h_t: at N = 1 it writes ∂h_1/∂h_1.
    (
        "Σ_(t=1…N) Σ_(k=1…t) ∂L/∂o_t ∂o_t/∂h_t ∂h_t/∂h_k ∂h_k/∂U",
        1,
        ((1, 1),),
        ("∂L/∂o_1 · ∂o_1/∂h_1 · ∂h_1/∂h_1 · ∂h_1/∂U",),
        "long_jacobian",
    ),
    # Right until N = 3, then a term through ∂o_4/∂U.
    (
        GENERAL
        + r" + \sum_{t=4}^{N} \frac{\partial L}{\partial o_t}\frac{\partial o_t}{\partial U}",
        4,
        (),
        ("∂L/∂o_4 · ∂o_4/∂U",),
        "output_partial",
    ),
]


@pytest.mark.parametrize(("answer", "N", "missing", "extra", "mistake"), GENERAL_WRONG)
def test_a_wrong_general_formula_is_described_at_the_first_n_it_fails(
    answer, N, missing, extra, mistake
):
    verdict = check_answer(answer)
    assert (verdict.readable, verdict.correct, verdict.N) == (True, False, N)
    assert verdict.missing == missing
    assert sorted(verdict.extra) == sorted(extra)
    assert mistake in verdict.mistakes
    assert f"for N = {N}" in verdict.message


def test_a_general_formula_is_checked_past_the_indices_it_writes():
    # A term for t ≥ 1 that exists only where N ≥ t + t + ... (14 times): at N = 14.
    many = "+".join(["t"] * 14)
    answer = (
        GENERAL
        + rf" + \sum_{{t=1}}^{{1}} \sum_{{s={many}}}^{{N}} \frac{{\partial L}}{{\partial o_s}}"
    )
    verdict = check_answer(answer)
    assert verdict.N == 14 and verdict.extra == ("∂L/∂o_14",)


def test_a_general_formula_is_checked_past_the_numbers_it_writes():
    # Right for N ≤ 13, then one term too many: found although 13 > the 12 always checked.
    answer = (
        GENERAL
        + r" + \sum_{t=14}^{N} \frac{\partial L}{\partial o_t}\frac{\partial o_t}{\partial U}"
    )
    verdict = check_answer(answer)
    assert verdict.N == 14 and verdict.extra == ("∂L/∂o_14 · ∂o_14/∂U",)
    assert "(it is for N = 1 … 13)" in verdict.message


UNREADABLE = [
    ("", "empty"),
    ("   \n ", "empty"),
    ("dL/do1 do1/dh1 dh1/dU +", "ends in the middle"),
    (r"\frac{\partial L}{\partial o_1", "ends in the middle"),
    ("the answer is dL/dU", "line 1, column 1, at 'the answer is dL/dU'"),
    (r"\frac{\partial L}{\partial o_1} \cdots \frac{\partial h_1}{\partial U}", "column 33"),
    ("dL/do1 do1/dh1 dh1/dU\n+ dL/do2 ? do2/dh2", "line 2, column 10, at '? do2/dh2'"),
    (r"\sum_{t=1}^{N} \frac{\partial L}{\partial o_k}", "k in ∂L/∂o_k (at line 1, column 16)"),
    (r"\frac{\partial L}{\partial o_1} \sum_{t=1}^{N}", "Σ_(t=1…N) (at line 1, column 33) is"),
    ("dL/do1 do1/dh1 dh1/dU\n + sum_{t=1}^{1000} dL/do_t", "(at line 2, column 4) runs over"),
    ("W dL/do1", "line 1, column 1, at 'W dL/do1'"),
    (r"\sum_t \frac{\partial L}{\partial o_t}", "column 6"),
]


@pytest.mark.parametrize(("answer", "where"), UNREADABLE)
def test_unreadable_text_says_where_reading_stopped(answer, where):
    verdict = check_answer(answer, 2)
    assert (verdict.readable, verdict.correct, verdict.missing, verdict.extra) == (
        False,
        False,
        (),
        (),
    )
    assert where in verdict.message and verdict.message.startswith("Could not read")


def test_brackets_nested_past_pythons_recursion_are_unreadable_not_an_error():
    deep = "(" * 2000 + "dL/do1 do1/dh1 dh1/dU" + ")" * 2000
    verdict = check_answer(deep, 1)
    assert not verdict.readable and "nested too deeply" in verdict.message
    assert check_answer("(" * 50 + "dL/do1 do1/dh1 dh1/dU" + ")" * 50, 1).correct


def test_a_text_past_the_longest_read_is_unreadable_without_reading_it():
    answer = " + ".join(["dL/do1 do1/dh1 dh1/dU"] * 5000)  # 119,997 characters
    verdict = check_answer(answer, 1)
    assert not verdict.readable and "119,997 characters" in verdict.message


def test_a_line_separator_that_is_no_newline_does_not_move_the_place_named():
    # U+2028 ends a line for str.splitlines but not for the parser: the column counts it.
    verdict = check_answer("dL/do1\u2028 ? do1/dh1", 1)
    assert "line 1, column 9, at '? do1/dh1'" in verdict.message


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_any_unicode_text_gets_a_verdict(text):
    verdict = check_answer(text, 3)
    assert isinstance(verdict, Verdict) and verdict.message


TOKENS = [
    *r"dLohUV_{}()[]^+-*/=123tkjN ∂·Σ∏₁₂$.,".replace(" ", ""),
    " ",
    r"\frac",
    r"\partial",
    r"\sum",
    r"\prod",
    r"\cdot",
    r"\left(",
    r"\right)",
    r"\mathbf{U}",
    "dL/do1",
    "do1/dh1",
    "dh1/dU",
    "_{t=1}^{N}",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join), st.sampled_from([None, 2]))
def test_any_text_gets_a_verdict_never_an_exception(text, N):
    verdict = check_answer(text, N)
    assert isinstance(verdict, Verdict)
    assert verdict.readable or verdict.message.startswith("Could not read")


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.randoms(use_true_random=False))
def test_chosen_paths_written_in_any_order_give_the_others_as_missing(N, rng):
    # Each path's term written by hand as ASCII, its factors shuffled; some paths left
    # out, some written twice.
    everything = [(k, t) for t in range(1, N + 1) for k in range(1, t + 1)]
    written = [path for path in everything if rng.random() < 0.7]
    twice = [path for path in written if rng.random() < 0.2]
    terms = []
    for k, t in written + twice:
        factors = [f"dL/do{t}", f"do{t}/dh{t}", f"dh{k}/dU"]
        factors += [f"dh{j}/dh{j - 1}" for j in range(k + 1, t + 1)]
        rng.shuffle(factors)
        terms.append(" * ".join(factors))
    rng.shuffle(terms)
    verdict = check_answer(" + ".join(terms) or "0", N)
    assert set(verdict.missing) == set(everything) - set(written)
    assert len(verdict.extra) == len(set(twice))
    assert verdict.correct == (set(written) == set(everything) and not twice)


@settings(max_examples=40, deadline=None)
@given(
    st.permutations("tkjims"),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_a_general_formula_is_correct_whatever_its_letters_and_order(
    letters, t_outside, upwards, entry_first
):
    t, k, j = letters[:3]
    sums = (
        rf"\sum_{{{t}=1}}^{{N}}\sum_{{{k}=1}}^{{{t}}}"
        if t_outside
        else rf"\sum_{{{k}=1}}^{{N}}\sum_{{{t}={k}}}^{{N}}"
    )
    step = (
        rf"\prod_{{{j}={k}+1}}^{{{t}}}\frac{{\partial h_{{{j}}}}}{{\partial h_{{{j}-1}}}}"
        if upwards
        else rf"\prod_{{{j}={k}}}^{{{t}-1}}\frac{{\partial h_{{{j}+1}}}}{{\partial h_{{{j}}}}}"
    )
    entry = rf"\frac{{\partial h_{{{k}}}}}{{\partial U}}"
    outputs = (
        rf"\frac{{\partial L}}{{\partial o_{{{t}}}}}"
        rf"\frac{{\partial o_{{{t}}}}}{{\partial h_{{{t}}}}}"
    )
    body = entry + outputs + step if entry_first else outputs + step + entry
    assert check_answer(sums + body).correct
    # The same with the product one step too long, or k running to N: wrong, and named.
    if upwards:
        too_long = check_answer(sums + body.replace("+1}", "}", 1))
        assert too_long.N == 1 and "product_start" in too_long.mistakes
    if t_outside:
        wrong = check_answer(sums.replace(f"^{{{t}}}", "^{N}") + body)
        assert wrong.N == 2 and "k_past_t" in wrong.mistakes


def _commutative(expression: sympy.Expr) -> dict[tuple[str, ...], int]:
    """formulas.gradient's sum of products as {sorted factor names: coefficient}."""
    result: dict[tuple[str, ...], int] = {}
    for term in sympy.Add.make_args(expression):
        names = tuple(sorted(str(factor) for factor in sympy.Mul.make_args(term)))
        result[names] = result.get(names, 0) + 1
    return result


@pytest.mark.parametrize("N", range(1, 9))
@pytest.mark.parametrize("wrt", ["U", "V"])
def test_the_path_sum_is_formulas_gradient(N, wrt):
    assert path_sum(N, wrt) == _commutative(formulas.gradient(N, wrt))


@pytest.mark.parametrize("N", [1, 2, 3, 5, 8])
def test_what_formulas_writes_reads_back_as_correct(N):
    for wrt in ("U", "V"):
        assert check_answer(formulas.text(N, wrt), N, wrt).correct
        assert check_answer(formulas.latex(N, wrt), N, wrt).correct
        assert check_answer(formulas.general_text(wrt), N, wrt).correct
    assert check_answer(formulas.general_text()).correct
    assert check_answer(formulas.general_latex()).correct


def test_a_large_n_is_checked_in_a_moment():
    assert check_answer(formulas.text(30), 30).correct
    assert check_answer(GENERAL, 30).correct


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ((None, 1), InvalidTypeError, "answer is NoneType"),
        (("x", 0), InvalidValueError, "N = 0"),
        (("x", 31), InvalidValueError, "N = 31"),
        (("x", True), InvalidTypeError, "N is True"),
        (("x", 2.0), InvalidTypeError, "N is 2.0"),
        (("x", 2, "W"), InvalidValueError, "unknown wrt 'W'"),
        (("x", 2, 1), InvalidTypeError, "wrt is int"),
    ],
)
def test_bad_arguments_are_refused_by_name(arguments, error, message):
    with pytest.raises(error, match=message):
        check_answer(*arguments)


def test_the_checker_loads_without_torch_or_sympy():
    code = (
        "import sys; import rnnlab.model.formula_check as c; "
        "assert c.check_answer('dL/do1 do1/dh1 dh1/dU', 1).correct; "
        "print(sorted(m for m in ('torch', 'sympy', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("arguments", "N", "wrt", "status", "first_line"),
    [
        (["dL/do1 do1/dh1 dh1/dU", "-N", "1"], 1, "U", 0, "verdict: correct"),
        ([N2_ASCII, "-N", "3"], 3, "U", 1, "verdict: wrong"),
        (["dL/do1 do1/dh1 +", "-N", "1"], 1, "U", 2, "verdict: unreadable"),
        ([GENERAL], None, "U", 0, "verdict: correct"),
        (["dL/dU = Σ_(t=1…N) ∂L/∂o_t · ∂o_t/∂h_t · ∂h_t/∂U"], None, "U", 1, "verdict: wrong"),
        (["dL/do1 do1/dh1 dh1/dV", "-N", "1", "--wrt", "V"], 1, "V", 0, "verdict: correct"),
    ],
)
def test_formula_check_prints_the_verdict_and_exits_by_it(
    arguments, N, wrt, status, first_line, rnnlab
):
    result = rnnlab("formula", "--check", *arguments)
    assert result.returncode == status, result.stderr
    assert result.stdout.splitlines() == [first_line, check_answer(arguments[0], N, wrt).message]


def test_formula_check_names_the_missing_paths(rnnlab):
    result = rnnlab("formula", "--check", N2_ASCII, "-N", "3")
    assert "(1, 3), (2, 3), (3, 3)" in result.stdout and "N = 2, not for N = 3" in result.stdout


def test_formula_check_refuses_a_bad_length_in_one_line(rnnlab):
    result = rnnlab("formula", "--check", "dL/do1 do1/dh1 dh1/dU", "-N", "0")
    assert result.returncode == 2 and "N = 0" in result.stderr
    result = rnnlab("formula")
    assert result.returncode == 2 and "give N or --general" in result.stderr


@pytest.mark.parametrize(
    "answer",
    [
        # Sums nested six deep, 200 values each: 6.4e13 terms before any is multiplied.
        "\\sum_{a=1}^{200}" * 6 + " dL/do_1",
        # A product of 30 sums of two different factors: 2^30 monomials once multiplied out.
        " ".join(f"(dL/do_{i} + do_{i}/dh_{i})" for i in range(1, 31)),
    ],
)
def test_an_answer_too_large_to_check_is_refused_not_worked_through(answer):
    # The grader checks a student's text outside the sandbox: no text may hold it up.
    for N in (None, 3):
        verdict = check_answer(answer, N)
        assert not verdict.readable and "more terms than can be checked" in verdict.message
