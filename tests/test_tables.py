"""Tests for rnnlab.render.tables: the HTML tables Jupyter shows for Trace, Gradients, BigramLM."""

import re

import torch

from rnnlab import BigramLM, ElmanRNN, lab
from rnnlab.model.bptt import Gradients


def _sub(*names: str) -> list[str]:
    """Each name with the subscript t, as the page sets it: h<sub>t</sub>."""
    return [f"{name}<sub>t</sub>" for name in names]


def cells(html: str) -> list[list[str]]:
    """The text of each table row's cells."""
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in html.split("<tr>")[1:]]


def test_a_trace_shows_each_step_worked_by_hand():
    html = lab.forward_step().trace._repr_html_()
    # h1 = ReLU(U x1) = [0.6, 0.1], o1 = W h1 = [0.13, −0.07]; z2 = U x2 + V h1 = [0.43, 0.57].
    assert cells(html) == [
        ["t", "z<sub>t</sub> = U x<sub>t</sub> + V h<sub>t−1</sub>", *_sub("h", "o", "ŷ")],
        ["0", "", "[0, 0]", "", ""],
        ["1", "[0.6, 0.1]", "[0.6, 0.1]", "[0.13, -0.07]", "[0.13, 0]"],
        ["2", "[0.43, 0.57]", "[0.43, 0.57]", "[0.143, 0.199]", "[0.143, 0.199]"],
    ]


def test_a_batched_trace_shows_one_table_per_sequence():
    rnn = ElmanRNN(1.0, 0.5, 2.0, sigma="identity")
    html = rnn.forward(torch.tensor([[[1.0], [0.0]], [[2.0], [1.0]]]))._repr_html_()
    assert "sequence 1" in html and "sequence 2" in html and "sequence 0" not in html
    # Sequence 0: z1 = 1, z2 = 0 + 0.5·1 = 0.5; sequence 1: z1 = 2, z2 = 1 + 0.5·2 = 2.
    rows = cells(html)
    assert rows[3] == ["2", "[0.5]", "[0.5]", "[1]", "[1]"]
    assert rows[7] == ["2", "[2]", "[2]", "[4]", "[4]"]


def test_a_long_trace_says_how_many_steps_are_left_out():
    rnn = ElmanRNN(1.0, 0.0, 1.0, sigma="identity")
    html = rnn.forward(torch.arange(30.0))._repr_html_()
    assert len(cells(html)) == 1 + 1 + 12  # header, h_0, the first 12 steps
    assert "… and 18 more steps" in html


def test_gradients_show_the_four_matrices_and_the_loss():
    gradients = Gradients(
        U=torch.tensor([[1.0, -2.0]]),
        V=torch.tensor([[0.5]]),
        W=torch.tensor([[3.0], [4.0]]),
        h0=torch.tensor([0.25]),
        loss=1.5,
    )
    html = gradients._repr_html_()
    for name in ("dL/dU", "dL/dV", "dL/dW", "dL/dh0"):
        assert name in html
    assert ["1", "-2"] in cells(html)
    assert ["3"] in cells(html) and ["4"] in cells(html)
    assert "L = 1.5" in html


def test_a_bigram_model_shows_its_table_with_the_words():
    html = lab.bigram_model()._repr_html_()
    assert cells(html) == [["", "a", "b"], ["a", "0.6", "0.4"], ["b", "0.3", "0.7"]]


def test_a_bigram_model_escapes_its_words_and_shows_the_first_rows_of_a_large_table():
    words = ["<s>", *(f"w{i}" for i in range(19))]
    T = torch.full((20, 20), 1 / 20, dtype=torch.float64)
    html = BigramLM(T, vocab=words)._repr_html_()
    assert "&lt;s&gt;" in html and "<s>" not in html
    assert "V = 20, the first 12 shown" in html
    rows = cells(html)
    assert len(rows) == 13 and all(len(row) == 13 for row in rows)
    assert rows[1][1:] == ["0.05"] * 12
