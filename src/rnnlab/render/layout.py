"""The lab's sections, in the lab's order and numbers, laid out from its answers.

Every sentence that carries a number is built here or in rnnlab.lab's module for its part
of the lab, from the answers; the terminal and the page render these sections as they are
(rnnlab.render.document).
"""

from rnnlab.graphs.autograd import LEGEND
from rnnlab.lab.drawings import Picture
from rnnlab.lab.methods import MethodComparison
from rnnlab.lab.sections import Answers, BigramScores, Learning
from rnnlab.render.document import (
    DIGITS,
    Answer,
    Paragraph,
    Question,
    Section,
    Table,
    formula,
    learning_table,
    matrix,
    named_matrix,
    words,
)
from rnnlab.render.layout_backward import backward_sections, figure
from rnnlab.render.tables import number, vector


def lab_document(answers: Answers) -> tuple[Section, ...]:
    """Every section of the lab, then the three beyond it."""
    return (
        _forward(answers),
        _forward_graph(answers),
        _bigram(answers),
        _tiny(answers),
        _general_bigram(answers),
        *backward_sections(answers),
        _methods(answers.methods),
        _vanishing(),
        _learning(answers.learning, answers.bigram),
    )


def _forward(answers: Answers) -> Section:
    forward, example = answers.forward, answers.example
    N = len(forward.xs)
    steps = tuple(
        (
            str(t),
            vector(forward.xs[t - 1]),
            vector(forward.z[t - 1]),
            vector(forward.h[t]),
            vector(forward.o[t - 1]),
        )
        for t in range(1, N + 1)
    )
    return Section(
        "1.2",
        "The forward step",
        "forward",
        (
            Paragraph(
                "An Elman RNN reads its inputs one at a time. Each step mixes the new input with "
                "the previous hidden state, squashes the sum with σ, and reads a score off the "
                "new state:"
            ),
            formula(
                "h_t = σ(U x_t + V h_(t-1)),   o_t = W h_t",
                r"h_t = \sigma(\mathbf{U} x_t + \mathbf{V} h_{t-1}) \qquad o_t = \mathbf{W} h_t",
            ),
            Paragraph(
                f"Here σ = {forward.sigma}, h_0 = {vector(example.h0)}, and there are N = {N} "
                "inputs. The parameters:"
            ),
            matrix("U", example.U),
            matrix("V", example.V),
            matrix("W", example.W),
            Table(
                ("t", "x_t", "z_t = U x_t + V h_(t-1)", "h_t = σ(z_t)", "o_t = W h_t"),
                steps,
                "Step by step",
            ),
            Table(
                ("name", "value"),
                tuple((name, vector(value)) for name, value in forward.values.items()),
                "The values the lab asks for",
            ),
            Question("Why does h have one more element than x and o?"),
            Answer(forward.one_more_answer),
        ),
    )


def _forward_graph(answers: Answers) -> Section:
    names = ", ".join(answers.forward.values)
    return Section(
        "1.3",
        "The computation graph",
        "forward-graph",
        (
            Paragraph(
                f"The graph torch records while computing {names}, coloured as its legend says: "
                + "; ".join(f"{colour} boxes are the {what}" for colour, what in LEGEND.values())
                + "; the ellipses are the operations between them."
            ),
            figure(Picture.FORWARD_GRAPH, f"{names} from U, V, W, the inputs and h0"),
            Question("Is the generated computation graph what you expected?"),
            Answer(answers.forward.graph_answer),
        ),
    )


def _bigram(answers: Answers) -> Section:
    bigram = answers.bigram
    rows = tuple(
        (score.name, words(score.words), number(score.probability, DIGITS))
        for score in bigram.sequences
    )
    return Section(
        "2.1",
        "Bigram language models",
        "bigram",
        (
            Paragraph(
                "A bigram model predicts each word from the one before it only. Its table holds "
                "one distribution per previous word, so every row sums to 1:"
            ),
            formula(
                "T_(i,j) = Pr(v_j | v_i),   Σ_j T_(i,j) = 1",
                r"T_{ij} = \Pr(v_j \mid v_i), \qquad \sum_{j=1}^{V} T_{ij} = 1",
            ),
            named_matrix("T[i, j] = Pr(v_j | v_i)", bigram.T, bigram.vocab),
            Paragraph(
                "A sequence's probability is the product of the table entries for each "
                "consecutive pair; the first word only gives context:"
            ),
            formula(
                "Pr(w_1 … w_N) = Π_(t=1…N-1) T_(w_t, w_(t+1))",
                r"\Pr(w_1 \cdots w_N) = \prod_{t=1}^{N-1} T_{w_t w_{t+1}}",
            ),
            Table(("sequence", "words", "probability"), rows),
            Question("Which sequence is more likely?"),
            Answer(bigram.answer),
        ),
    )


