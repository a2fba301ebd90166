"""Section 3 of the lab laid out from its answers: the scalar RNN, dL/dU for N = 1, 2, 3,
looking back at ∂h_1/∂U_(1,1), and arbitrary N (see rnnlab.render.layout)."""

from rnnlab.lab.backward import Backward, ScalarBackward
from rnnlab.lab.drawings import Picture
from rnnlab.lab.sections import Answers
from rnnlab.render.document import (
    DIGITS,
    Answer,
    Figure,
    Formula,
    Paragraph,
    Question,
    Section,
    Table,
    formula,
    matrix,
    plural,
)
from rnnlab.render.tables import number, vector


def backward_sections(answers: Answers) -> tuple[Section, ...]:
    """Sections 3, 3.1–3.3 (as many as the scalar inputs allow), 3.4 and 3.5."""
    backward = answers.backward
    return (
        _backward_intro(backward),
        *(_backward_case(case, case is backward.cases[-1], backward) for case in backward.cases),
        _h11(answers),
        _general(backward),
    )


def _backward_intro(backward: Backward) -> Section:
    xs = ", ".join(number(x) for x in backward.xs)
    steps = tuple(
        (
            str(t),
            number(backward.xs[t - 1], DIGITS),
            number(backward.h[t], DIGITS),
            number(backward.o[t - 1], DIGITS),
            number(backward.xs[t], DIGITS),
        )
        for t in range(1, len(backward.o) + 1)
    )
    return Section(
        "3",
        "The backward step",
        "backward",
        (
            Paragraph(
                f"The backward questions use a scalar RNN: U = {number(backward.U)}, "
                f"V = {number(backward.V)}, W = {number(backward.W)}, σ = {backward.sigma}, "
                f"h_0 = 0, on the inputs {xs}, with the language-model loss: each output is "
                f"compared with the next input, so these {_steps(backward)}"
            ),
            formula("L = Σ_(t=1…N) (x_(t+1) − o_t)²", r"L = \sum_{t=1}^{N} (x_{t+1} - o_t)^2"),
            Table(
                ("t", "x_t", "h_t = σ(U x_t + V h_(t-1))", "o_t = W h_t", "target x_(t+1)"),
                steps,
                "The scalar RNN step by step",
            ),
            Paragraph(
                "The chain rule gives one term for every way U can reach L. A path (k, t) is one "
                "such way: U enters the hidden states at h_k, is carried forward to h_t, and "
                "leaves through o_t into L. Its term is the product of the partial derivatives "
                "along it; the terms add up to dL/dU, which rnnlab's reverse sweep and torch "
                "autograd confirm."
            ),
        ),
    )


def _steps(backward: Backward) -> str:
    """How many steps the inputs give, and which of them sections 3.1–3.3 take."""
    lengths = [case.N for case in backward.cases]
    sections = "Section 3.1 takes" if len(lengths) == 1 else f"Sections 3.1–3.{len(lengths)} take"
    return (
        f"{len(backward.xs)} inputs give N = {len(backward.o)} steps, as in the table below "
        f"and in `rnnlab grad --example`. {sections} N = {', '.join(map(str, lengths))}, "
        "the lab's lengths, on the first N + 1 inputs."
    )


def _backward_case(case: ScalarBackward, last: bool, backward: Backward) -> Section:
    N = case.N
    partials = tuple((name, number(value, DIGITS)) for name, value in case.partials.items())
    terms = tuple(
        (f"({k}, {t})", str(t - k + 1), text, number(value, DIGITS))
        for ((k, t), value), text in zip(case.path_terms.items(), case.term_text, strict=True)
    )
    blocks = [
        Paragraph(f"N = {N}: {plural(case.path_count, 'path')} from U to L."),
        Formula(lines=case.formula_lines, latex=case.latex),
        Table(("partial derivative", "value"), partials, f"The partial derivatives for N = {N}"),
        Table(("path (k, t)", "h's on it", "term", "value"), terms, f"The terms for N = {N}"),
        Table(
            ("sum of the terms", "reverse sweep", "torch autograd"),
            (
                (
                    number(case.dL_dU, DIGITS),
                    number(case.reverse, DIGITS),
                    number(case.autograd, DIGITS),
                ),
            ),
            f"dL/dU for N = {N}",
        ),
        figure(Picture.UNROLLED, "every path from U to L highlighted", N),
        figure(Picture.BACKWARD_GRAPH, "torch's graph of L", N),
    ]
    if last:
        blocks += [
            Question("How many paths lead from U to L, and how many h's are on each?"),
            Answer(backward.paths_answer),
            Table(
                ("N", "paths from U to L", "h's on a path"),
                tuple((str(n), str(count), f"1 … {n}") for n, count in backward.path_counts),
                "N(N + 1)/2 paths: one per pair k ≤ t",
            ),
        ]
    return Section(f"3.{N}", f"dL/dU for N = {N}", f"backward-{N}", tuple(blocks))


def _h11(answers: Answers) -> Section:
    h11 = answers.h11
    x11 = number(float(answers.example.xs[0, 0]))
    return Section(
        "3.4",
        "Looking back: ∂h_1/∂U_(1,1)",
        "h11",
        (
            Paragraph(f"With section 1's values, z_1 = U x_1 + V h_0 = {vector(h11.z1)}."),
            Question("What is ∂h_1/∂U_(1,1), and do you need to know σ?"),
            Answer(h11.answer),
            formula(
                f"∂h_(1,1)/∂U_(1,1) = σ'(z_(1,1)) · x_(1,1) = σ'(z_(1,1)) · {x11}",
                r"\frac{\partial h_{1,1}}{\partial U_{1,1}} = \sigma'(z_{1,1})\, x_{1,1}"
                rf" = \sigma'(z_{{1,1}}) \cdot {x11}",
            ),
            Table(
                ("σ", "∂h_1/∂U_(1,1)"),
                tuple((name, vector(value)) for name, value in h11.dh1_dU11.items()),
                "For every σ (torch autograd)",
            ),
            matrix(
                f"U_grad, the gradient of h_(1,1) with respect to U (σ = {h11.sigma})", h11.U_grad
            ),
            Answer(h11.U_grad_answer),
            figure(Picture.H11_GRAPH, "values and gradients"),
        ),
    )


def _general(backward: Backward) -> Section:
    return Section(
        "3.5",
        "Arbitrary N",
        "general",
        (
            Question("What is dL/dU for a sequence of any length N?"),
            formula(backward.general_formula, backward.general_latex),
            Answer(backward.general_answer),
        ),
    )


def figure(picture: Picture, caption: str, N: "int | None" = None) -> Figure:
    """The block of one of the lab's figures, its caption led by its name."""
    name = picture.stem(N)
    return Figure(name, f"{name}: {caption}")
