"""Tests for rnnlab.lab.drawings' plot data and rnnlab.render.plots' figures: the numbers against
hand-derived values, the figures against their data, and the files."""

import math
import xml.etree.ElementTree as ElementTree

import pytest
import torch

from rnnlab import ElmanRNN, InvalidValueError
from rnnlab.lab import drawings
from rnnlab.render import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def scalar_terms(U: float, V: float, W: float, xs: list[float], ys: list[float]) -> dict:
    """Each path's term of dL/dU for the scalar linear RNN, by hand.

    h_t = U x_t + V h_{t-1} from h_0 = 0, o_t = W h_t, L = Σ (y_t − o_t)², so path (k, t)
    contributes ∂L/∂o_t · W · V^(t−k) · x_k with ∂L/∂o_t = 2 (o_t − y_t).
    """
    h, o = 0.0, []
    for x in xs:
        h = U * x + V * h
        o.append(W * h)
    N = len(xs)
    return {
        (k, t): 2 * (o[t - 1] - ys[t - 1]) * W * V ** (t - k) * xs[k - 1]
        for t in range(1, N + 1)
        for k in range(1, t + 1)
    }


@pytest.mark.parametrize("V", [0.6, 1.4, -0.8])
def test_path_magnitudes_of_the_scalar_linear_rnn_match_the_hand_formula(V):
    U, W, xs, ys = 0.5, 0.7, [1.0, -0.5, 2.0, 0.3, 1.5, 0.8], [0.1, 0.0, -0.2, 0.4, 0.0, 0.3]
    rnn = ElmanRNN(*(torch.tensor(p, dtype=torch.float64) for p in (U, V, W)), sigma="identity")
    magnitudes = drawings.path_magnitudes(
        rnn, torch.tensor(xs, dtype=torch.float64), torch.tensor(ys, dtype=torch.float64)
    )
    expected = scalar_terms(U, V, W, xs, ys)
    pairs = sorted(expected)
    assert magnitudes.distance.tolist() == [t - k for k, t in pairs]
    assert magnitudes.magnitude.tolist() == pytest.approx(
        [abs(expected[pair]) for pair in pairs], rel=1e-12
    )
    N = len(xs)
    assert magnitudes.last_distance.tolist() == list(range(N))
    assert magnitudes.last_magnitude.tolist() == pytest.approx(
        [abs(expected[(N - d, N)]) for d in range(N)], rel=1e-12
    )


@pytest.mark.parametrize("V", [0.5, 1.5])
def test_log_magnitude_falls_or_rises_with_slope_log_V(V):
    # x_t = 1: every path into o_N carries the same ∂L/∂o_N · W · x_k, so on a log scale
    # its size is a straight line in t − k with slope ln|V|.
    N = 12
    rnn = ElmanRNN(0.3, V, 0.9, sigma="identity")
    magnitudes = drawings.path_magnitudes(rnn, torch.ones(N), torch.zeros(N))
    log_size = torch.log(magnitudes.last_magnitude)
    slopes = (log_size[1:] - log_size[:-1]).tolist()
    assert slopes == pytest.approx([math.log(V)] * (N - 1), abs=1e-5)


