"""The lab's backward answers (section 3) in rnnlab.lab, checked by hand in the test."""

from dataclasses import replace

import pytest
import torch

from rnnlab import lab
from rnnlab.lab import sections as answers
from rnnlab.lab.backward import backward
from rnnlab.lab.example import ScalarExample

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


@pytest.fixture(scope="module")
def worked():
    return backward(lab.WORKED.scalar, "relu")


@pytest.mark.parametrize("N", [1, 2, 3])
def test_scalar_backward_matches_the_hand_formula(N, worked):
    answer = worked.cases[N - 1]
    expected, terms = by_hand(N)
    for value in (answer.dL_dU, answer.reverse, answer.autograd):
        assert value == pytest.approx(expected, rel=1e-12)
    assert answer.path_terms.keys() == terms.keys()
    for path, term in terms.items():
        assert answer.path_terms[path] == pytest.approx(term, rel=1e-12)


def test_the_scalar_rnns_states_and_outputs(worked):
    # h1 = 0.1·0.5 = 0.05, h2 = 0.1·0.6 + 0.2·0.05 = 0.07, h3 = 0.07 + 0.014 = 0.084.
    assert worked.h == pytest.approx((0.0, 0.05, 0.07, 0.084), rel=1e-12)
    assert worked.o == pytest.approx((0.015, 0.021, 0.0252), rel=1e-12)


def test_the_first_case_worked_through(worked):
    answer = worked.cases[0]
    assert answer.formula == "dL/dU = ∂L/∂o_1 · ∂o_1/∂h_1 · ∂h_1/∂U"
    # h1 = 0.05, o1 = 0.015: ∂L/∂o_1 = 2(0.015 − 0.6), ∂o_1/∂h_1 = W, ∂h_1/∂U = x_1.
    assert answer.partials == pytest.approx(
        {"∂L/∂o_1": -1.17, "∂o_1/∂h_1": 0.3, "∂h_1/∂U": 0.5}, rel=1e-12
    )
    assert answer.dL_dU == pytest.approx(-0.1755, rel=1e-12)
    # ∂L/∂o_3 = 2(0.0252 − 0.8) = −1.5496: the value a student multiplies.
    assert worked.cases[2].partials["∂L/∂o_3"] == pytest.approx(-1.5496, rel=1e-12)


def test_path_counts_and_states_on_each_path(worked):
    assert [case.path_count for case in worked.cases] == [1, 3, 6]
    assert worked.cases[2].states_on_path == {
        (1, 1): 1,
        (1, 2): 2,
        (2, 2): 1,
        (1, 3): 3,
        (2, 3): 2,
        (3, 3): 1,
    }
    assert worked.path_counts == ((1, 1), (2, 3), (3, 6), (4, 10), (5, 15), (6, 21))


def test_a_users_scalar_rnn_with_tanh_and_two_inputs():
    # Two inputs give only N = 1: dL/dU = 2(o1 − x2) · W · tanh'(U x1) · x1, h0 = 0.
    U, V, W, x1, x2 = 0.7, -0.4, 1.5, 0.9, -0.2
    answer = backward(ScalarExample(U=U, V=V, W=W, xs=(x1, x2)), "tanh")
    h1 = torch.tanh(torch.tensor(U * x1, dtype=torch.float64)).item()
    expected = 2 * (W * h1 - x2) * W * (1 - h1**2) * x1
    assert [case.N for case in answer.cases] == [1]
    assert answer.cases[0].dL_dU == pytest.approx(expected, rel=1e-12)
    assert answer.cases[0].autograd == pytest.approx(expected, rel=1e-12)
    assert "N = 1 has 1 path;" in answer.paths_answer


def test_h11_derivative_is_zero_for_every_sigma():
    answer = answers.h11_gradient(lab.WORKED)
    # x1 = [0, 1]: ∂h_{1,1}/∂U_{1,1} = σ'(z_{1,1}) · 0 and h_{1,2} does not involve U_{1,1}.
    assert set(answer.dh1_dU11) == {"relu", "identity", "tanh", "sigmoid"}
    for value in answer.dh1_dU11.values():
        torch.testing.assert_close(value, torch.zeros(2, dtype=torch.float64))
    assert answer.is_zero


def test_U_grad_is_x1_in_the_first_row():
    answer = answers.h11_gradient(lab.WORKED)
    # z_{1,1} = −0.3·0 + 0.6·1 = 0.6 > 0, so ReLU's slope is 1 and row 1 is x1 = [0, 1].
    torch.testing.assert_close(answer.z1, torch.tensor([0.6, 0.1], dtype=torch.float64))
    torch.testing.assert_close(
        answer.U_grad, torch.tensor([[0.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    )


def test_h11_is_not_zero_when_x11_is_not():
    # x1 = [0.5, 1]: ∂h_{1,1}/∂U_{1,1} = σ'(z_{1,1}) · 0.5 with z_{1,1} = −0.15 + 0.6 = 0.45.
    example = replace(lab.WORKED, xs=torch.tensor([[0.5, 1.0]], dtype=torch.float64))
    answer = answers.h11_gradient(example)
    assert not answer.is_zero
    z = 0.45
    sigmoid = 1 / (1 + torch.exp(torch.tensor(-z, dtype=torch.float64))).item()
    expected = {
        "relu": 0.5,
        "identity": 0.5,
        "tanh": (1 - torch.tanh(torch.tensor(z)).item() ** 2) * 0.5,
        "sigmoid": sigmoid * (1 - sigmoid) * 0.5,
    }
    for name, value in expected.items():
        assert answer.dh1_dU11[name][0].item() == pytest.approx(value, rel=1e-6)
        assert answer.dh1_dU11[name][1].item() == 0
