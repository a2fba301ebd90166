"""rnnlab.lab.methods: the three ways to the gradient, against torch autograd and by hand."""

import pytest
import torch

from rnnlab import ElmanRNN, path_contributions
from rnnlab.lab.methods import largest_difference, largest_paths, three_ways


def test_largest_paths_are_the_hand_derived_terms_of_the_scalar_linear_rnn():
    # h_t = U x_t + V h_{t-1}, o_t = W h_t, L = Σ (o_t − y_t)²: path (k, t) contributes
    # 2 (o_t − y_t) · W · V^(t−k) · x_k.
    U, V, W, xs, ys = 0.5, 1.4, 0.7, [1.0, -0.5, 2.0], [0.1, 0.0, -0.2]
    h, o = 0.0, []
    for x in xs:
        h = U * x + V * h
        o.append(W * h)
    terms = {
        (k, t): abs(2 * (o[t - 1] - ys[t - 1]) * W * V ** (t - k) * xs[k - 1])
        for t in range(1, 4)
        for k in range(1, t + 1)
    }
    expected = sorted(terms.items(), key=lambda item: -item[1])[:4]
    rnn = ElmanRNN(*(torch.tensor(p, dtype=torch.float64) for p in (U, V, W)), sigma="identity")
    inputs = (torch.tensor(xs, dtype=torch.float64), torch.tensor(ys, dtype=torch.float64))
    found = largest_paths(path_contributions(rnn, *inputs), top=4)
    assert [path for path, _ in found] == [path for path, _ in expected]
    assert [size for _, size in found] == pytest.approx([size for _, size in expected], rel=1e-12)


def test_three_ways_agree_with_autograd_and_the_difference_is_the_largest_entry(generator):
    rnn = ElmanRNN(
        *(
            torch.randn(*shape, dtype=torch.float64, generator=generator)
            for shape in ((3, 2), (3, 3), (2, 3))
        ),
        sigma="tanh",
    )
    xs = torch.randn(5, 2, dtype=torch.float64, generator=generator)
    ys = torch.randn(5, 2, dtype=torch.float64, generator=generator)
    started = []
    results = three_ways(rnn, xs, ys, on_method=started.append)
    assert started == ["reverse", "paths", "autograd"]
    # autograd by hand: torch's own backward on the loss.
    U, V, W = (p.clone().requires_grad_() for p in (rnn.U, rnn.V, rnn.W))
    h, loss = torch.zeros(3, dtype=torch.float64), 0
    for x, y in zip(xs, ys, strict=True):
        h = torch.tanh(U @ x + V @ h)
        loss = loss + ((W @ h - y) ** 2).sum()
    loss.backward()
    for gradients in results.values():
        assert torch.allclose(gradients.U, U.grad, atol=1e-10)
        assert torch.allclose(gradients.W, W.grad, atol=1e-10)
    shifted = type(results["reverse"])(
        **{**vars(results["reverse"]), "V": results["reverse"].V + 0.25}
    )
    assert largest_difference(shifted, results["reverse"]) == pytest.approx(0.25, abs=1e-15)