def test_vanishing_exploding_figure_plots_geometric_lines_with_the_chosen_scales():
    N = 20
    figure = plots.vanishing_exploding_figure(drawings.vanishing_exploding(N=N, scales=(0.7, 1.3)))
    axes = figure.axes[0]
    assert axes.get_yscale() == "log"
    lines = axes.get_lines()
    assert len(lines) == 2
    for line, scale in zip(lines, (0.7, 1.3), strict=True):
        distance, size = line.get_xdata(), line.get_ydata()
        assert list(distance) == list(range(N))
        # V = scale · Q with Q orthogonal, so ‖(Vᵀ)^d w‖ = scale^d ‖w‖ exactly.
        ratios = [size[d + 1] / size[d] for d in range(N - 1)]
        assert ratios == pytest.approx([scale] * (N - 1), rel=1e-9)
    # Every path appears as a dot: N(N+1)/2 per RNN.
    assert [len(c.get_offsets()) for c in axes.collections] == [N * (N + 1) // 2] * 2
    labels = [text.get_text() for text in axes.get_legend().get_texts()]
    assert labels[0].startswith("contracting V, ‖V‖₂ = 0.7")
    assert labels[1].startswith("expanding V, ‖V‖₂ = 1.3")


def test_the_demo_rnns_have_the_stated_spectral_norms():
    for scale, rnn in drawings.vanishing_exploding_rnns(hidden_size=5, scales=(0.4, 2.0)).items():
        singular_values = torch.linalg.svdvals(rnn.V)
        assert singular_values.tolist() == pytest.approx([scale] * 5, rel=1e-12)


def test_training_figure_plots_the_curve_it_is_given():
    curve = drawings.Curve(
        epoch=[1, 2, 3], loss=[0.9, 0.7, 0.65], distance=[0.3, 0.1, 0.02], entropy=0.6375
    )
    figure = plots.training_figure(curve, target=0.03)
    loss_axes, distance_axes = figure.axes
    assert list(loss_axes.get_lines()[0].get_ydata()) == [0.9, 0.7, 0.65]
    assert list(loss_axes.get_lines()[1].get_ydata()) == [0.6375, 0.6375]
    assert list(distance_axes.get_lines()[0].get_ydata()) == [0.3, 0.1, 0.02]
    assert distance_axes.get_yscale() == "log"


def test_save_writes_a_png_and_an_svg_and_nothing_else(tmp_path):
    figure = plots.vanishing_exploding_figure(drawings.vanishing_exploding(N=5))
    written = plots.save(figure, tmp_path / "vanishing")
    assert written == [tmp_path / "vanishing.png", tmp_path / "vanishing.svg"]
    assert (tmp_path / "vanishing.png").read_bytes().startswith(PNG_SIGNATURE)
    root = ElementTree.fromstring((tmp_path / "vanishing.svg").read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    # Text kept as text: the axis label can be found in the SVG.
    assert "t − k" in (tmp_path / "vanishing.svg").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vanishing.png", "vanishing.svg"]


@pytest.mark.parametrize("N", [1, 0, 2.5, True])
def test_a_bad_length_is_refused(N):
    with pytest.raises(InvalidValueError, match="N is"):
        drawings.vanishing_exploding(N=N)


def test_the_training_curve_carries_the_entropy_rate_of_T():
    # The lab's T = [[0.6, 0.4], [0.3, 0.7]]: π = (3/7, 4/7), and the entropy rate is
    # −Σ_i π_i Σ_j T_ij ln T_ij, worked out here by hand.
    from rnnlab.lab.train import TrainingConfig, train

    T = torch.tensor([[0.6, 0.4], [0.3, 0.7]], dtype=torch.float64)
    run = train(T, TrainingConfig(epochs=2, steps_per_epoch=2, length=10))
    curve = drawings.training_curve(run, T)
    row = [0.6 * math.log(0.6) + 0.4 * math.log(0.4), 0.3 * math.log(0.3) + 0.7 * math.log(0.7)]
    assert curve.entropy == pytest.approx(-(3 / 7 * row[0] + 4 / 7 * row[1]), rel=1e-12)
    assert curve.epoch == (1, 2)
    assert curve.loss == tuple(epoch.loss for epoch in run.history)


def test_every_figure_the_page_shows_is_drawn_under_its_pictures_name():
    from rnnlab import lab
    from rnnlab.lab.train import TrainingConfig
    from rnnlab.render import layout
    from rnnlab.render.document import Figure

    answers = lab.answers(training=TrainingConfig(epochs=1, steps_per_epoch=1))
    named = {
        b.name for s in layout.lab_document(answers) for b in s.blocks if isinstance(b, Figure)
    }
    # The worked example's scalar inputs allow N = 1, 2, 3: eight graphs and two plots.
    graphs = {"computation_graph", "computation_graph_h11"}
    graphs |= {f"{kind}_{N}" for kind in ("computation_graph", "unrolled") for N in (1, 2, 3)}
    assert set(answers.figures.graphs) == graphs
    assert named == graphs | {"vanishing_exploding", "training"}
    assert drawings.Picture.UNROLLED.stem(3) == "unrolled_3"
    with pytest.raises(InvalidValueError, match="UNROLLED with N = None, expected a length N"):
        drawings.Picture.UNROLLED.stem()
    with pytest.raises(InvalidValueError, match="TRAINING with N = 2, expected no length"):
        drawings.Picture.TRAINING.stem(2)
