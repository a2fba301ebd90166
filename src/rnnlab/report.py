"""The report page: the whole lab on its worked example, as one self-contained HTML file.

Nothing is fetched when the page opens: graphs are inline SVG from Graphviz, plots are
inline SVG from matplotlib, formulas are MathML converted here from LaTeX (latex2mathml),
and the style sheet is in the page. There are no scripts. Every number on the page is
computed by the library when the page is built; every piece of text that is not our own
markup goes through html.escape.
"""

import os
import re
from html import escape
from pathlib import Path

import graphviz
import sympy
import torch
from latex2mathml.converter import convert
from matplotlib.figure import Figure

from rnnlab import formulas, lab, plots, tables
from rnnlab.bptt import METHOD_NAMES as METHODS
from rnnlab.bptt import bptt, next_token_targets
from rnnlab.construction import bigram_rnn
from rnnlab.files import write_atomic
from rnnlab.graph_paths import count_paths
from rnnlab.rnn import ElmanRNN
from rnnlab.tables import number, vector
from rnnlab.train import Training, learnt_rows, train

TITLE = "rnnlab — the RNN lab, worked"


def math(latex: str, display: bool = True) -> str:
    """LaTeX as MathML, which browsers render without any script or font download."""
    return convert(latex, display="block" if display else "inline")


def inline_svg(svg: str) -> str:
    """An SVG document cut down to its <svg> element, for placing inside HTML.

    The XML declaration, DOCTYPE and comments are dropped (HTML does not allow them
    there); the element itself, with its viewBox, is kept, so CSS can scale it.
    """
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("no <svg> element in the picture")
    return re.sub(r"<!--.*?-->", "", svg[start:], flags=re.DOTALL).strip()


def graph_svgs(graphs: "dict[str, graphviz.Digraph] | None" = None) -> dict[str, str]:
    """Each of the lab's graphs (rnnlab.lab.lab_graphs by default) drawn as SVG text."""
    graphs = lab.lab_graphs() if graphs is None else graphs
    return {name: graph.pipe(format="svg").decode() for name, graph in graphs.items()}


def _figure(pictures: dict[str, str], name: str, caption: str) -> str:
    """The named picture with its caption; a note instead where it could not be drawn."""
    if name not in pictures:
        return _p(
            f"({name} is not drawn here: Graphviz's dot program was not found when the page "
            f"was made; its source is in {name}.gv.)"
        )
    return (
        f"<figure>{inline_svg(pictures[name])}<figcaption>{escape(caption)}</figcaption></figure>"
    )


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>{body}</section>'