def _tiny(answers: Answers) -> Section:
    tiny, vocab = answers.tiny, answers.bigram.vocab
    rows = tuple(
        (
            f"v_{i + 1} ({vocab[i]})",
            vector(output),
            vector(answers.bigram.T[i]),
            "yes" if equal else "NO",
        )
        for i, (output, equal) in enumerate(zip(tiny.outputs, tiny.equal, strict=True))
    )
    return Section(
        "2.2",
        "Tiny bigram RNN",
        "tiny-rnn",
        (
            Paragraph(
                "With σ the identity the hidden state can simply copy the one-hot input, and the "
                "output matrix can then look up the matching row of T. Taking V = 0 makes the "
                "state forget everything before the current word:"
            ),
            formula(
                "σ(x) = x,  U = I,  V = 0,  W = Tᵀ",
                r"\sigma(x) = x, \quad \mathbf{U} = I, \quad \mathbf{V} = 0, "
                r"\quad \mathbf{W} = T^\top",
            ),
            matrix("U", tiny.U),
            matrix("V", tiny.V),
            matrix("W", tiny.W),
            Table(("input", "o_1", "row of T", "equal"), rows),
            Paragraph(f"Outputs equal the rows of T: {'yes' if tiny.matches_T else 'NO'}."),
        ),
    )


def _general_bigram(answers: Answers) -> Section:
    return Section(
        "2.3",
        "General bigram RNN",
        "general-bigram",
        (
            Question(
                "Given a V × V bigram table T, what σ, U, V and W make an RNN output T_i given v_i?"
            ),
            Answer(answers.tiny.general_answer),
            formula(
                "h_t = I x_t + 0 h_(t-1) = e_i,   o_t = Tᵀ e_i = T_i",
                r"h_t = I\,x_t + 0\,h_{t-1} = e_i, \qquad o_t = T^\top e_i = T_i",
            ),
        ),
    )


def _methods(comparisons: tuple[MethodComparison, ...]) -> Section:
    header = ("method", "dL/dU, first entries", "loss L", "largest difference from autograd")
    tables = tuple(
        Table(
            header,
            tuple(
                (row.method, _first(row.dL_dU), number(row.loss, 8), f"{row.difference:.1e}")
                for row in comparison.rows
            ),
            comparison.caption,
        )
        for comparison in comparisons
    )
    return Section(
        "",
        "Beyond the lab: three ways to the same gradient",
        "methods",
        (
            Paragraph(
                "rnnlab computes dL/dU, dL/dV, dL/dW and dL/dh0 three ways: a reverse sweep "
                "derived by hand (one pass backwards through the steps), the lab's sum over every "
                "path taken literally, and torch autograd. In float64 they agree to rounding error."
            ),
            *tables,
        ),
    )


def _first(values, shown: int = 3) -> str:
    """The first entries of a tensor, row by row, at 8 digits: enough to compare methods."""
    flat = values.reshape(-1)
    text = vector(flat[:shown], 8)
    return text if len(flat) <= shown else f"{text[:-1]}, … ({len(flat)} in all)]"


def _vanishing() -> Section:
    return Section(
        "",
        "Beyond the lab: vanishing and exploding gradients",
        "vanishing",
        (
            Paragraph(
                "Each path (k, t) from U to L carries the product of t − k Jacobians "
                "∂h_j/∂h_(j-1). In a linear RNN each of them is V, so a path's size grows or "
                "shrinks like ‖V‖ to the power t − k. The dots are every path of a 30-step "
                "sequence; the lines follow the paths into the last output."
            ),
            figure(
                Picture.VANISHING_EXPLODING,
                "per-path gradient magnitude against the distance t − k",
            ),
        ),
    )


_OPTIMIZER_NAMES = {"adam": "Adam", "gd": "gradient-descent"}


def _learning(learning: Learning, bigram: BigramScores) -> Section:
    config = learning.config
    return Section(
        "",
        "Beyond the lab: can gradient descent find a bigram RNN?",
        "training",
        (
            Paragraph(
                "Section 2.2 built an RNN that is the bigram model. Here one learns it instead: "
                f"an RNN with H = {config.hidden_size} {config.sigma} units starts from random "
                f"weights and takes {config.epochs} × {config.steps_per_epoch} "
                f"{_OPTIMIZER_NAMES[config.optimizer]} steps, each on a fresh sequence of "
                f"{config.length} words sampled from T, with the cross-entropy of softmax(o_t) "
                "against the next word and gradients from rnnlab's own reverse sweep. The step "
                "size falls linearly to 0."
            ),
            figure(Picture.TRAINING, "loss and distance to T per epoch"),
            learning_table(
                learning.rows,
                bigram.T,
                learning.constructed_rows,
                bigram.vocab,
                learning.evaluation_steps,
            ),
            Paragraph(
                "After every step of the held-out sample, whatever came before, the learnt "
                f"distribution is within {learning.max_abs:.3f} of the row of T for the word just "
                f"read (largest total variation {learning.total_variation:.3f}). The constructed "
                f"bigram_rnn(T) is exact (largest error {learning.constructed_max_abs:.2g}). "
                f"Training took {learning.seconds:.1f} s."
            ),
        ),
    )
