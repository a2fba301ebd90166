"""rnnlab.explore(): the panel's numbers and pictures, driven through its sliders without
a browser, and checked against autograd on an RNN written out here."""

import re
import sys

import pytest
import torch

from rnnlab import explore as explore_function
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.lab.explore import Explorer, example_rnn, render, view


def autograd_dL_dU(sigma, N: int, scale: float) -> torch.Tensor:
    """dL/dU by torch autograd through the lab's equations, written out here:
    h_t = σ(U x_t + V h_{t-1}), o_t = W h_t, L = Σ_t ‖o_t − y_t‖², x_t = 1, y_t = 0."""
    rnn = example_rnn("identity", scale)
    U = rnn.U.detach().clone().requires_grad_()
    h = torch.zeros(4, dtype=torch.float64)
    L = torch.zeros((), dtype=torch.float64)
    for _ in range(N):
        h = sigma(U @ torch.ones(1, dtype=torch.float64) + rnn.V @ h)
        L = L + ((rnn.W @ h) ** 2).sum()
    (dL_dU,) = torch.autograd.grad(L, U)
    return dL_dU


@pytest.mark.parametrize(("sigma", "function"), [("tanh", torch.tanh), ("identity", lambda z: z)])
@pytest.mark.parametrize(("N", "scale"), [(1, 1.0), (6, 0.5), (9, 1.7)])
def test_the_three_ways_and_the_paths_agree_with_autograd(sigma, function, N, scale):
    shown = view(sigma, N, scale)
    expected = autograd_dL_dU(function, N, scale)
    for method, gradients in shown.gradients.items():
        torch.testing.assert_close(gradients.U, expected, rtol=1e-10, atol=1e-12, msg=method)
    assert len(shown.terms) == N * (N + 1) // 2
    torch.testing.assert_close(sum(shown.terms.values()), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("scale", [0.5, 1.5])
def test_paths_into_the_last_output_shrink_or_grow_by_the_scale_per_step(scale):
    # σ = identity and V = scale · orthogonal: each step back multiplies the term's size
    # by exactly the scale, the vanishing (< 1) or exploding (> 1) gradient.
    shown = view("identity", 8, scale)
    sizes = shown.magnitudes.last_magnitude
    assert shown.magnitudes.last_distance.tolist() == list(range(8))
    torch.testing.assert_close(sizes[1:] / sizes[:-1], torch.full((7,), scale, dtype=sizes.dtype))


def test_the_largest_paths_are_the_ones_highlighted():
    shown = view("tanh", 7, 1.8)
    sizes = sorted((float(term.norm()), path) for path, term in shown.terms.items())
    assert shown.largest == [path for _, path in reversed(sizes[-3:])]
    source = shown.graph.source
    # One coloured edge into L per highlighted path; the legend names each.
    assert len(re.findall(r"o\d+ -> L \[color=\"[\d. ]+\" penwidth", source)) == 3
    assert all(f"({k}, {t})" in source for k, t in shown.largest)


def test_moving_a_slider_redraws_the_panel():
    panel = explore_function(N=4, scale=0.6)
    assert isinstance(panel, Explorer)
    before = panel.gradients.value
    assert "N = 4" in panel.plot.value and "<svg" in panel.plot.value
    panel.scale.value = 1.4  # as a student drags the slider: the observer calls update
    assert panel.gradients.value != before
    shown = panel.update()
    assert (shown.sigma, shown.N, shown.scale) == ("tanh", 4, 1.4)
    for entry in shown.gradients["reverse"].U.reshape(-1).tolist():
        assert f"{float(f'{entry:.10g}'):g}" in panel.gradients.value
    panel.N.value = 9
    assert "N = 9" in panel.plot.value
    assert "h9" in panel.graph.value.replace("<tspan", "").replace("</tspan>", "") or (
        "needs Graphviz" in panel.graph.value
    )
    panel.sigma.value = "relu"
    assert panel.update().sigma == "relu"


def test_render_gives_the_three_pieces():
    html = render(view("sigmoid", 3, 1.0))
    assert set(html) == {"plot", "gradients", "graph"}
    assert "N = 3, σ = sigmoid" in html["plot"] and "linear" not in html["plot"]
    assert "reverse" in html["gradients"] and "autograd" in html["gradients"]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"N": 0}, InvalidValueError, "N is 0"),
        ({"N": 13}, InvalidValueError, "N is 13"),
        ({"N": 2.5}, InvalidTypeError, "N is 2.5"),
        ({"scale": -1.0}, InvalidValueError, "scale is -1.0"),
        ({"scale": float("nan")}, InvalidValueError, "scale is nan"),
        ({"sigma": "softplus"}, InvalidValueError, "sigma is 'softplus'"),
    ],
)
def test_bad_settings_are_named(arguments, error, message):
    with pytest.raises(error, match=re.escape(message)):
        explore_function(**arguments)


@pytest.mark.slow
def test_the_panel_shows_in_a_jupyter_kernel():
    # As a student runs it in `.venv/bin/jupyter lab`: a real kernel executes the cell and
    # answers with a widget view, which JupyterLab draws from ipywidgets' own extension.
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("import rnnlab\nrnnlab.explore(N=3)")]
    NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    (output,) = notebook.cells[0].outputs
    assert "application/vnd.jupyter.widget-view+json" in output["data"]
    assert "Explorer" in output["data"]["text/plain"]


def test_jupyterlab_has_the_widgets_extension():
    import shutil
    import subprocess
    from pathlib import Path

    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        jupyter = shutil.which("jupyter")
    listed = subprocess.run(
        [str(jupyter), "labextension", "list"], capture_output=True, text=True, timeout=120
    )
    assert "@jupyter-widgets/jupyterlab-manager" in listed.stdout + listed.stderr
