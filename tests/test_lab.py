"""The lab's worked example and its forward-half answers, checked by hand."""

import pytest
import torch

from rnnlab import lab


def test_constants_are_the_labs():
    torch.testing.assert_close(lab.U, torch.tensor([[-0.3, 0.6], [0.2, 0.1]]))
    torch.testing.assert_close(lab.V, torch.tensor([[0.4, 0.4], [0.9, -0.7]]))
    torch.testing.assert_close(lab.W, torch.tensor([[0.2, 0.1], [-0.2, 0.5]]))
    torch.testing.assert_close(lab.x1, torch.tensor([0.0, 1.0]))
    torch.testing.assert_close(lab.x2, torch.tensor([0.3, 0.4]))
    torch.testing.assert_close(lab.h0, torch.zeros(2))
    torch.testing.assert_close(lab.T, torch.tensor([[0.6, 0.4], [0.3, 0.7]]))
    a, b = [1.0, 0.0], [0.0, 1.0]
    torch.testing.assert_close(lab.seq1, torch.tensor([a, a, a, a, a, a, b, b, a, a]))
    torch.testing.assert_close(lab.seq2, torch.tensor([b, a, b, b, b, b, a, b, b, b]))
    scalars = [lab.U_, lab.V_, lab.W_, lab.x1_, lab.x2_, lab.x3_, lab.x4_, lab.h0_]
    torch.testing.assert_close(
        torch.cat(scalars), torch.tensor([0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0])
    )


def test_forward_step():
    # Derived by hand in tests/test_rnn.py::test_lab_forward_step_matches_hand_computation.
    step = lab.forward_step()
    torch.testing.assert_close(step.h1, torch.tensor([0.6, 0.1]))
    torch.testing.assert_close(step.o1, torch.tensor([0.13, -0.07]))
    torch.testing.assert_close(step.h2, torch.tensor([0.43, 0.57]))
    torch.testing.assert_close(step.o2, torch.tensor([0.143, 0.199]))


def test_sequence_scores():
    scores = lab.sequence_scores()
    assert scores.probability1 == pytest.approx(0.6**6 * 0.4 * 0.7 * 0.3, rel=1e-6)
    assert scores.probability2 == pytest.approx(0.3**2 * 0.4**2 * 0.7**5, rel=1e-6)
    assert scores.more_likely == "seq1"


def test_tiny_bigram_rnn():
    tiny = lab.tiny_bigram_rnn()
    torch.testing.assert_close(tiny.rnn.U, torch.eye(2))
    torch.testing.assert_close(tiny.rnn.V, torch.zeros(2, 2))
    torch.testing.assert_close(tiny.rnn.W, lab.T.T)
    torch.testing.assert_close(tiny.outputs, lab.T)
    assert tiny.matches_T


def test_written_answers_are_there():
    assert "h_0" in lab.H_HAS_ONE_MORE
    assert "identity" in lab.GENERAL_BIGRAM_RNN and "Tᵀ" in lab.GENERAL_BIGRAM_RNN


def reaches(start, target) -> bool:
    """Whether autograd node ``target`` is upstream of node ``start`` in torch's record."""
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node is target:
            return True
        if node is not None and node not in seen:
            seen.add(node)
            stack.extend(next_node for next_node, _ in node.next_functions)
    return False


def test_the_forward_graph_answer_matches_torchs_record():
    # The answer's claims, checked on torch's own graph, not on a drawing: h1 feeds both
    # o1 and h2, so o2 depends on x1, while h0 reaches o2 only through h1.
    leaves = [t.clone().requires_grad_() for t in (lab.U, lab.V, lab.W, lab.x1, lab.x2, lab.h0)]
    U, V, W, x1, x2, h0 = leaves
    h1 = torch.clamp(U @ x1 + V @ h0, min=0)
    o1 = W @ h1
    h2 = torch.clamp(U @ x2 + V @ h1, min=0)
    o2 = W @ h2
    assert reaches(o1.grad_fn, h1.grad_fn) and reaches(h2.grad_fn, h1.grad_fn)
    (dx1,) = torch.autograd.grad(o2.sum(), x1, retain_graph=True)
    assert dx1.abs().sum() > 0  # o2 depends on x1, through h1
    assert "h1 feeds both o1" in lab.FORWARD_GRAPH_ANSWER
