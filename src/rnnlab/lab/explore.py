"""``rnnlab.explore()``: the lab's section 3 under sliders, in Jupyter.

Three sliders, σ, N and the scale of V, drive three views of one RNN's gradient:

- every path's term of dL/dU against t − k, the steps between where U enters and
  where the path leaves (the vanishing/exploding plot of rnnlab.lab.drawings);
- dL/dU computed three ways (reverse sweep, sum over paths, torch autograd) side by side;
- the unrolled graph of N steps with the largest paths highlighted.

The RNN is the one rnnlab.lab.drawings uses to show vanishing and exploding gradients: V is
``scale`` times a random orthogonal matrix, so ‖V^d h‖ = scale^d ‖h‖ exactly, with
x_t = 1 and target 0. ``view`` computes what the panel shows, ``render`` turns it into
HTML, and ``Explorer.update`` puts that into the panel: each is usable, and tested,
without a browser.
"""

from dataclasses import dataclass

import graphviz
import ipywidgets
import torch

from rnnlab import graphs
from rnnlab.lab import drawings
from rnnlab.model.activations import HIDDEN_NAMES
from rnnlab.model.bptt import METHOD_NAMES, Gradients, Path, bptt, path_contributions
from rnnlab.model.rnn import ElmanRNN
from rnnlab.render import plots, tables
from rnnlab.validation import choice, real_number, whole_number

MOST_STEPS = 12
"""The N slider's end: 78 paths, as many as a plot and a graph can show apart."""
LARGEST_SHOWN = 3
"""How many of the largest paths the graph highlights."""
SCALES = (0.2, 2.0)
"""The scale slider's range: from V shrinking each step's state to 1/5, to doubling it."""
HIDDEN_SIZE = 4


@dataclass(frozen=True)
class View:
    """What the panel shows for one setting of σ, N and the scale of V.

    rnn: the RNN (H = 4, D = O = 1); magnitudes: ‖term(k, t)‖ of every path;
    gradients: dL/dU and the rest by each method of rnnlab.bptt, by name;
    terms: each path's term of dL/dU (H, 1), keyed (k, t); largest: the LARGEST_SHOWN
    paths with the largest terms, largest first; graph: the unrolled graph with them.
    """

    sigma: str
    N: int
    scale: float
    rnn: ElmanRNN
    magnitudes: drawings.PathMagnitudes
    gradients: dict[str, Gradients]
    terms: dict[Path, torch.Tensor]
    largest: list[Path]
    graph: graphviz.Digraph


def example_rnn(sigma: str, scale: float, seed: int = 0) -> ElmanRNN:
    """An RNN with V = scale · Q, Q a random orthogonal H × H matrix (H = 4), U: (4, 1),
    W: (1, 4), in float64: drawings.vanishing_exploding_rnns' RNN with σ of one's choice."""
    (linear,) = drawings.vanishing_exploding_rnns(HIDDEN_SIZE, (scale,), seed).values()
    return ElmanRNN(linear.U, linear.V, linear.W, sigma=sigma)


def view(sigma: str = "tanh", N: int = 8, scale: float = 1.0, seed: int = 0) -> View:
    """Compute everything the panel shows for this setting."""
    choice("sigma", sigma, HIDDEN_NAMES)
    whole_number("N", N, least=1, most=MOST_STEPS)
    scale = real_number("scale", scale, positive=True)
    rnn = example_rnn(sigma, scale, seed)
    xs = torch.ones(N, 1, dtype=torch.float64)
    ys = torch.zeros(N, 1, dtype=torch.float64)
    terms = path_contributions(rnn, xs, ys)
    largest = sorted(terms, key=lambda path: -float(terms[path].norm()))[:LARGEST_SHOWN]
    return View(
        sigma=sigma,
        N=N,
        scale=scale,
        rnn=rnn,
        magnitudes=drawings.path_magnitudes(rnn, xs, ys),
        gradients={method: bptt(rnn, xs, ys, method=method) for method in METHOD_NAMES},
        terms=terms,
        largest=largest,
        graph=graphs.unrolled_graph(N, highlight=largest),
    )


def render(shown: View) -> dict[str, str]:
    """The view as HTML: "plot" (SVG), "gradients" (a table), "graph" (SVG, or why not)."""
    label = f"σ = {shown.sigma}, V = {shown.scale:g} · orthogonal"
    figure = plots.path_magnitude_figure({label: shown.magnitudes}, shown.N)
    # The figure's own title says "linear RNN"; here σ is the slider's.
    figure.axes[0].set_title(f"Vanishing and exploding gradients, N = {shown.N}, σ = {shown.sigma}")
    return {
        "plot": plots.svg(figure),
        "gradients": _gradients_table(shown),
        "graph": _graph_svg(shown.graph),
    }


def _gradients_table(shown: View) -> str:
    """dL/dU's entries by each method, then the largest difference between two methods."""
    by_method = {method: g.U.reshape(-1) for method, g in shown.gradients.items()}
    rows = [
        [f"({i + 1}, 1)", *(tables.number(float(values[i]), 10) for values in by_method.values())]
        for i in range(HIDDEN_SIZE)
    ]
    reference = by_method["autograd"]
    difference = max(float((values - reference).abs().max()) for values in by_method.values())
    largest = ", ".join(f"({k}, {t})" for k, t in shown.largest)
    caption = f"dL/dU three ways (largest difference {difference:.2g}); largest paths: {largest}"
    return tables.table(["entry", *by_method], rows, caption)


def _graph_svg(graph: graphviz.Digraph) -> str:
    try:
        return graphs.draw(graph, ["svg"])["svg"].decode("utf-8")
    except graphs.GraphvizNotFoundError:
        return f"<p>The graph needs Graphviz's <code>dot</code>: {graphs.INSTALL_GRAPHVIZ}.</p>"


class Explorer(ipywidgets.VBox):
    """The panel: sliders above, the plot and the table beside each other, the graph below.

    Moving a slider calls ``update``, which recomputes and redraws; ``update`` returns
    the View it showed, so a test can drive the sliders and read both.
    """

    def __init__(self, sigma: str = "tanh", N: int = 8, scale: float = 1.0) -> None:
        view(sigma, N, scale)  # bad arguments are refused before any widget is made
        self.sigma = ipywidgets.SelectionSlider(options=HIDDEN_NAMES, value=sigma, description="σ")
        self.N = ipywidgets.IntSlider(value=N, min=1, max=MOST_STEPS, description="N")
        self.scale = ipywidgets.FloatSlider(  # wide enough for the scale asked for
            value=scale,
            min=min(SCALES[0], scale),
            max=max(SCALES[1], scale),
            step=0.05,
            description="scale of V",
        )
        self.plot, self.gradients, self.graph = (ipywidgets.HTML() for _ in range(3))
        super().__init__(
            [
                ipywidgets.HBox([self.sigma, self.N, self.scale]),
                ipywidgets.HBox([self.plot, self.gradients]),
                self.graph,
            ]
        )
        for slider in (self.sigma, self.N, self.scale):
            slider.observe(self.update, names="value")
        self.update()

    def update(self, change: "dict | None" = None) -> View:
        """Recompute for the sliders' values and show the result."""
        shown = view(self.sigma.value, self.N.value, self.scale.value)
        html = render(shown)
        self.plot.value, self.gradients.value, self.graph.value = (
            html["plot"],
            html["gradients"],
            html["graph"],
        )
        return shown


def explore(sigma: str = "tanh", N: int = 8, scale: float = 1.0) -> Explorer:
    """The panel of sliders for σ, N and the scale of V; Jupyter shows it when returned."""
    return Explorer(sigma, N, scale)
