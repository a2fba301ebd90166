"""The lab's backward answers (section 3) in rnnlab.lab, checked by hand in the test."""

import pytest
import torch

from rnnlab import lab
from rnnlab.cli.run import print_backward
from rnnlab.errors import InvalidValueError

U_, V_, W_ = 0.1, 0.2, 0.3
X_ = [0.5, 0.6, 0.7, 0.8]


def by_hand(N: int) -> tuple[float, dict]:
    """dL/dU for the scalar ReLU RNN: every z_t > 0 here, so σ' = 1 throughout."""
    h = [0.0]
    for t in range(1, N + 1):
        h.append(max(U_ * X_[t - 1] + V_ * h[t - 1], 0.0))
    assert all(value > 0 for value in h[1:])
    terms = {}
    for t in range(1, N + 1):
        dL_do = 2 * (W_ * h[t] - X_[t])
        for k in range(1, t + 1):
            # ∂L/∂o_t · W · V^(t−k) · x_k, with ReLU's slope 1 on every state.
            terms[(k, t)] = dL_do * W_ * V_ ** (t - k) * X_[k - 1]
    return sum(terms.values()), terms


@pytest.mark.parametrize("N", [1, 2, 3])
def test_scalar_backward_matches_the_hand_formula(N):
    answer = lab.scalar_backward(N)
    expected, terms = by_hand(N)
    # float32 constants, as the lab's torch.Tensor makes them.
    for value in (answer.dL_dU, answer.reverse, answer.autograd):
        assert value == pytest.approx(expected, rel=1e-6)
    assert answer.path_terms.keys() == terms.keys()
    for path, term in terms.items():
        assert answer.path_terms[path] == pytest.approx(term, rel=1e-6)


def test_the_first_case_worked_through():
    answer = lab.scalar_backward(1)
    assert answer.formula == "dL/dU = ∂L/∂o_1 · ∂o_1/∂h_1 · ∂h_1/∂U"
    # h1 = 0.05, o1 = 0.015: ∂L/∂o_1 = 2(0.015 − 0.6), ∂o_1/∂h_1 = W, ∂h_1/∂U = x_1.
    assert answer.partials == pytest.approx(
        {"∂L/∂o_1": -1.17, "∂o_1/∂h_1": 0.3, "∂h_1/∂U": 0.5}, rel=1e-6
    )
    assert answer.dL_dU == pytest.approx(-0.1755, rel=1e-6)


def test_path_counts_and_states_on_each_path():
    counts = [lab.scalar_backward(N).path_count for N in (1, 2, 3)]
    assert counts == [1, 3, 6]
    states = lab.scalar_backward(3).states_on_path
    assert states == {(1, 1): 1, (1, 2): 2, (2, 2): 1, (1, 3): 3, (2, 3): 2, (3, 3): 1}
    assert "N(N + 1)/2" in lab.PATHS_ANSWER and "t − k + 1" in lab.PATHS_ANSWER


def test_general_answer_has_the_double_sum():
    assert "Σ_{t=1}^{N} Σ_{k=1}^{t}" in lab.GENERAL_N_ANSWER
    assert "Π_{j=k+1}^{t} ∂h_j/∂h_{j-1}" in lab.GENERAL_N_ANSWER


def test_scalar_backward_needs_a_target_for_every_step():
    with pytest.raises(InvalidValueError, match="N = 1, 2 or 3"):
        lab.scalar_backward(4)
    with pytest.raises(InvalidValueError, match="N is 0"):
        lab.scalar_backward(0)


def test_h11_derivative_is_zero_for_every_sigma():
    answer = lab.h11_gradient()
    # x1 = [0, 1]: ∂h_{1,1}/∂U_{1,1} = σ'(z_{1,1}) · 0 and h_{1,2} does not involve U_{1,1}.
    assert set(answer.dh1_dU11) == {"relu", "identity", "tanh", "sigmoid"}
    for value in answer.dh1_dU11.values():
        torch.testing.assert_close(value, torch.zeros(2))
    assert "whatever σ" in lab.H11_ANSWER


def test_U_grad_is_x1_in_the_first_row():
    answer = lab.h11_gradient()
    # z_{1,1} = −0.3·0 + 0.6·1 = 0.6 > 0, so ReLU's slope is 1 and row 1 is x1 = [0, 1].
    torch.testing.assert_close(answer.z1, torch.tensor([0.6, 0.1]))
    torch.testing.assert_close(answer.U_grad, torch.tensor([[0.0, 1.0], [0.0, 0.0]]))
    assert "U_grad" in lab.U_GRAD_ANSWER


def test_rnnlab_run_prints_every_backward_answer(capsys):
    print_backward()
    printed = capsys.readouterr().out
    for expected in (
        "dL/dU = ∂L/∂o_1 · ∂o_1/∂h_1 · ∂h_1/∂U",
        "dL/dU = -0.1755 ",
        "dL/dU = -0.46068 ",
        "dL/dU = -0.851179 ",
        "N = 3: 6 paths from U to L",
        "3.4  Looking back",
        "U_grad",
        "3.5  Arbitrary N",
        "N(N + 1)/2",
    ):
        assert expected in printed
