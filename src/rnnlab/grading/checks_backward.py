"""The checks of the lab's backward part: dL/dU of the scalar RNN, and autograd's U.grad,
with cases where ReLU cuts, h0 is not 0 and U's gradient is not 0."""

import torch

from rnnlab import lab
from rnnlab.grading.cases import (
    Check,
    Question,
    float32_literal,
    typed,
    values_of,
    words_of,
)
from rnnlab.model.activations import relu
from rnnlab.model.bptt import bptt, next_token_targets
from rnnlab.model.rnn import ElmanRNN


def _dL_dU(U: float, V: float, W: float, xs: list[float], h0: float) -> float:
    """rnnlab's dL/dU of the scalar ReLU RNN, by autograd in float64."""
    U64, V64, W64, h0_64 = (torch.tensor(w, dtype=torch.float64) for w in (U, V, W, h0))
    inputs, targets = next_token_targets(torch.tensor(xs, dtype=torch.float64))
    return float(bptt(ElmanRNN(U64, V64, W64), inputs, targets, h0=h0_64, method="autograd").U)


def _bptt_case(weights: tuple, xs: list[float], h0: float, message: str, hidden: bool) -> Check:
    U, V, W = weights
    return Check(
        f"dL_dU({U!r}, {V!r}, {W!r}, {xs!r}, {h0!r})",
        _dL_dU(U, V, W, xs, h0),
        message,
        hidden=hidden,
    )


BPTT_LAB = ((0.1, 0.2, 0.3), [0.5, 0.6, 0.7, 0.8])
BPTT_SECOND = ((0.5, -0.8, 0.7), [1.0, -0.5, 0.8, 0.3], 0.4)
"""A case on which the ReLU's slope is 0 at a step and h0 ≠ 0 (the lab's has neither)."""


def _ragged_cases() -> list[tuple]:
    """Random cases, N = 2, 3, 5, 8: weights and inputs of both signs, h0 ≠ 0, each with a
    flat ReLU somewhere and a gradient far from 0 (no constant can pass)."""
    generator = torch.Generator().manual_seed(3)
    cases = []
    for N in (2, 3, 5, 8):
        while True:
            U, V, W, h0 = (torch.rand(4, generator=generator, dtype=torch.float64) * 2 - 1).tolist()
            xs = (torch.rand(N + 1, generator=generator, dtype=torch.float64) * 2 - 1).tolist()
            U, V, W, h0 = (round(w, 3) for w in (U, V, W, h0))
            xs = [round(x, 3) for x in xs]
            z, h, flat = 0.0, h0, False
            for x in xs[:-1]:
                z = U * x + V * h
                flat |= z < 0
                h = max(z, 0.0)
            if flat and abs(_dL_dU(U, V, W, xs, h0)) > 0.05:
                cases.append(((U, V, W), xs, h0))
                break
    return cases


def bptt_question() -> Question:
    weights, xs = BPTT_LAB
    second_weights, second_xs, second_h0 = BPTT_SECOND
    how = "should be the sum over the paths from U to L of the products along them"
    checks = [
        _bptt_case(weights, xs[:2], 0.0, f"dL_dU for the lab's example with N = 1 {how}", False),
        _bptt_case(weights, xs[:3], 0.0, "dL_dU for the lab's example with N = 2", True),
        _bptt_case(
            weights,
            xs,
            0.0,
            f"dL_dU for the lab's example with N = 3 {how} (six paths, through up to three "
            "hidden states)",
            False,
        ),
        _bptt_case(
            second_weights,
            second_xs,
            second_h0,
            f"dL_dU for U = 0.5, V = -0.8, W = 0.7, xs = {second_xs}, h0 = 0.4 (where ReLU is "
            "flat at step 2, so its slope there is 0)",
            False,
        ),
        *(
            _bptt_case(w, x, h, f"dL_dU for N = {len(x) - 1}, random values", True)
            for w, x, h in _ragged_cases()
        ),
    ]
    return Question("bptt", 6, tuple(checks))


AUTOGRAD_ANSWERS = "h1_ h11 U_grad"

SECOND_AUTOGRAD = {
    "U_": torch.tensor([[0.5, -0.4], [0.3, 0.2]], dtype=torch.float64),
    "V_": torch.tensor([[0.4, 0.4], [0.9, -0.7]], dtype=torch.float64),
    "x1_": torch.tensor([0.5, -1.0], dtype=torch.float64),
    "h0_": torch.tensor([0.3, 0.1], dtype=torch.float64),
}
"""Inputs where x1_ has no 0 (so every entry of dh11/dU in row 1 is not 0) and both
entries of h1_ are above 0: its first entry, its second and their sum have different
gradients, which the lab's example (x1 = [0, 1]) cannot tell apart in column 1."""


def _autograd_case(inputs: dict[str, torch.Tensor]) -> tuple[str, list, float]:
    """The expression re-running the autograd cell on inputs; rnnlab's dh11/dU and h11."""
    U = inputs["U_"].clone().requires_grad_(True)
    h1 = relu(U @ inputs["x1_"] + inputs["V_"] @ inputs["h0_"])
    h1[0].backward()
    given = ", ".join(
        f"{name!r}: {float32_literal(value, requires_grad=name == 'U_')}"
        for name, value in inputs.items()
    )
    return (
        f"rerun_cells({{{given}}}, {AUTOGRAD_ANSWERS!r})",
        values_of(U.grad),
        float(h1[0].detach()),
    )


def automatic_diff_question() -> Question:
    U = typed(lab.U).requires_grad_(True)
    V, x1, h0 = map(typed, (lab.V, lab.x1, lab.h0))
    h1 = relu(U @ x1 + V @ h0)
    h1[0].backward()
    second, second_grad, second_h11 = _autograd_case(SECOND_AUTOGRAD)
    third_inputs = {**SECOND_AUTOGRAD, "x1_": torch.tensor([0.8, 0.6], dtype=torch.float64)}
    third, third_grad, _ = _autograd_case(third_inputs)
    inputs = ", ".join(f"{name} = {words_of(value)}" for name, value in SECOND_AUTOGRAD.items())
    checks = (
        Check(
            f"{second}['U_grad']",
            second_grad,
            "U_grad should be dh11/dU, with h11 the first entry of h1_ = ReLU(U_ x1_ + V_ h0_), "
            f"for other inputs ({inputs}; your cell run again on them)",
        ),
        Check("U_grad", values_of(U.grad), "U_grad for the lab's example", hidden=True),
        Check(f"{second}['h11']", second_h11, "h11 for the second inputs", hidden=True),
        Check(f"{third}['U_grad']", third_grad, "U_grad for a third input x1_", hidden=True),
    )
    return Question("automatic_diff", 2, checks)
