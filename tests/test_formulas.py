"""The symbolic gradient formulas: checked by sympy's own differentiation and by counting."""

import latex2mathml.converter
import pytest
import sympy

from rnnlab import count_paths, formulas, paths
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.model.formulas import partial


@pytest.mark.parametrize("N", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("wrt", ["U", "V", "W"])
def test_verify_agrees_with_direct_differentiation(N, wrt):
    assert formulas.verify(N, wrt) is True


def test_verify_catches_a_missing_path(monkeypatch):
    right = formulas.gradient

    def one_path_short(N, wrt="U"):
        return right(N, wrt) - formulas.terms(N, wrt)[-1]

    monkeypatch.setattr(formulas, "gradient", one_path_short)
    with pytest.raises(AssertionError, match="N = 3.*differs"):
        formulas.verify(3)


def test_verify_catches_factors_in_the_wrong_place(monkeypatch):
    # Putting ∂h_k/∂U at the wrong end of a path (k ≠ t) changes the value.
    def swapped(N, wrt="U"):
        return sympy.Add(
            *(
                term.subs(partial("h_1", wrt), partial(f"h_{N}", wrt))
                if term.has(partial(f"h_{N}", f"h_{N - 1}"))
                else term
                for term in formulas.terms(N, wrt)
            )
        )

    monkeypatch.setattr(formulas, "gradient", swapped)
    with pytest.raises(AssertionError):
        formulas.verify(2)


def test_the_labs_three_short_cases_written_out():
    L_o = [None] + [partial("L", f"o_{t}") for t in (1, 2, 3)]
    o_h = [None] + [partial(f"o_{t}", f"h_{t}") for t in (1, 2, 3)]
    h_U = [None] + [partial(f"h_{t}", "U") for t in (1, 2, 3)]
    h_h = {t: partial(f"h_{t}", f"h_{t - 1}") for t in (2, 3)}
    assert formulas.gradient(1) == L_o[1] * o_h[1] * h_U[1]
    assert formulas.gradient(2) == (
        L_o[1] * o_h[1] * h_U[1] + L_o[2] * o_h[2] * h_U[2] + L_o[2] * o_h[2] * h_h[2] * h_U[1]
    )
    assert formulas.gradient(3) == formulas.gradient(2) + (
        L_o[3] * o_h[3] * h_U[3]
        + L_o[3] * o_h[3] * h_h[3] * h_U[2]
        + L_o[3] * o_h[3] * h_h[3] * h_h[2] * h_U[1]
    )


def test_the_factors_keep_the_chain_rules_order():
    # Non-commuting symbols: for vectors these are matrices, so order matters.
    term = formulas.terms(2)[1]
    assert term.args == (
        partial("L", "o_2"),
        partial("o_2", "h_2"),
        partial("h_2", "h_1"),
        partial("h_1", "U"),
    )
    assert str(term) == "∂L/∂o_2*∂o_2/∂h_2*∂h_2/∂h_1*∂h_1/∂U"


@pytest.mark.parametrize("N", [1, 4, 12])
def test_one_term_per_path_through_its_states(N):
    terms = formulas.terms(N)
    assert len(terms) == count_paths(N)
    assert formulas.gradient(N) == sympy.Add(*terms)
    for (k, t), term in zip(paths(N), terms, strict=True):
        states = {symbol.of for symbol in term.free_symbols if symbol.of.startswith("h_")}
        # Path (k, t) passes h_k … h_t: t − k factors ∂h_j/∂h_{j−1}, besides 3 others.
        assert states == {f"h_{j}" for j in range(k, t + 1)}
        assert len(term.args) == 3 + t - k
    assert len(formulas.terms(N, "W")) == N


def test_latex_prints_the_partials_and_parses():
    text = formulas.latex(2)
    assert text.startswith(r"\frac{\partial L}{\partial \mathbf{U}} = ")
    assert r"\frac{\partial h_{2}}{\partial h_{1}}" in text
    assert text.count("+") == 2
    latex2mathml.converter.convert(text)
    assert r"\frac{\partial h_{12}}{\partial h_{11}}" in formulas.latex(12)


@pytest.mark.parametrize("wrt", ["U", "V", "W"])
def test_general_latex_is_the_double_sum(wrt):
    text = formulas.general_latex(wrt)
    latex2mathml.converter.convert(text)
    assert text.startswith(
        rf"\frac{{\partial L}}{{\partial \mathbf{{{wrt}}}}} = \sum_{{t=1}}^{{N}}"
    )
    if wrt == "W":
        assert r"\prod" not in text
    else:
        assert r"\sum_{k=1}^{t}" in text
        assert r"\prod_{j=k+1}^{t} \frac{\partial h_{j}}{\partial h_{j-1}}" in text
        assert text.endswith(rf"\frac{{\partial h_{{k}}}}{{\partial \mathbf{{{wrt}}}}}")


def test_bad_input():
    with pytest.raises(InvalidValueError, match="N = 0: a sequence needs at least one step"):
        formulas.gradient(0)
    with pytest.raises(InvalidValueError, match="unknown wrt 'x'; known: U, V, W"):
        formulas.latex(2, wrt="x")
    with pytest.raises(InvalidTypeError):
        formulas.verify(1.5)


def test_verify_scales_to_longer_sequences():
    # simplify() took over two minutes here; the polynomial comparison takes seconds.
    assert formulas.verify(12, "U") is True


def test_factor_count_counts_the_factors_of_every_term():
    for N in (1, 2, 3, 7):
        assert formulas.factor_count(N) == sum(len(term.args) for term in formulas.terms(N))


def test_text_lines_put_one_term_on_each_line():
    lines = formulas.text_lines(3)
    assert len(lines) == count_paths(3)
    assert lines[0] == "dL/dU = ∂L/∂o_1 · ∂o_1/∂h_1 · ∂h_1/∂U"
    assert lines[3] == "      + ∂L/∂o_3 · ∂o_3/∂h_3 · ∂h_3/∂h_2 · ∂h_2/∂h_1 · ∂h_1/∂U"
    assert " ".join(line.strip() for line in lines) == formulas.text(3)


def test_general_text_uses_the_plain_notation():
    text = formulas.general_text()
    assert "{" not in text and "}" not in text
    assert "∂h_j/∂h_(j-1)" in text