def _p(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def _forward_section(svgs: dict[str, str]) -> str:
    forward = lab.forward_step()
    trace = forward.trace
    rows = [
        [str(t), vector(x), vector(trace.z[t - 1]), vector(trace.h[t]), vector(trace.o[t - 1])]
        for t, x in enumerate((lab.x1, lab.x2), start=1)
    ]
    parameters = "".join(
        f'<div class="matrix">{tables.matrix(value, caption=name)}</div>'
        for name, value in (("U", lab.U), ("V", lab.V), ("W", lab.W))
    )
    results = tables.table(
        ["name", "value"],
        [[name, vector(getattr(forward, name))] for name in ("h1", "o1", "h2", "o2")],
        caption="The four values the lab asks for",
    )
    return _section(
        "forward",
        "1  The forward step",
        _p(
            "An Elman RNN reads its inputs one at a time. Each step mixes the new input "
            "with the previous hidden state, squashes the sum with σ, and reads a score "
            "off the new state:"
        )
        + math(
            r"h_t = \sigma(\mathbf{U} x_t + \mathbf{V} h_{t-1}) \qquad "
            r"o_t = \mathbf{W} h_t \qquad \hat{y}_t = \sigma(o_t)"
        )
        + _p(
            "The worked example has two steps, two-dimensional vectors throughout, "
            "σ = ReLU and h0 = [0, 0]. Its parameters:"
        )
        + f'<div class="row">{parameters}</div>'
        + _p(f"Inputs: x1 = {vector(lab.x1)}, x2 = {vector(lab.x2)}, h0 = {vector(lab.h0)}.")
        + tables.table(
            ["t", "x_t", "U x_t + V h_(t−1)", "h_t = ReLU(…)", "o_t = W h_t"],
            rows,
            caption="Step by step",
        )
        + results
        + "<h3>Why h has one more element than x and o</h3>"
        + _p(lab.H_HAS_ONE_MORE)
        + "<h3>1.3  The computation graph of o1 and o2</h3>"
        + _p(
            "The graph torch records while computing o1 and o2: blue boxes are the "
            "tensors the lab names, the other nodes are the operations between them."
        )
        + _p(lab.FORWARD_GRAPH_ANSWER)
        + _figure(
            svgs, "computation_graph", "computation_graph: o1 and o2 from U, V, W, x1, x2, h0"
        ),
    )


def _bigram_section() -> str:
    scores = lab.sequence_scores()
    model = lab.bigram_model()
    switches = [
        int((model.ids(seq)[1:] != model.ids(seq)[:-1]).sum()) for seq in (lab.seq1, lab.seq2)
    ]
    rows = [
        [name, "".join(lab.TOKENS[i] for i in model.ids(seq)), f"{probability:.5f}"]
        for name, seq, probability in (
            ("seq1", lab.seq1, scores.probability1),
            ("seq2", lab.seq2, scores.probability2),
        )
    ]
    return _section(
        "bigram",
        "2.1  Bigram language models",
        _p(
            "A bigram model predicts each word from the one before it only. Its table "
            "holds one distribution per previous word, so every row sums to 1:"
        )
        + math(r"T_{ij} = \Pr(v_j \mid v_i), \qquad \sum_{j=1}^{V} T_{ij} = 1")
        + tables.matrix(
            lab.T, caption="T for the tokens a, b", row_names=["a", "b"], column_names=["a", "b"]
        )
        + _p(
            "A sequence's probability is the product of the table entries for each "
            "consecutive pair; the first word only gives context:"
        )
        + math(r"\Pr(w_1 \cdots w_N) = \prod_{t=1}^{N-1} T_{w_t w_{t+1}}")
        + tables.table(["sequence", "tokens", "probability"], rows)
        + _p(
            f"The more likely of the two is {scores.more_likely}. Staying on a token "
            "(0.6 for a, 0.7 for b) is likelier than switching (0.4 or 0.3), and seq1 "
            f"switches {switches[0]} times against {switches[1]} for seq2."
        ),
    )


def _tiny_rnn_section() -> str:
    tiny = lab.tiny_bigram_rnn()
    parameters = "".join(
        f'<div class="matrix">{tables.matrix(getattr(tiny.rnn, name), caption=name)}</div>'
        for name in ("U", "V", "W")
    )
    rows = [
        [
            f"v_{i + 1} = {vector(lab.Vocab[i])}",
            vector(output),
            vector(lab.T[i]),
            "yes" if torch.allclose(output, lab.T[i]) else "NO",
        ]
        for i, output in enumerate(tiny.outputs)
    ]
    return _section(
        "tiny-rnn",
        "2.2  A tiny RNN that is the bigram model",
        _p(
            "With σ the identity the hidden state can simply copy the one-hot input, "
            "and the output matrix can then look up the matching row of T. Taking "
            "V = 0 makes the state forget everything before the current word:"
        )
        + math(
            r"\sigma(x) = x, \quad \mathbf{U} = I, \quad \mathbf{V} = 0, \quad \mathbf{W} = T^\top"
        )
        + f'<div class="row">{parameters}</div>'
        + tables.table(["input", "o_1", "row of T", "equal"], rows)
        + _p("Outputs equal the rows of T: " + ("yes" if tiny.matches_T else "NO") + ".")
        + "<h3>2.3  Any vocabulary size</h3>"
        + _p(lab.GENERAL_BIGRAM_RNN)
        + math(r"h_t = I\,x_t + 0\,h_{t-1} = e_i, \qquad o_t = T^\top e_i = T_i"),
    )


def _scalar_backward_section(svgs: dict[str, str]) -> str:
    parts = [
        _p(
            "The backward questions use a scalar RNN (U = 0.1, V = 0.2, W = 0.3, "
            "σ = ReLU, h0 = 0) on the inputs 0.5, 0.6, 0.7, 0.8, with the language-model "
            "loss: each output is compared with the next input."
        ),
        math(r"L = \sum_{t=1}^{N} (x_{t+1} - o_t)^2"),
        _p(
            "The chain rule gives one term for every way U can reach L. Each table row "
            "below is one such path (k, t): U enters the hidden states at h_k, is "
            "carried forward to h_t and leaves through o_t. The values are the terms on "
            "the lab's numbers; they add up to dL/dU, which the project's reverse sweep "
            "and torch autograd confirm."
        ),
    ]
    for N in (1, 2, 3):
        answer = lab.scalar_backward(N)
        term_latex = [sympy.latex(term) for term in formulas.terms(N)]
        rows = "".join(
            f"<tr><td>({k}, {t})</td><td>{t - k + 1}</td><td>{math(latex)}</td>"
            f"<td>{escape(number(value, 6))}</td></tr>"
            for ((k, t), value), latex in zip(answer.path_terms.items(), term_latex, strict=True)
        )
        section = ("3.1", "3.2", "3.3")[N - 1]
        parts += [
            f"<h3>{section}  N = {N}: {answer.path_count} "
            f"path{'s' if answer.path_count > 1 else ''} from U to L</h3>",
            f'<div class="wide">{math(answer.latex)}</div>',
            '<table class="terms"><tr><th>path (k, t)</th><th>h\'s on it</th>'
            f"<th>term</th><th>value</th></tr>{rows}</table>",
            tables.table(
                ["sum of the terms", "reverse sweep", "torch autograd"],
                [[number(answer.dL_dU, 6), number(answer.reverse, 6), number(answer.autograd, 6)]],
                caption=f"dL/dU for N = {N}",
            ),
            _figure(svgs, f"unrolled_{N}", f"unrolled_{N}: every path from U to L highlighted"),
            _figure(svgs, f"computation_graph_{N}", f"computation_graph_{N}: torch's graph of L"),
        ]
    counts = tables.table(
        ["N", "paths from U to L", "h's on a path"],
        [[str(N), str(count_paths(N)), f"1 … {N}"] for N in range(1, 7)],
        caption="N(N + 1)/2 paths: one per pair k ≤ t",
    )
    parts += ["<h3>How many paths, and how many h's on each</h3>", _p(lab.PATHS_ANSWER), counts]
    return _section("backward", "3  The backward step", "".join(parts))


def _h11_section(svgs: dict[str, str]) -> str:
    answer = lab.h11_gradient()
    by_sigma = tables.table(
        ["σ", "∂h_1/∂U_1,1"],
        [[name, vector(value)] for name, value in answer.dh1_dU11.items()],
        caption="The same answer for every σ (torch autograd)",
    )
    return _section(
        "h11",
        "3.4  Looking back: ∂h1/∂U₁,₁",
        _p(f"With section 1's values, z_1 = U x_1 + V h_0 = {vector(answer.z1)}.")
        + f'<p class="answer">{escape(lab.H11_ANSWER)}</p>'
        + math(
            r"\frac{\partial h_{1,1}}{\partial U_{1,1}} = \sigma'(z_{1,1})\, x_{1,1}"
            r" = \sigma'(z_{1,1}) \cdot 0 = 0"
        )
        + by_sigma
        + tables.matrix(answer.U_grad, caption="U_grad: the gradient of h_1,1 with respect to U")
        + f'<p class="answer">{escape(lab.U_GRAD_ANSWER)}</p>'
        + _figure(svgs, "computation_graph_h11", "computation_graph_h11: values and gradients"),
    )


def _general_section() -> str:
    return _section(
        "general",
        "3.5  Any length N",
        math(formulas.general_latex()) + f'<p class="answer">{escape(lab.GENERAL_N_ANSWER)}</p>',
    )


def _comparison_rows(
    rnn: ElmanRNN, xs: torch.Tensor, ys: torch.Tensor, loss: str
) -> list[list[str]]:
    """Each method's dL/dU and its largest difference from autograd over U, V, W and h0."""
    results = {method: bptt(rnn, xs, ys, loss=loss, method=method) for method in METHODS}
    reference = results["autograd"]
    rows = []
    for method, gradients in results.items():
        difference = max(
            float((getattr(gradients, name) - getattr(reference, name)).abs().max())
            for name in ("U", "V", "W", "h0")
        )
        rows.append([method, vector(gradients.U, 8), f"{gradients.loss:.8g}", f"{difference:.1e}"])
    return rows


def _three_methods_section() -> str:
    scalar = ElmanRNN(*(p.double() for p in (lab.U_, lab.V_, lab.W_)), sigma="relu")
    scalar_xs, scalar_ys = next_token_targets(torch.cat(lab.SCALAR_INPUTS).double())
    generator = torch.Generator().manual_seed(0)
    D, H, N = 3, 4, 8
    U, V, W = (
        0.5 * torch.randn(*shape, dtype=torch.float64, generator=generator)
        for shape in ((H, D), (H, H), (D, H))
    )
    vector_rnn = ElmanRNN(U, V, W, sigma="tanh")
    ids = torch.randint(D, (N + 1,), generator=generator)
    vector_xs = torch.eye(D, dtype=torch.float64)[ids[:-1]]
    header = ["method", "dL/dU (flattened)", "loss L", "largest difference from autograd"]
    return _section(
        "methods",
        "Three ways to the same gradient",
        _p(
            "rnnlab computes dL/dU, dL/dV, dL/dW and dL/dh0 three ways: a reverse sweep "
            "derived by hand (one pass backwards through the steps), the lab's sum over "
            "every path taken literally, and torch autograd. In float64 they agree to "
            "rounding error."
        )
        + tables.table(
            header,
            _comparison_rows(scalar, scalar_xs, scalar_ys, "squared_error"),
            caption="The lab's scalar RNN, N = 3, squared error",
        )
        + tables.table(
            header,
            _comparison_rows(vector_rnn, vector_xs, ids[1:], "cross_entropy"),
            caption=(
                f"A random RNN, D = {D}, H = {H}, σ = tanh, N = {N} one-hot inputs, "
                "cross-entropy against the next token (seed 0)"
            ),
        ),
    )


def _plots_section(pictures: dict[str, str]) -> str:
    return _section(
        "vanishing",
        "Beyond the lab: vanishing and exploding gradients",
        _p(
            "Each path (k, t) from U to L carries the product of t − k Jacobians "
            "∂h_j/∂h_(j−1). In a linear RNN each of them is V, so a path's size grows "
            "or shrinks like ‖V‖ to the power t − k. The dots are every path of a "
            "30-step sequence; the lines follow the paths into the last output."
        )
        + _figure(
            pictures,
            "vanishing_exploding",
            "vanishing_exploding: per-path gradient magnitude against the distance t − k",
        ),
    )


TRAINING = {"hidden_size": 4, "epochs": 100, "steps_per_epoch": 10, "length": 50, "seed": 0}
"""The settings of the page's training run: rnnlab train's defaults."""

_OPTIMIZER_NAMES = {"adam": "Adam", "gd": "gradient-descent"}


def _training_section(pictures: dict[str, str], result: Training) -> str:
    T = lab.T.double()
    constructed = bigram_rnn(T)
    rows = [
        [
            lab.TOKENS[row.word],
            vector(T[row.word]),
            vector(row.mean),
            number(row.max_error),
            vector(constructed.forward(lab.Vocab[row.word].double()[None]).o[0]),
        ]
        for row in learnt_rows(result, T)
    ]
    distance = result.distance
    steps = len(result.evaluation_ids) - 1
    return _section(
        "training",
        "Beyond the lab: can gradient descent find a bigram RNN?",
        _p(
            "Section 2.2 built an RNN that is the bigram model. Here one learns it "
            f"instead: an RNN with H = {result.rnn.hidden_size} tanh units starts from random "
            f"weights and takes {len(result.history)} × {result.steps_per_epoch} "
            f"{_OPTIMIZER_NAMES[result.optimizer]} steps, each on a fresh sequence of "
            f"{result.length} tokens sampled from T, with the cross-entropy of softmax(o_t) "
            "against the next token and gradients from rnnlab's own reverse sweep. The "
            "step size falls linearly to 0."
        )
        + _figure(pictures, "training", "training: loss and distance to T per epoch")
        + tables.table(
            ["after", "T_i", "learnt softmax(o_t), mean", "largest error", "bigram_rnn(T) o_t"],
            rows,
            caption=f"Next-word distributions over a held-out sample of {steps} steps",
        )
        + _p(
            f"After every step of the held-out sample, whatever came before, the learnt "
            f"distribution is within {distance.max_abs:.3f} of the row of T for the word "
            f"just read (largest total variation {distance.total_variation:.3f}). The "
            f"constructed bigram_rnn(T) is exact. Training took {result.seconds:.1f} s "
            "when this page was made."
        ),
    )


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 62em; margin: 2em auto; padding: 0 1em;
       line-height: 1.45; color: #222; }
h1 { border-bottom: 2px solid #333; }
h2 { border-bottom: 1px solid #bbb; margin-top: 2em; }
nav ol { columns: 2; }
figure { margin: 1em 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #555; }
math[display="block"] { margin: 0.8em 0; font-size: 1.15em; }
.row { display: flex; gap: 2em; flex-wrap: wrap; align-items: flex-start; }
table.terms math { margin: 0.1em 0; font-size: 1em; }
.answer { white-space: pre-line; background: #f7f7f2; border-left: 3px solid #9a6;
          padding: 0.5em 0.8em; }
.wide { overflow-x: auto; }
table.terms { border-collapse: collapse; margin: 0.5em 0; }
table.terms td, table.terms th { border: 1px solid #ccc; padding: 0.2em 0.6em; }
"""


def draw_plots(training: Training) -> dict[str, Figure]:
    """The page's plots by name: vanishing_exploding, and training for the given run."""
    return {
        "vanishing_exploding": plots.vanishing_exploding_figure(),
        "training": plots.training_result_figure(training, lab.T.double()),
    }


def report_html(
    pictures: "dict[str, str] | None" = None, training: "Training | None" = None
) -> str:
    """The report page as one HTML string.

    pictures: SVG text by name, the lab's graphs and the plots; drawn here if None. A
    graph missing from it gets a note in its place. training: the run the page shows;
    rnnlab.train.train(T, **TRAINING) if None.
    """
    training = train(lab.T, **TRAINING) if training is None else training
    if pictures is None:
        drawn = draw_plots(training)
        pictures = graph_svgs() | {name: plots.svg(figure) for name, figure in drawn.items()}
    sections = [
        ("forward", "The forward step", _forward_section(pictures)),
        ("bigram", "Bigram language models", _bigram_section()),
        ("tiny-rnn", "A bigram model as an RNN", _tiny_rnn_section()),
        ("backward", "The backward step", _scalar_backward_section(pictures)),
        ("h11", "Looking back: ∂h1/∂U₁,₁", _h11_section(pictures)),
        ("general", "Any length N", _general_section()),
        ("methods", "Three ways to the same gradient", _three_methods_section()),
        ("vanishing", "Vanishing and exploding gradients", _plots_section(pictures)),
        ("training", "Learning a bigram model", _training_section(pictures, training)),
    ]
    contents = "".join(
        f'<li><a href="#{escape(anchor)}">{escape(title)}</a></li>' for anchor, title, _ in sections
    )
    body = "".join(html for _, _, html in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(TITLE)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(TITLE)}</h1>"
        + _p(
            "Every value, table, graph and formula below was computed by rnnlab from "
            "the lab's worked example when this page was made. The page needs no "
            "network: it has no scripts, and its pictures and formulas are part of it."
        )
        + f"<nav><ol>{contents}</ol></nav>{body}</body></html>\n"
    )


def write_report(
    path: "str | os.PathLike[str]",
    pictures: "dict[str, str] | None" = None,
    training: "Training | None" = None,
) -> Path:
    """Write the report page to path, whole or not at all."""
    return write_atomic(path, report_html(pictures, training))


def write_run_outputs(out: Path, graph_pictures: dict[str, str]) -> list[Path]:
    """What ``rnnlab run`` writes beside the graphs: each plot as PNG and SVG, and report.html.

    graph_pictures: the lab's graphs as SVG text by name, as just drawn (an empty dict
    where Graphviz is missing).
    """
    training = train(lab.T, **TRAINING)
    pictures = dict(graph_pictures)
    written = []
    for name, figure in draw_plots(training).items():
        written += plots.save(figure, out / name)
        pictures[name] = (out / f"{name}.svg").read_text(encoding="utf-8")  # drawn once, read back
    written.append(write_report(out / "report.html", pictures, training))
    return written
